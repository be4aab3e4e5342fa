import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { LambdaInvocationError, LambdaRuntime, LambdaTimeoutError } from '../src/lambda/runtime';
import { SimClock } from '../src/sim-clock';
import { setWait } from './fixtures/timeout/handlers/slow';
import { START } from './helpers';

const FIXTURE = join(__dirname, 'fixtures', 'timeout');

/** Lets the event loop turn until `done()` holds, at most `turns` times: waits on I/O, never on time. */
const until = async (done: () => boolean, turns = 5_000): Promise<void> => {
  for (let i = 0; i < turns && !done(); i += 1) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error(`condition not met after ${turns} event-loop turns`);
};

/** Whether a promise has settled yet, without waiting for it. */
const settled = async (p: Promise<unknown>): Promise<boolean> => {
  const pending = Symbol('pending');
  const first = await Promise.race([
    p.then(
      () => 'done',
      () => 'done',
    ),
    Promise.resolve(pending),
  ]);
  return first !== pending;
};

describe('Lambda timeouts on the simulated clock', () => {
  describe('the runtime', () => {
    let clock: SimClock;
    let runtime: LambdaRuntime;
    const unhandled = jest.fn();

    beforeEach(() => {
      clock = new SimClock(START);
      runtime = new LambdaRuntime({
        root: FIXTURE,
        accountId: '111111111111',
        region: 'eu-west-1',
        clock,
        cloudEnv: {},
        enforceTimeouts: true,
      });
      runtime.register({
        key: 'waits',
        name: 'timeouts-test-waits',
        handler: { module: 'handlers/slow', exportName: 'waits' },
        environment: {},
        timeoutSeconds: 60,
        rules: [],
        allowedActions: [],
      });
      unhandled.mockReset();
      process.on('unhandledRejection', unhandled);
    });
    afterEach(() => {
      process.off('unhandledRejection', unhandled);
      setWait(async () => undefined);
    });

    /** The handler waits five simulated minutes, as a call held by a latency fault would. */
    const fiveMinutes = () => setWait(() => new Promise((resolve) => clock.after(300_000, resolve)));

    it('fails the invocation with Sandbox.Timedout when the clock reaches the timeout, at that very instant', async () => {
      fiveMinutes();
      const invocation = runtime.invoke('timeouts-test-waits', {});
      invocation.catch(() => undefined);

      await clock.advance(59.999);
      expect(await settled(invocation)).toBe(false);
      await clock.advance(0.001);

      const error = await invocation.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LambdaTimeoutError);
      expect(error).toBeInstanceOf(LambdaInvocationError);
      expect(error).toMatchObject({
        name: 'Sandbox.Timedout',
        errorType: 'Sandbox.Timedout',
        functionName: 'timeouts-test-waits',
        timeoutSeconds: 60,
      });
      const { errorMessage, requestId } = error as LambdaTimeoutError;
      expect(errorMessage).toBe(`RequestId: ${requestId} Error: Task timed out after 60.00 seconds`);
      expect(runtime.invocations()).toEqual([
        expect.objectContaining({
          functionName: 'timeouts-test-waits',
          requestId,
          outcome: 'timed-out',
          simulatedMs: 60_000,
          error: `Sandbox.Timedout: ${errorMessage}`,
        }),
      ]);
    });

    it('settles the timeout before the clock moves on, however far the advance goes', async () => {
      fiveMinutes();
      // Work due a second after the deadline, and every second after that: none of it may come first.
      for (let s = 61; s <= 120; s += 1) clock.after(s * 1000, () => undefined);
      const invocation = runtime.invoke('timeouts-test-waits', {});
      let seenAt: number | undefined;
      invocation.catch(() => {
        seenAt = clock.nowMillis();
      });

      await clock.advance(120);

      expect(seenAt! - Date.parse(START)).toBe(60_000);
      expect(runtime.invocations()).toEqual([
        expect.objectContaining({ outcome: 'timed-out', simulatedMs: 60_000 }),
      ]);
      await clock.advance(180);
      await runtime.drain(10_000);
    });

    it('ignores what the handler returns or throws after its timeout: one log entry, no unhandled rejection', async () => {
      fiveMinutes();
      const returns = runtime.invoke('timeouts-test-waits', {});
      const throws = runtime.invoke('timeouts-test-waits', { fail: true });
      const outcomes = Promise.allSettled([returns, throws]);

      await clock.advance(60);
      expect((await outcomes).map((o) => o.status)).toEqual(['rejected', 'rejected']);
      // The handlers are still running; the delay they wait on ends four minutes later.
      await clock.advance(240);
      await runtime.drain(10_000);
      for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));

      expect(runtime.invocations().map((r) => r.outcome)).toEqual(['timed-out', 'timed-out']);
      expect(unhandled).not.toHaveBeenCalled();
      expect(clock.pending()).toBe(0);
    });

    it('leaves a handler that finishes in time alone, and cancels its timeout', async () => {
      setWait(() => new Promise((resolve) => clock.after(59_000, resolve)));
      const invocation = runtime.invoke('timeouts-test-waits', {});
      // Waiting on the delay, and the timeout behind it.
      expect(clock.pending()).toBe(2);

      await clock.advance(59);

      await expect(invocation).resolves.toEqual({ finished: true });
      expect(clock.pending()).toBe(0);
      await clock.advance(3_600);
      expect(runtime.invocations()).toEqual([
        expect.objectContaining({ outcome: 'succeeded', simulatedMs: 59_000 }),
      ]);
      expect(runtime.invocations()[0]).not.toHaveProperty('error');
    });

    it('still reports a handler that fails in time as its own error', async () => {
      const invocation = runtime.invoke('timeouts-test-waits', { fail: true });

      await expect(invocation).rejects.toMatchObject({ name: 'Error', message: 'the late handler failed' });
      expect(clock.pending()).toBe(0);
      expect(runtime.invocations()).toEqual([
        expect.objectContaining({ outcome: 'failed', error: 'Error: the late handler failed' }),
      ]);
    });
  });

  describe('in the cloud, behind a latency fault', () => {
    let cloud: LocalCloud;
    let sfn: SFNClient;

    beforeAll(async () => {
      cloud = await startLocalCloud({
        port: 0,
        start: START,
        deploy: { serverlessFile: join(FIXTURE, 'serverless.yml'), lambdaTimeouts: true },
      });
      sfn = new SFNClient({ ...cloud.clientConfig, maxAttempts: 1 });
    }, 60_000);
    afterEach(() => cloud.faults.clear());
    afterAll(async () => {
      sfn.destroy();
      await cloud?.stop();
    });

    const machineArn = () =>
      `arn:aws:states:${cloud.region}:${cloud.accounts.defaultAccountId}:stateMachine:timeouts-test-who`;

    it('times out an invocation whose AWS call is held five simulated minutes, after its 60 seconds', async () => {
      cloud.faults.update({ service: 'sts', operation: 'GetCallerIdentity', latencyMs: 300_000 });
      const t0 = cloud.clock.nowMillis();
      const invocation = cloud.lambda!.invoke('timeouts-test-whoAmI', {});
      invocation.catch(() => undefined);
      await until(() => cloud.faults.snapshot().delayed === 1);

      await cloud.clock.advance(60);

      await expect(invocation).rejects.toMatchObject({
        errorType: 'Sandbox.Timedout',
        errorMessage: expect.stringMatching(/Error: Task timed out after 60\.00 seconds$/),
      });
      expect(cloud.clock.nowMillis() - t0).toBe(60_000);
      // The held call ends later on; the handler's result then goes nowhere.
      await cloud.clock.advance(240);
      await cloud.lambda!.drain(10_000);
      expect(cloud.faults.snapshot().delayed).toBe(0);
      expect(cloud.lambda!.invocations().filter((r) => r.functionName === 'timeouts-test-whoAmI')).toEqual([
        expect.objectContaining({ outcome: 'timed-out', simulatedMs: 60_000 }),
      ]);
    });

    it('lets a Task retry the timed-out function on Lambda.Unknown, and the retry succeed once the fault is gone', async () => {
      cloud.faults.update({ service: 'sts', operation: 'GetCallerIdentity', latencyMs: 300_000 });
      const delayedBefore = cloud.faults.snapshot().delayed;
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: machineArn(), input: '{}' }),
      );
      const t0 = cloud.clock.nowMillis();
      await until(() => cloud.faults.snapshot().delayed === delayedBefore + 1);

      await cloud.clock.advance(60);
      await cloud.services.sfn.settleExecution(executionArn!);
      cloud.faults.clear();
      const done = await cloud.services.sfn.waitForExecution(executionArn!, { maxAdvanceSeconds: 600 });

      expect(done.status).toBe('SUCCEEDED');
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(JSON.parse(described.output!)).toEqual({
        account: cloud.accounts.defaultAccountId,
        remainingMs: 60_000,
      });
      const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 100 })))
        .events!;
      const lambdaEvents = events
        .filter((e) => e.type!.startsWith('LambdaFunction'))
        .map((e) => [e.type, (e.timestamp!.getTime() - t0) / 1000]);
      expect(lambdaEvents).toEqual([
        ['LambdaFunctionScheduled', 0],
        ['LambdaFunctionStarted', 0],
        ['LambdaFunctionFailed', 60],
        ['LambdaFunctionScheduled', 70],
        ['LambdaFunctionStarted', 70],
        ['LambdaFunctionSucceeded', 70],
      ]);
      const failed = events.find((e) => e.type === 'LambdaFunctionFailed')!.lambdaFunctionFailedEventDetails!;
      expect(failed.error).toBe('Lambda.Unknown');
      expect(JSON.parse(failed.cause!)).toEqual({
        errorType: 'Sandbox.Timedout',
        errorMessage: expect.stringMatching(/^RequestId: \S+ Error: Task timed out after 60\.00 seconds$/),
      });
      // The first attempt's call is still held; once it ends, its handler's late result goes nowhere.
      await cloud.clock.advance(300);
      await cloud.lambda!.drain(10_000);
      expect(
        cloud
          .lambda!.invocations()
          .filter((r) => r.at >= new Date(t0).toISOString())
          .map((r) => r.outcome),
      ).toEqual(['timed-out', 'succeeded']);
    });
  });
});
