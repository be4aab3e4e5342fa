import { join } from 'node:path';
import { LambdaRuntime } from '../src/lambda/runtime';
import { SimClock } from '../src/sim-clock';
import { releaseHeld } from './fixtures/deploy/handlers/record';

const runtime = () => {
  const r = new LambdaRuntime({
    root: join(__dirname, 'fixtures', 'deploy'),
    accountId: '111111111111',
    region: 'eu-west-1',
    clock: new SimClock('2026-03-01T00:00:00.000Z'),
    cloudEnv: {},
  });
  r.register({
    key: 'held',
    name: 'fixture-test-held',
    handler: { module: 'handlers/record', exportName: 'held' },
    environment: {},
    timeoutSeconds: 30,
    rules: [],
    allowedActions: [],
  });
  return r;
};

describe('stopping the runtime', () => {
  it('waits for an invocation still running before it lets the cloud close', async () => {
    const r = runtime();
    const invocation = r.invoke('fixture-test-held', {});
    let drained = false;
    const draining = r.drain(60_000).then(() => {
      drained = true;
    });

    // A full turn of the event loop (not a timer): a drain that did not wait would be done by now.
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    releaseHeld();
    await draining;

    expect(drained).toBe(true);
    await expect(invocation).resolves.toEqual({ released: true });
    expect(r.invocations()).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
  });

  it('returns at once when nothing is running', async () => {
    await expect(runtime().drain(60_000)).resolves.toBeUndefined();
  });
});
