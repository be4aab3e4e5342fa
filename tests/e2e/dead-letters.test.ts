import { REJECTED_EVENT_KIND } from '@ami-lifecycle/lambda-kit';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { amictlOn } from '../../scripts/amictl-on';
import type { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { startStage } from './support/stage';

// Its own stage: its own table, bus and queue, apart from the other suites sharing DynamoDB Local.
const STAGE = 'e2e-dlq';

describe('events a function refuses or keeps failing, on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let sqs: SQSClient;
  let queueUrl: string;
  // Refusals and failures are logged at error level with their stacks; only worse is of interest here.
  const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
    ({ cloud, pipeline } = await startStage(
      STAGE,
      ['golden-al2023'],
      '2026-03-01T09:00:00.000Z',
      dynamoDbEndpoint(),
    ));
    sqs = new SQSClient(cloud.clientConfig);
    queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `ami-lifecycle-${STAGE}-events-dlq` })))
      .QueueUrl!;
  }, 120_000);
  afterAll(async () => {
    await cloud?.stop();
    if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
  });

  /** Every message in the queue, each received once and deleted, so each test reads only its own. */
  const drainQueue = async (): Promise<Message[]> => {
    const all: Message[] = [];
    for (let i = 0; i < 20; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) return all;
      for (const m of Messages) {
        all.push(m);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
    throw new Error('the dead-letter queue did not run dry in 20 receives');
  };

  const buildExecutions = async () =>
    (
      await new SFNClient(cloud.clientConfig).send(
        new ListExecutionsCommand({
          stateMachineArn: `arn:aws:states:${cloud.region}:${cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-build`,
        }),
      )
    ).executions ?? [];

  it('keeps a malformed Build Requested in the dead-letter queue at once, naming the field, and starts nothing', async () => {
    // Act: delivered once, no retry waited for.
    await pipeline.put('Build Requested', {
      schemaVersion: 1,
      family: 'golden-al2023',
      correlationId: 'corr-bad',
      idempotencyKey: 'bad-1',
      occurredAt: cloud.clock.now().toISOString(),
      reason: 'manual',
      requestedBy: 'e2e',
      force: 'yes',
    });
    await cloud.clock.advance(0);

    // Assert: where an operator looks first, then in the queue itself.
    const local = (await (await fetch(`${cloud.endpoint}/_local/events`)).json()) as {
      queues: { queueArn: string; messages: { Body: string }[] }[];
    };
    const dlq = local.queues.find((q) => q.queueArn.endsWith(`:ami-lifecycle-${STAGE}-events-dlq`));
    expect(dlq?.messages.map((m) => JSON.parse(m.Body).error.issues)).toEqual([
      [expect.objectContaining({ path: 'detail.force' })],
    ]);
    // And as amictl lists it, the field named.
    const listed = await amictlOn(pipeline, cloud.region)('events', 'rejected', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({
        kind: 'rejected',
        by: `ami-lifecycle-${STAGE}-requestBuild`,
        detailType: 'Build Requested',
        family: 'golden-al2023',
        fields: ['detail.force'],
      }),
    ]);
    const [message, ...others] = await drainQueue();
    expect(others).toEqual([]);
    expect(message?.MessageAttributes).toMatchObject({
      KIND: { StringValue: REJECTED_EVENT_KIND },
      REASON: { StringValue: 'invalid' },
      REJECTED_BY: { StringValue: `ami-lifecycle-${STAGE}-requestBuild` },
      ERROR_MESSAGE: { StringValue: expect.stringContaining('detail.force') },
    });
    const record = JSON.parse(message!.Body!);
    expect(record).toMatchObject({
      kind: REJECTED_EVENT_KIND,
      reason: 'invalid',
      rejectedAt: cloud.clock.now().toISOString(),
      error: { issues: [expect.objectContaining({ path: 'detail.force' })] },
      event: { 'detail-type': 'Build Requested', detail: expect.objectContaining({ force: 'yes' }) },
    });
    expect(await buildExecutions()).toEqual([]);
    expect(cloud.lambda?.invocations().filter((i) => i.functionName.endsWith('-requestBuild'))).toEqual([
      expect.objectContaining({ outcome: 'succeeded' }),
    ]);
  });

  it('keeps a request for a family without a config there at once too, and starts no execution', async () => {
    await pipeline.requestBuild('golden-nobody-configured', 'unknown-family-1');
    await cloud.clock.advance(0);

    const messages = await drainQueue();
    expect(messages.map((m) => JSON.parse(m.Body!))).toEqual([
      expect.objectContaining({
        reason: 'refused',
        error: expect.objectContaining({
          name: 'FamilyNotConfiguredError',
          message: expect.stringContaining('golden-nobody-configured'),
        }),
        event: expect.objectContaining({
          detail: expect.objectContaining({ idempotencyKey: 'unknown-family-1' }),
        }),
      }),
    ]);
    expect(await buildExecutions()).toEqual([]);
  });

  it('refuses, at the bus, an event put by a role outside the deployment: its policy denies it', async () => {
    const { Credentials } = await new STSClient(cloud.clientConfig).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${cloud.accounts.defaultAccountId}:role/ci-deployer`,
        RoleSessionName: 'forger',
      }),
    );
    const forger = new EventBridgeClient({
      ...cloud.clientConfig,
      maxAttempts: 1,
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    });
    const before = cloud.services.events.ingested().length;

    await expect(
      forger.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'ami-lifecycle',
              DetailType: 'Build Requested',
              Detail: JSON.stringify({ family: 'golden-al2023' }),
              EventBusName: `ami-lifecycle-${STAGE}`,
            },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });

    expect(cloud.deployment?.busPolicies).toEqual(['EventBusPolicy (only-this-deployment-puts-events)']);
    expect(cloud.services.events.ingested()).toHaveLength(before);
  });

  it('retries a function that keeps failing twice, as Lambda does, then keeps its failure record there', async () => {
    // Arrange: Step Functions refuses every StartExecution, so requestBuild fails each attempt.
    await pipeline.injectFault({
      service: 'states',
      operation: 'StartExecution',
      errorRate: 1,
      errorCode: 'ServiceUnavailable',
    });
    const attempts = () =>
      (cloud.lambda?.invocations() ?? []).filter(
        (i) => i.functionName.endsWith('-requestBuild') && i.outcome === 'failed',
      ).length;

    // Act
    const { detail } = await pipeline.requestBuild('golden-al2023', 'dead-letter-1');
    await cloud.clock.advance(0);
    const first = attempts();
    await cloud.clock.advance(60);
    const second = attempts();
    await cloud.clock.advance(120);
    const third = attempts();
    await cloud.clock.advance(3600);

    // Assert: three attempts a minute and two minutes apart, then one failure record, and no more.
    expect([first, second, third, attempts()]).toEqual([1, 2, 3, 3]);
    const messages = await drainQueue();
    expect(messages.map((m) => JSON.parse(m.Body!))).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
          functionArn: expect.stringContaining(`function:ami-lifecycle-${STAGE}-requestBuild`),
        }),
        requestPayload: expect.objectContaining({ detail }),
        responsePayload: {
          errorType: 'ServiceUnavailable',
          errorMessage: expect.stringContaining('StartExecution'),
        },
      }),
    ]);
    // Lambda took the event each time: nothing for EventBridge to retry or dead-letter.
    expect(cloud.services.events.deadLetters()).toEqual([]);
    const local = (await (await fetch(`${cloud.endpoint}/_local/events`)).json()) as {
      lambdaFailures: { functionName: string; destination: string }[];
    };
    expect(local.lambdaFailures).toEqual([
      expect.objectContaining({
        functionName: `ami-lifecycle-${STAGE}-requestBuild`,
        destination: expect.stringContaining(`:ami-lifecycle-${STAGE}-events-dlq`),
      }),
    ]);
    await pipeline.injectFault({ clear: true });
  });
});
