import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FaultInjector } from '../../src/faults';
import { EventsService } from '../../src/services/events';
import { startTestEdge } from '../../src/testing/edge-harness';

export const ACCOUNT = '111111111111';
export const REGION = 'eu-west-1';
export const lambdaArn = (name: string, account = ACCOUNT) =>
  `arn:aws:lambda:${REGION}:${account}:function:${name}`;
export const stateMachineArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/ami-lifecycle-events`;
export const DLQ_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:ami-lifecycle-dlq`;

/** One call a fake target received, with the simulated time it arrived. */
export interface TargetCall {
  arn: string;
  /** Lambda: the payload; Step Functions: the parsed input. */
  payload: unknown;
  /** Step Functions only: the input text as sent. */
  input?: string;
  at: string;
}

/**
 * An edge with only EventBridge on it, whose targets are recording fakes: `failures` makes a Lambda ARN
 * throw (a number counts down the failing calls; `Infinity` fails for good).
 */
export const startEventBridge = async () => {
  const lambdaCalls: TargetCall[] = [];
  const executions: TargetCall[] = [];
  const failures = new Map<string, { remaining: number; error: () => Error }>();
  /** What reached a dead-letter queue, as SQS would hold it. */
  const queued: { queueArn: string; body: string; attributes: Record<string, string> }[] = [];
  let faults!: FaultInjector;
  const edge = await startTestEdge((ctx) => {
    // Its own injector on the edge's clock, as the cloud's: for `duplicates` rules.
    faults = new FaultInjector(ctx.clock);
    return [
      new EventsService(ctx, {
        invokeLambda: async (arn, payload) => {
          lambdaCalls.push({ arn, payload, at: ctx.clock.now().toISOString() });
          const failure = failures.get(arn);
          if (failure && failure.remaining > 0) {
            failure.remaining--;
            throw failure.error();
          }
          return { StatusCode: 202 };
        },
        startExecution: async (arn, input) => {
          executions.push({ arn, payload: JSON.parse(input), input, at: ctx.clock.now().toISOString() });
          return { executionArn: `${arn.replace(':stateMachine:', ':execution:')}:x` };
        },
        sendToQueue: (queueArn, body, attributes) => {
          if (queueArn !== DLQ_ARN) throw new Error(`The specified queue does not exist: ${queueArn}`);
          queued.push({ queueArn, body, attributes });
        },
        faults,
      }),
    ];
  });
  const client = new EventBridgeClient({ ...edge.clientConfig, maxAttempts: 1 });
  return {
    edge,
    client,
    service: edge.services[0] as EventsService,
    lambdaCalls,
    executions,
    queued,
    /** The fault injector delivery asks for copies of a delivery (`duplicates` rules). */
    faults,
    /** Lambda `arn` throws for its next `times` calls. */
    failLambda: (arn: string, times = Number.POSITIVE_INFINITY, error = () => new Error('Task timed out')) =>
      failures.set(arn, { remaining: times, error }),
    /** Runs deliveries due now (they start on the clock's next advance, as EventBridge's are asynchronous). */
    deliver: () => edge.clock.advance(0),
    close: async () => {
      client.destroy();
      await edge.close();
    },
  };
};

export type EventBridgeHarness = Awaited<ReturnType<typeof startEventBridge>>;
