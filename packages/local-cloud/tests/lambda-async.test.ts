import { join } from 'node:path';
import { type AsyncInvokeConfig, DEFAULT_ASYNC_INVOKE_CONFIG } from '../src/deploy/serverless-model';
import { LambdaRuntime } from '../src/lambda/runtime';
import { SimClock } from '../src/sim-clock';
import { attempts } from './fixtures/timeout/handlers/async';
import { START } from './helpers';

const FIXTURE = join(__dirname, 'fixtures', 'timeout');
const QUEUE = 'arn:aws:sqs:eu-west-1:111111111111:failures';

/** Lambda's asynchronous invocation (EventBridge's): retries, event age, and the failure destination. */
describe('asynchronous invocation', () => {
  let clock: SimClock;
  let sent: { arn: string; body: string }[];
  let queueExists: boolean;

  const runtimeWith = (config: Partial<AsyncInvokeConfig>) => {
    const runtime = new LambdaRuntime({
      root: FIXTURE,
      accountId: '111111111111',
      region: 'eu-west-1',
      clock,
      cloudEnv: {},
      sendToDestination: (arn, body) => {
        if (!queueExists) throw new Error('The specified queue does not exist.');
        sent.push({ arn, body });
      },
    });
    runtime.register({
      key: 'fails',
      name: 'async-test-fails',
      handler: { module: 'handlers/async', exportName: 'alwaysFails' },
      environment: {},
      timeoutSeconds: 60,
      rules: [],
      allowedActions: [],
      async: { ...DEFAULT_ASYNC_INVOKE_CONFIG, onFailure: QUEUE, ...config },
    });
    return runtime;
  };

  beforeEach(() => {
    clock = new SimClock(START);
    sent = [];
    queueExists = true;
    attempts.length = 0;
  });

  it('retries after one and then two minutes, every attempt with one request id, then sends the record', async () => {
    const runtime = runtimeWith({});

    const { requestId } = await runtime.invokeAsync('async-test-fails', { n: 1 });
    await clock.advance(0);
    await clock.advance(59);
    expect(attempts).toHaveLength(1);
    await clock.advance(1);
    expect(attempts).toHaveLength(2);
    await clock.advance(119);
    expect(attempts).toHaveLength(2);
    await clock.advance(1);

    expect(attempts.map((a) => a.requestId)).toEqual([requestId, requestId, requestId]);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body)).toMatchObject({
      requestContext: { requestId, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { n: 1 },
      responsePayload: { errorType: 'FixtureError', errorMessage: 'the fixture always fails' },
    });
  });

  it('makes no retry with maximumRetryAttempts 0', async () => {
    const runtime = runtimeWith({ maximumRetryAttempts: 0 });

    await runtime.invokeAsync('async-test-fails', {});
    await clock.advance(3600);

    expect(attempts).toHaveLength(1);
    expect(runtime.asyncFailures().map((f) => f.record.requestContext.condition)).toEqual([
      'RetriesExhausted',
    ]);
  });

  it('gives up when the next retry would start past the maximum event age', async () => {
    const runtime = runtimeWith({ maximumEventAgeSeconds: 90 });

    await runtime.invokeAsync('async-test-fails', {});
    await clock.advance(3600);

    // The first retry (at 60 s) is within 90 s; the second (at 180 s) is not.
    expect(attempts).toHaveLength(2);
    expect(runtime.asyncFailures()[0]?.record.requestContext).toMatchObject({
      condition: 'EventAgeExceeded',
      approximateInvokeCount: 2,
    });
  });

  it('keeps the failure, with why, when the destination does not take the record', async () => {
    queueExists = false;
    const runtime = runtimeWith({ maximumRetryAttempts: 0 });

    await runtime.invokeAsync('async-test-fails', {});
    await clock.advance(0);

    expect(sent).toEqual([]);
    expect(runtime.asyncFailures()).toEqual([
      expect.objectContaining({
        destination: QUEUE,
        destinationError: 'The specified queue does not exist.',
      }),
    ]);
  });

  it('refuses an unknown function before accepting anything', async () => {
    const runtime = runtimeWith({});

    await expect(runtime.invokeAsync('no-such-function', {})).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
