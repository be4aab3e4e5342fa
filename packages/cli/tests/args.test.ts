import { CliUsageError, parseAmictlArgs } from '../src';

describe('amictl arguments', () => {
  it('reads the three commands with their flags', () => {
    expect(parseAmictlArgs(['config', 'validate', 'p.yaml'])).toEqual({
      command: 'config-validate',
      file: 'p.yaml',
    });
    expect(parseAmictlArgs(['config', 'apply', 'p.yaml', '--by', 'alice'])).toEqual({
      command: 'config-apply',
      file: 'p.yaml',
      by: 'alice',
    });
    expect(parseAmictlArgs(['build', 'golden-al2023', '--force', '--reason', 'stale-base'])).toEqual({
      command: 'build',
      family: 'golden-al2023',
      force: true,
      reason: 'stale-base',
      by: undefined,
      key: undefined,
    });
    expect(parseAmictlArgs([])).toEqual({ command: 'help' });
  });

  it.each([
    [['deploy'], /unknown command "deploy"/],
    [['config'], /config takes validate or apply, got nothing/],
    [['config', 'apply'], /config apply needs a policy file/],
    [['config', 'validate', 'a.yaml', 'b.yaml'], /takes one file, got also "b.yaml"/],
    [['config', 'validate', 'a.yaml', '--force'], /--force does not go with "config validate a.yaml"/],
    [['build'], /build needs a family name/],
    [['build', 'x', '--reason', 'because'], /--reason must be one of manual, schedule/],
    [['build', 'x', '--by', ' '], /--by must not be empty/],
    [['build', 'x', '--colour'], /Unknown option '--colour'/],
  ])('refuses %j, naming what is wrong', (argv, message) => {
    expect(() => parseAmictlArgs(argv)).toThrow(CliUsageError);
    expect(() => parseAmictlArgs(argv)).toThrow(message);
  });
});
