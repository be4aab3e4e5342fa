import { CliUsageError, parseCliArgs } from '../src/cli';

describe('the local-cloud command line', () => {
  it('defaults to port 4566, real-time speed, DynamoDB Local and the project deployed', () => {
    expect(parseCliArgs([])).toEqual({ port: 4566, speed: 1, dynamodb: true, deploy: true, help: false });
  });

  it('starts an empty cloud with --no-deploy', () => {
    expect(parseCliArgs(['--no-deploy']).deploy).toBe(false);
  });

  it('reads a port, a speed and --no-dynamodb', () => {
    expect(parseCliArgs(['--port', '0', '--speed', '60', '--no-dynamodb'])).toEqual({
      port: 0,
      speed: 60,
      dynamodb: false,
      deploy: true,
      help: false,
    });
    expect(parseCliArgs(['--port=4600', '--speed=0.5']).port).toBe(4600);
  });

  it('reads a state directory, and refuses an empty one', () => {
    expect(parseCliArgs(['--state-dir', '.local-cloud']).stateDir).toBe('.local-cloud');
    expect(parseCliArgs([]).stateDir).toBeUndefined();
    expect(() => parseCliArgs(['--state-dir', ' '])).toThrow('--state-dir needs a directory');
  });

  it.each([
    [['--port', 'abc'], '--port must be a whole number from 0 to 65535, got "abc"'],
    [['--port', '70000'], '--port must be a whole number from 0 to 65535, got "70000"'],
    [['--port=-1'], '--port must be a whole number from 0 to 65535, got "-1"'],
    [['--port', '-1'], "Option '--port' argument is ambiguous"],
    [['--port', '1.5'], '--port must be a whole number'],
    [['--speed', 'fast'], '--speed must be a number of at least 0, got "fast"'],
    [['--speed=-2'], '--speed must be a number of at least 0, got "-2"'],
    [['--speed', ''], '--speed must be a number of at least 0'],
    [['--dynamodb=off'], "Unknown option '--dynamodb"],
    [['--port'], "Option '--port <value>' argument missing"],
    [['extra'], "Unexpected argument 'extra'"],
  ])('refuses %j with a message that names the flag', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
