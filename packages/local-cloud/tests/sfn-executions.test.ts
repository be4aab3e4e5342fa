import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { AwsError } from '../src/errors';
import { LambdaTimeoutError } from '../src/lambda/runtime';
import { compileDefinition, SfnService } from '../src/services/sfn';
import { startTestEdge } from '../src/testing/edge-harness';
import type { CloudContext } from '../src/types';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ami-lifecycle-states`;
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

class TransientError extends Error {
  override name = 'TransientError';
}
class InsufficientCapacity extends Error {
  override name = 'InsufficientCapacity';
}

type Handler = (payload: unknown) => unknown;

describe('Step Functions executions', () => {
  let edge: Awaited<ReturnType<typeof startTestEdge>>;
  let sfn: SfnService;
  let client: SFNClient;
  /** The fake Lambda: functions by name, and every call with the simulated time it was made at. */
  const functions = new Map<string, Handler>();
  const calls: { name: string; payload: unknown; at: number }[] = [];

  const invokeLambda = (ctx: CloudContext) => async (arn: string, payload: unknown) => {
    const name = arn.split(':')[6]!;
    calls.push({ name, payload, at: ctx.clock.nowMillis() });
    const handler = functions.get(name);
    if (!handler) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
    return handler(payload);
  };

  beforeAll(async () => {
    // Loads the ASL validator, which compiles its JSON schemas on first use (seconds on a busy machine),
    // here rather than inside the first test's time budget.
    compileDefinition(JSON.stringify({ StartAt: 'Warm', States: { Warm: { Type: 'Succeed' } } }));
    edge = await startTestEdge((ctx) => {
      sfn = new SfnService(ctx, { invokeLambda: invokeLambda(ctx) });
      return [sfn];
    });
    client = new SFNClient({ ...edge.clientConfig, maxAttempts: 1 });
  }, 30_000);
  afterEach(() => {
    functions.clear();
    calls.length = 0;
  });
  afterAll(async () => {
    client.destroy();
    sfn.close();
    await edge.close();
  });

  let machines = 0;
  const createMachine = async (definition: object): Promise<string> => {
    const created = await client.send(
      new CreateStateMachineCommand({
        name: `machine-${++machines}`,
        definition: JSON.stringify(definition),
        roleArn: ROLE,
      }),
    );
    return created.stateMachineArn!;
  };
  const start = async (stateMachineArn: string, input: unknown = {}, name?: string): Promise<string> => {
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }),
    );
    return started.executionArn!;
  };
  const describe = (executionArn: string) => client.send(new DescribeExecutionCommand({ executionArn }));
  const history = async (executionArn: string): Promise<HistoryEvent[]> =>
    (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
  const types = async (executionArn: string) => (await history(executionArn)).map((e) => e.type);
  /** Runs what the execution has in hand, without moving the clock. */
  const settle = (executionArn: string) => sfn.settleExecution(executionArn, 0);
  const since = (t0: number) => (e: { at: number }) => (e.at - t0) / 1000;

  it('routes on a Choice, shapes data with Pass states and ends in a Succeed state', async () => {
    const machine = await createMachine({
      StartAt: 'Kind',
      States: {
        Kind: {
          Type: 'Choice',
          Choices: [{ Variable: '$.kind', StringEquals: 'golden', Next: 'Golden' }],
          Default: 'Application',
        },
        Golden: { Type: 'Pass', Result: { parent: null }, ResultPath: '$.lineage', Next: 'Done' },
        Application: {
          Type: 'Pass',
          Parameters: { 'parent.$': '$.parent' },
          ResultPath: '$.lineage',
          Next: 'Done',
        },
        Done: { Type: 'Succeed', OutputPath: '$.lineage' },
      },
    });

    const arn = await start(machine, { kind: 'application', parent: 'golden-al2023' });
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    const described = await describe(arn);
    expect(described).toMatchObject({ status: 'SUCCEEDED', output: '{"parent":"golden-al2023"}' });
    expect(described.stopDate).toEqual(described.startDate);
    const events = await history(arn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => [e.id, e.previousEventId])).toEqual([
      [1, 0],
      [2, 0],
      [3, 2],
      [4, 3],
      [5, 4],
      [6, 5],
      [7, 6],
      [8, 7],
    ]);
    expect(events[3]?.stateEnteredEventDetails?.name).toBe('Application');
    expect(events[0]?.executionStartedEventDetails).toMatchObject({ roleArn: ROLE });
  });

  it('calls a Lambda function resource in-process and records the Lambda events', async () => {
    functions.set('resolve-source', (p) => ({ imageId: 'ami-0source', asked: p }));
    const machine = await createMachine({
      StartAt: 'Resolve',
      States: {
        Resolve: { Type: 'Task', Resource: fn('resolve-source'), ResultPath: '$.source', End: true },
      },
    });

    const arn = await start(machine, { family: 'golden-al2023' });
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    expect(calls).toEqual([
      { name: 'resolve-source', payload: { family: 'golden-al2023' }, at: expect.any(Number) },
    ]);
    expect(JSON.parse((await describe(arn)).output!)).toEqual({
      family: 'golden-al2023',
      source: { imageId: 'ami-0source', asked: { family: 'golden-al2023' } },
    });
    const events = await history(arn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[2]?.lambdaFunctionScheduledEventDetails).toEqual({
      resource: fn('resolve-source'),
      input: '{"family":"golden-al2023"}',
      inputDetails: { truncated: false },
    });
  });

  it('invokes through lambda:invoke, answering as the Lambda API does so ResultSelector can pick the Payload', async () => {
    functions.set('launch-builder', () => ({ instanceId: 'i-0builder' }));
    const machine = await createMachine({
      StartAt: 'Launch',
      States: {
        Launch: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'launch-builder', 'Payload.$': '$' },
          ResultSelector: { 'Payload.$': '$.Payload', 'StatusCode.$': '$.StatusCode' },
          End: true,
        },
      },
    });

    const arn = await start(machine, { family: 'golden-al2023' });
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    expect(calls.map((c) => c.payload)).toEqual([{ family: 'golden-al2023' }]);
    expect(JSON.parse((await describe(arn)).output!)).toEqual({
      Payload: { instanceId: 'i-0builder' },
      StatusCode: 200,
    });
    const events = await history(arn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[2]?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: REGION,
    });
  });

  it('retries a failing task on the simulated clock: IntervalSeconds, then BackoffRate', async () => {
    let attempts = 0;
    functions.set('create-image', () => {
      attempts++;
      if (attempts <= 2) throw new TransientError(`attempt ${attempts}: RequestLimitExceeded`);
      return { imageId: 'ami-0built' };
    });
    const machine = await createMachine({
      StartAt: 'CreateImage',
      States: {
        CreateImage: {
          Type: 'Task',
          Resource: fn('create-image'),
          Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3 }],
          End: true,
        },
      },
    });
    const t0 = edge.clock.nowMillis();

    const arn = await start(machine);
    await settle(arn);
    expect(calls).toHaveLength(1);
    await edge.clock.advance(9);
    await settle(arn);
    expect(calls).toHaveLength(1);
    await edge.clock.advance(1);
    await settle(arn);
    expect(calls).toHaveLength(2);
    await edge.clock.advance(19);
    await settle(arn);
    expect((await describe(arn)).status).toBe('RUNNING');
    await edge.clock.advance(1);
    await settle(arn);

    expect(calls.map(since(t0))).toEqual([0, 10, 30]);
    expect(await describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: '{"imageId":"ami-0built"}' });
    const events = await history(arn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const failed = events.find((e) => e.type === 'LambdaFunctionFailed')!.lambdaFunctionFailedEventDetails!;
    expect(failed.error).toBe('TransientError');
    expect(JSON.parse(failed.cause!)).toMatchObject({
      errorType: 'TransientError',
      errorMessage: 'attempt 1: RequestLimitExceeded',
    });
    expect(
      events
        .filter((e) => e.type === 'LambdaFunctionScheduled')
        .map((e) => (e.timestamp!.getTime() - t0) / 1000),
    ).toEqual([0, 10, 30]);
  });

  it('routes an error that no retrier matches to the Catch fallback, with the error at ResultPath', async () => {
    functions.set('launch-builder', () => {
      throw new InsufficientCapacity('no m7i.large in eu-west-1a');
    });
    const machine = await createMachine({
      StartAt: 'Launch',
      States: {
        Launch: {
          Type: 'Task',
          Resource: fn('launch-builder'),
          Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 5 }],
          Catch: [{ ErrorEquals: ['InsufficientCapacity'], ResultPath: '$.error', Next: 'Fallback' }],
          Next: 'Unreachable',
        },
        Fallback: {
          Type: 'Pass',
          Parameters: { 'reason.$': '$.error.Error', 'family.$': '$.family' },
          End: true,
        },
        Unreachable: { Type: 'Fail', Error: 'Unreachable' },
      },
    });

    const arn = await start(machine, { family: 'golden-al2023' });
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    expect(calls).toHaveLength(1);
    expect(JSON.parse((await describe(arn)).output!)).toEqual({
      reason: 'InsufficientCapacity',
      family: 'golden-al2023',
    });
    const events = await history(arn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    const caught = JSON.parse(events[5]!.stateExitedEventDetails!.output!);
    expect(caught.error.Error).toBe('InsufficientCapacity');
    expect(JSON.parse(caught.error.Cause).errorMessage).toBe('no m7i.large in eu-west-1a');
  });

  it('completes a one-hour Wait when the simulated clock has moved an hour, in well under a second', async () => {
    functions.set('check-scan', () => ({ scanned: true }));
    const machine = await createMachine({
      StartAt: 'Hold',
      States: {
        Hold: { Type: 'Wait', Seconds: 3600, Next: 'Check' },
        Check: { Type: 'Task', Resource: fn('check-scan'), End: true },
      },
    });
    const t0 = edge.clock.nowMillis();
    const realStart = performance.now();

    const arn = await start(machine);
    await settle(arn);
    await edge.clock.advance(3599);
    await settle(arn);
    expect((await describe(arn)).status).toBe('RUNNING');
    expect(calls).toHaveLength(0);
    await edge.clock.advance(1);
    await settle(arn);

    expect(performance.now() - realStart).toBeLessThan(1000);
    expect((await describe(arn)).status).toBe('SUCCEEDED');
    expect(calls.map(since(t0))).toEqual([3600]);
    const events = await history(arn);
    const at = (type: string) => (events.find((e) => e.type === type)!.timestamp!.getTime() - t0) / 1000;
    expect([at('WaitStateEntered'), at('WaitStateExited'), at('ExecutionSucceeded')]).toEqual([
      0, 3600, 3600,
    ]);
  });

  it('waits for SecondsPath and until TimestampPath on the simulated clock', async () => {
    const machine = await createMachine({
      StartAt: 'Backoff',
      States: {
        Backoff: { Type: 'Wait', SecondsPath: '$.delaySeconds', Next: 'Window' },
        Window: { Type: 'Wait', TimestampPath: '$.window', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    const t0 = edge.clock.nowMillis();
    const window = new Date(t0 + 600_000).toISOString();

    const arn = await start(machine, { delaySeconds: 120, window });
    const done = await sfn.waitForExecution(arn, { maxAdvanceSeconds: 3600 });

    expect(done.status).toBe('SUCCEEDED');
    expect(done.stopDate!.getTime() - t0).toBe(600_000);
    const exited = (await history(arn)).filter((e) => e.type === 'WaitStateExited');
    expect(exited.map((e) => (e.timestamp!.getTime() - t0) / 1000)).toEqual([120, 600]);
  });

  it('maps over items with MaxConcurrency and records every iteration', async () => {
    functions.set('copy-image', (p) => {
      const { region, index } = p as { region: string; index: number };
      return `${region}#${index}`;
    });
    const machine = await createMachine({
      StartAt: 'CopyToRegions',
      States: {
        CopyToRegions: {
          Type: 'Map',
          ItemsPath: '$.regions',
          MaxConcurrency: 2,
          ItemSelector: { 'region.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Copy',
            States: { Copy: { Type: 'Task', Resource: fn('copy-image'), End: true } },
          },
          ResultPath: '$.copies',
          End: true,
        },
      },
    });

    const arn = await start(machine, { regions: ['eu-west-1', 'eu-central-1', 'us-east-1'] });
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    expect(JSON.parse((await describe(arn)).output!).copies).toEqual([
      'eu-west-1#0',
      'eu-central-1#1',
      'us-east-1#2',
    ]);
    const events = await history(arn);
    const kinds = events.map((e) => e.type);
    expect(kinds.slice(0, 3)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted']);
    expect(kinds.slice(-3)).toEqual(['MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    expect(events[2]?.mapStateStartedEventDetails).toEqual({ length: 3 });
    const iterations = (type: string) =>
      events
        .filter((e) => e.type === type)
        .map((e) => (e.mapIterationStartedEventDetails ?? e.mapIterationSucceededEventDetails)!)
        .map((d) => `${d.name}#${d.index}`)
        .sort();
    expect(iterations('MapIterationStarted')).toEqual([
      'CopyToRegions#0',
      'CopyToRegions#1',
      'CopyToRegions#2',
    ]);
    expect(iterations('MapIterationSucceeded')).toEqual([
      'CopyToRegions#0',
      'CopyToRegions#1',
      'CopyToRegions#2',
    ]);
    expect(kinds.filter((k) => k === 'LambdaFunctionSucceeded')).toHaveLength(3);
  });

  it('runs Parallel branches and outputs their results in branch order', async () => {
    functions.set('share-image', () => 'shared');
    const machine = await createMachine({
      StartAt: 'Publish',
      States: {
        Publish: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Share', States: { Share: { Type: 'Task', Resource: fn('share-image'), End: true } } },
            {
              StartAt: 'Parameter',
              States: { Parameter: { Type: 'Pass', Result: 'parameter-written', End: true } },
            },
          ],
          End: true,
        },
      },
    });

    const arn = await start(machine);
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    expect(JSON.parse((await describe(arn)).output!)).toEqual(['shared', 'parameter-written']);
    const kinds = await types(arn);
    expect(kinds.slice(0, 3)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted']);
    expect(kinds.slice(-3)).toEqual(['ParallelStateSucceeded', 'ParallelStateExited', 'ExecutionSucceeded']);
    expect(kinds).toEqual(
      expect.arrayContaining(['TaskStateEntered', 'LambdaFunctionSucceeded', 'PassStateEntered']),
    );
  });

  it('fails the execution with the error and cause of a Fail state', async () => {
    const machine = await createMachine({
      StartAt: 'Gate',
      States: {
        Gate: {
          Type: 'Choice',
          Choices: [{ Variable: '$.critical', NumericEquals: 0, Next: 'Pass' }],
          Default: 'Reject',
        },
        Pass: { Type: 'Succeed' },
        Reject: { Type: 'Fail', Error: 'GateFailed', Cause: 'critical findings above the limit' },
      },
    });

    const arn = await start(machine, { critical: 3 });
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    expect(await describe(arn)).toMatchObject({
      status: 'FAILED',
      error: 'GateFailed',
      cause: 'critical findings above the limit',
    });
    const events = await history(arn);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({
      error: 'GateFailed',
      cause: 'critical findings above the limit',
    });
  });

  it('fails the execution with the error a function threw, or Lambda.<code> when Lambda refused the call', async () => {
    functions.set('evaluate-gate', () => {
      throw new TypeError("Cannot read properties of undefined (reading 'severity')");
    });
    const machine = await createMachine({
      StartAt: 'Evaluate',
      States: { Evaluate: { Type: 'Task', Resource: fn('evaluate-gate'), End: true } },
    });
    const missing = await createMachine({
      StartAt: 'Evaluate',
      States: { Evaluate: { Type: 'Task', Resource: fn('no-such-function'), End: true } },
    });

    const thrown = await start(machine);
    const refused = await start(missing);
    await sfn.waitForExecution(thrown, { maxAdvanceSeconds: 0 });
    await sfn.waitForExecution(refused, { maxAdvanceSeconds: 0 });

    const a = await describe(thrown);
    expect(a).toMatchObject({ status: 'FAILED', error: 'TypeError' });
    expect(JSON.parse(a.cause!).errorMessage).toBe(
      "Cannot read properties of undefined (reading 'severity')",
    );
    expect(await describe(refused)).toMatchObject({
      status: 'FAILED',
      error: 'Lambda.ResourceNotFoundException',
    });
    expect((await types(refused)).slice(-2)).toEqual(['LambdaFunctionFailed', 'ExecutionFailed']);
  });

  it('times a task out on the simulated clock, and States.TaskFailed does not catch the timeout', async () => {
    // The function answers only after a simulated minute: longer than the task's TimeoutSeconds.
    functions.set(
      'run-tests',
      () => new Promise((resolve) => edge.clock.after(60_000, () => resolve('late'))),
    );
    const machine = await createMachine({
      StartAt: 'RunTests',
      States: {
        RunTests: {
          Type: 'Task',
          Resource: fn('run-tests'),
          TimeoutSeconds: 30,
          Catch: [
            { ErrorEquals: ['States.TaskFailed'], Next: 'TestsFailed' },
            { ErrorEquals: ['States.Timeout'], Next: 'TestsTimedOut' },
          ],
          End: true,
        },
        TestsFailed: { Type: 'Pass', Result: 'failed', End: true },
        TestsTimedOut: { Type: 'Pass', Result: 'timed out', End: true },
      },
    });
    const t0 = edge.clock.nowMillis();

    const arn = await start(machine);
    await settle(arn);
    await edge.clock.advance(29);
    await settle(arn);
    expect((await describe(arn)).status).toBe('RUNNING');
    await edge.clock.advance(1);
    await settle(arn);

    const described = await describe(arn);
    expect(described).toMatchObject({ status: 'SUCCEEDED', output: '"timed out"' });
    expect(described.stopDate!.getTime() - t0).toBe(30_000);
    const events = await history(arn);
    expect(events.map((e) => e.type)).toContain('LambdaFunctionTimedOut');
    expect(
      events.find((e) => e.type === 'LambdaFunctionScheduled')?.lambdaFunctionScheduledEventDetails
        ?.timeoutInSeconds,
    ).toBe(30);
    await edge.clock.advance(60);
  });

  it("reports a function's own timeout as Lambda.Unknown: States.TaskFailed matches it, States.Timeout does not", async () => {
    functions.set('snapshot-volumes', () => {
      throw new LambdaTimeoutError('snapshot-volumes', 'c0ffee00-0000-4000-8000-000000000000', 60);
    });
    const machine = await createMachine({
      StartAt: 'Snapshot',
      States: {
        Snapshot: {
          Type: 'Task',
          Resource: fn('snapshot-volumes'),
          Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 3 }],
          Catch: [
            { ErrorEquals: ['States.Timeout'], Next: 'StateTimedOut' },
            { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'FunctionFailed' },
          ],
          End: true,
        },
        StateTimedOut: { Type: 'Pass', Result: 'state timed out', End: true },
        FunctionFailed: { Type: 'Pass', OutputPath: '$.error', End: true },
      },
    });

    const arn = await start(machine);
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    const described = await describe(arn);
    expect(described.status).toBe('SUCCEEDED');
    const caught = JSON.parse(described.output!) as { Error: string; Cause: string };
    expect(caught.Error).toBe('Lambda.Unknown');
    expect(JSON.parse(caught.Cause)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage:
        'RequestId: c0ffee00-0000-4000-8000-000000000000 Error: Task timed out after 60.00 seconds',
    });
    // Lambda answered, with a function error: not the Task's own TimeoutSeconds, and no retry.
    expect(calls).toHaveLength(1);
    const events = await history(arn);
    expect(events.map((e) => e.type)).toContain('LambdaFunctionFailed');
    expect(events.map((e) => e.type)).not.toContain('LambdaFunctionTimedOut');
  });

  it('times the execution out after its TimeoutSeconds on the simulated clock', async () => {
    const machine = await createMachine({
      TimeoutSeconds: 300,
      StartAt: 'WaitForCoverage',
      States: { WaitForCoverage: { Type: 'Wait', Seconds: 3600, End: true } },
    });
    const t0 = edge.clock.nowMillis();

    const arn = await start(machine);
    await settle(arn);
    await edge.clock.advance(300);
    await settle(arn);

    const described = await describe(arn);
    expect(described).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(described.stopDate!.getTime() - t0).toBe(300_000);
    expect((await types(arn)).slice(-2)).toEqual(['WaitStateAborted', 'ExecutionTimedOut']);
  });

  it('stops an execution: ABORTED at once with the caller error and cause, and nothing runs afterwards', async () => {
    functions.set('terminate-builder', () => 'terminated');
    const machine = await createMachine({
      StartAt: 'Hold',
      States: {
        Hold: { Type: 'Wait', Seconds: 3600, Next: 'Cleanup' },
        Cleanup: { Type: 'Task', Resource: fn('terminate-builder'), End: true },
      },
    });
    const arn = await start(machine);
    await settle(arn);

    const stopped = await client.send(
      new StopExecutionCommand({
        executionArn: arn,
        error: 'OperatorCancelled',
        cause: 'superseded by build 42',
      }),
    );
    await edge.clock.advance(7200);
    await settle(arn);

    expect(stopped.stopDate).toEqual((await describe(arn)).stopDate);
    expect(await describe(arn)).toMatchObject({
      status: 'ABORTED',
      error: 'OperatorCancelled',
      cause: 'superseded by build 42',
    });
    expect(calls).toHaveLength(0);
    const events = await history(arn);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['WaitStateAborted', 'ExecutionAborted']);
    expect(events.at(-1)?.executionAbortedEventDetails).toEqual({
      error: 'OperatorCancelled',
      cause: 'superseded by build 42',
    });
  });

  it('answers a repeated StartExecution as AWS does: same name and input while running is the same execution', async () => {
    const machine = await createMachine({
      StartAt: 'Hold',
      States: { Hold: { Type: 'Wait', Seconds: 60, End: true } },
    });
    const first = await client.send(
      new StartExecutionCommand({
        stateMachineArn: machine,
        name: 'build-golden-1',
        input: '{"family":"golden"}',
      }),
    );

    const again = await client.send(
      new StartExecutionCommand({
        stateMachineArn: machine,
        name: 'build-golden-1',
        input: '{"family":"golden"}',
      }),
    );
    const otherInput = client.send(
      new StartExecutionCommand({
        stateMachineArn: machine,
        name: 'build-golden-1',
        input: '{"family":"app"}',
      }),
    );

    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    await expect(otherInput).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: machine }));
    expect(listed.executions).toHaveLength(1);

    // Once closed, the name stays taken (for any input) until the closed execution's 90 days are over.
    await sfn.waitForExecution(first.executionArn!, { maxAdvanceSeconds: 60 });
    await expect(
      client.send(
        new StartExecutionCommand({
          stateMachineArn: machine,
          name: 'build-golden-1',
          input: '{"family":"golden"}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await edge.clock.advance(90 * 24 * 3600);
    const reused = await client.send(
      new StartExecutionCommand({
        stateMachineArn: machine,
        name: 'build-golden-1',
        input: '{"family":"golden"}',
      }),
    );
    expect(reused.executionArn).toBe(first.executionArn);
    expect(reused.startDate!.getTime() - first.startDate!.getTime()).toBe((60 + 90 * 24 * 3600) * 1000);
    await sfn.waitForExecution(reused.executionArn!, { maxAdvanceSeconds: 60 });
  });

  it('waits for a polling loop to finish by advancing the clock in bounded steps, and says where one is stuck', async () => {
    let polls = 0;
    functions.set('image-state', () => ({ state: ++polls >= 3 ? 'available' : 'pending' }));
    const machine = await createMachine({
      StartAt: 'Poll',
      States: {
        Poll: { Type: 'Wait', Seconds: 300, Next: 'Check' },
        Check: { Type: 'Task', Resource: fn('image-state'), Next: 'Available?' },
        'Available?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.state', StringEquals: 'available', Next: 'Done' }],
          Default: 'Poll',
        },
        Done: { Type: 'Succeed' },
      },
    });
    const t0 = edge.clock.nowMillis();

    const stuck = await start(machine);
    await expect(sfn.waitForExecution(stuck, { maxAdvanceSeconds: 100 })).rejects.toThrow(
      /still RUNNING \(in Poll\)/,
    );
    const done = await sfn.waitForExecution(stuck, { maxAdvanceSeconds: 3600 });

    expect(done.status).toBe('SUCCEEDED');
    expect(done.stopDate!.getTime() - t0).toBe(900_000);
    expect(calls.map(since(t0))).toEqual([300, 600, 900]);
  });

  it('paces the retry of a Map state on the simulated clock', async () => {
    let calls429 = 0;
    functions.set('deprecate-image', () => {
      if (++calls429 === 1) throw new TransientError('throttled');
      return 'deprecated';
    });
    const machine = await createMachine({
      StartAt: 'Deprecate',
      States: {
        Deprecate: {
          Type: 'Map',
          ItemsPath: '$.images',
          ItemProcessor: {
            StartAt: 'DeprecateOne',
            States: { DeprecateOne: { Type: 'Task', Resource: fn('deprecate-image'), End: true } },
          },
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 60, MaxAttempts: 1 }],
          End: true,
        },
      },
    });
    const t0 = edge.clock.nowMillis();

    const arn = await start(machine, { images: ['ami-1'] });
    await settle(arn);
    await edge.clock.advance(59);
    await settle(arn);
    expect(calls).toHaveLength(1);
    await edge.clock.advance(1);
    await settle(arn);

    expect(await describe(arn)).toMatchObject({ status: 'SUCCEEDED', output: '["deprecated"]' });
    expect(calls.map(since(t0))).toEqual([0, 60]);
  });

  it('abandons the remaining Map iterations when one fails, as AWS does: no further Lambda calls', async () => {
    functions.set('retire-image', (p) => {
      if (p === 'ami-1') throw new Error('snapshot in use');
      return 'retired';
    });
    const machine = await createMachine({
      StartAt: 'Retire',
      States: {
        Retire: {
          Type: 'Map',
          MaxConcurrency: 1,
          ItemProcessor: {
            StartAt: 'Pace',
            States: {
              Pace: { Type: 'Wait', Seconds: 10, Next: 'RetireOne' },
              RetireOne: { Type: 'Task', Resource: fn('retire-image'), End: true },
            },
          },
          End: true,
        },
      },
    });

    const arn = await start(machine, ['ami-1', 'ami-2', 'ami-3']);
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 60 });
    await edge.clock.advance(60);
    await settle(arn);

    expect(await describe(arn)).toMatchObject({ status: 'FAILED', error: 'Error' });
    expect(calls.map((c) => c.payload)).toEqual(['ami-1']);
    const kinds = await types(arn);
    expect(kinds.slice(-2)).toEqual(['MapStateFailed', 'ExecutionFailed']);
    expect(kinds.filter((k) => k === 'MapIterationStarted')).toHaveLength(1);
  });

  it('gives the context object the simulated start time and the execution input, inside Map iterations too', async () => {
    const machine = await createMachine({
      StartAt: 'Stamp',
      States: {
        Stamp: {
          Type: 'Pass',
          Parameters: {
            'startedAt.$': '$$.Execution.StartTime',
            'name.$': '$$.Execution.Name',
            'items.$': '$.items',
          },
          Next: 'Each',
        },
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            StartAt: 'Inner',
            States: {
              Inner: {
                Type: 'Pass',
                Parameters: {
                  'family.$': '$$.Execution.Input.family',
                  'startedAt.$': '$$.Execution.StartTime',
                },
                End: true,
              },
            },
          },
          ResultPath: '$.inner',
          End: true,
        },
      },
    });
    const startedAt = edge.clock.now().toISOString();

    const arn = await start(machine, { family: 'golden-al2023', items: [1] }, 'stamped');
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    expect(JSON.parse((await describe(arn)).output!)).toEqual({
      startedAt,
      name: 'stamped',
      items: [1],
      inner: [{ family: 'golden-al2023', startedAt }],
    });
  });

  it('emits Step Functions Execution Status Change events for EventBridge', async () => {
    const machine = await createMachine({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });

    const arn = await start(machine, { family: 'golden-al2023' });
    await sfn.waitForExecution(arn, { maxAdvanceSeconds: 0 });

    const mine = edge.emitted.filter((e) => e.resources.includes(arn));
    expect(mine.map((e) => [e.source, e.detailType, e.detail.status])).toEqual([
      ['aws.states', 'Step Functions Execution Status Change', 'RUNNING'],
      ['aws.states', 'Step Functions Execution Status Change', 'SUCCEEDED'],
    ]);
    expect(mine[1]).toMatchObject({
      accountId: ACCOUNT,
      region: REGION,
      detail: { output: '{"family":"golden-al2023"}' },
    });
  });
});
