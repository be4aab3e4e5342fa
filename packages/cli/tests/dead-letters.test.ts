import { MemoryDeadLetters, REJECTED_EVENT_KIND } from '@ami-lifecycle/lambda-kit';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type DeadLetterReader,
  describeDeadLetter,
  type RawDeadLetter,
  sqsDeadLetterReader,
} from '../src/dead-letter-commands';
import { createWorld } from './support/world';

const EVENT = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Build Requested',
  source: 'ami-lifecycle',
  detail: { family: 'golden-al2023', force: 'yes' },
};

/** What each of the three writers puts in the queue, as it would. */
const rejected = async (): Promise<RawDeadLetter> => {
  const sink = new MemoryDeadLetters();
  await sink.send({
    kind: REJECTED_EVENT_KIND,
    version: 1,
    reason: 'invalid',
    functionName: 'ami-lifecycle-dev-requestBuild',
    requestId: 'r-1',
    rejectedAt: '2026-03-01T10:00:00.000Z',
    error: {
      name: 'InvalidEventError',
      message: 'event for request-build is invalid: detail.force: Expected boolean',
      issues: [{ path: 'detail.force', message: 'Expected boolean' }],
    },
    event: EVENT,
  });
  return {
    messageId: 'm-1',
    body: JSON.stringify(sink.records[0]),
    attributes: {},
    sentAt: '2026-03-01T10:00:01.000Z',
  };
};
const failed: RawDeadLetter = {
  messageId: 'm-2',
  sentAt: '2026-03-01T10:03:00.000Z',
  attributes: {},
  body: JSON.stringify({
    version: '1.0',
    timestamp: '2026-03-01T10:03:00.000Z',
    requestContext: {
      requestId: 'r-2',
      functionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:ami-lifecycle-dev-requestBuild:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: EVENT,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'ServiceUnavailable', errorMessage: 'StartExecution failed' },
  }),
};
const undelivered: RawDeadLetter = {
  messageId: 'm-3',
  sentAt: '2026-03-02T10:00:00.000Z',
  body: JSON.stringify(EVENT),
  attributes: {
    RULE_ARN:
      'arn:aws:events:eu-west-1:111111111111:rule/ami-lifecycle-dev/ami-lifecycle-dev-requestBuild-rule-1',
    TARGET_ARN: 'arn:aws:lambda:eu-west-1:111111111111:function:ami-lifecycle-dev-requestBuild',
    ERROR_CODE: 'ResourceNotFoundException',
    ERROR_MESSAGE: 'Function not found',
    EXHAUSTED_RETRY_CONDITION: 'None',
    RETRY_ATTEMPTS: '0',
  },
};

describe('a dead letter, as an operator reads it', () => {
  it('names a refused event: the function, the event, the family, the fields and why', async () => {
    expect(describeDeadLetter(await rejected())).toEqual({
      messageId: 'm-1',
      sentAt: '2026-03-01T10:00:01.000Z',
      kind: 'rejected',
      by: 'ami-lifecycle-dev-requestBuild',
      detailType: 'Build Requested',
      family: 'golden-al2023',
      why: 'InvalidEventError: event for request-build is invalid: detail.force: Expected boolean',
      fields: ['detail.force'],
      event: EVENT,
    });
  });

  it("names a function's failure after Lambda's retries, and an event EventBridge could not deliver", () => {
    expect(describeDeadLetter(failed)).toMatchObject({
      kind: 'failed',
      by: 'ami-lifecycle-dev-requestBuild',
      why: 'ServiceUnavailable: StartExecution failed (RetriesExhausted, 3 attempts)',
      event: EVENT,
    });
    expect(describeDeadLetter(undelivered)).toMatchObject({
      kind: 'undelivered',
      by: 'ami-lifecycle-dev-requestBuild-rule-1',
      detailType: 'Build Requested',
      why: 'ResourceNotFoundException: Function not found (None)',
      event: EVENT,
    });
  });

  it('shows a message none of them wrote as unreadable, with its body, instead of failing the listing', () => {
    expect(describeDeadLetter({ messageId: 'm-4', body: 'not json', attributes: {} })).toMatchObject({
      kind: 'unreadable',
      event: 'not json',
    });
  });
});

describe('amictl events rejected', () => {
  const reader = (messages: RawDeadLetter[]): DeadLetterReader & { asked: number[] } => {
    const asked: number[] = [];
    return {
      asked,
      peek: async (max) => {
        asked.push(max);
        return messages.slice(0, max);
      },
    };
  };

  it('lists them oldest first in a table, the fields a malformed event was refused for included', async () => {
    const world = await createWorld();
    world.deps.deadLetters = reader([undelivered, failed, await rejected()]);

    expect(await world.run('events', 'rejected')).toBe(0);

    expect(world.out[0]).toMatch(/^SENT\s+KIND\s+BY\s+EVENT\s+FAMILY\s+FIELDS\s+WHY$/);
    expect(world.out.slice(1).map((l) => l.split(/\s{2,}/).slice(1, 2)[0])).toEqual([
      'rejected',
      'failed',
      'undelivered',
    ]);
    expect(world.out[1]).toContain('detail.force');
  });

  it('prints JSON with each event, to re-drive it, and passes --limit on', async () => {
    const world = await createWorld();
    const r = reader([failed, undelivered]);
    world.deps.deadLetters = r;

    expect(await world.run('events', 'rejected', '--json', '--limit', '1')).toBe(0);

    expect(r.asked).toEqual([1]);
    expect(JSON.parse(world.out.join('\n'))).toEqual([
      expect.objectContaining({ kind: 'failed', event: EVENT }),
    ]);
  });

  it('says so when the queue is empty, and refuses a bad --limit as bad usage', async () => {
    const world = await createWorld();
    world.deps.deadLetters = reader([]);

    expect(await world.run('events', 'rejected')).toBe(0);
    expect(world.out).toEqual(['No dead letters: every event was taken.']);
    expect(await world.run('events', 'rejected', '--limit', '0')).toBe(2);
  });
});

describe('reading the queue over SQS', () => {
  let cloud: LocalCloud;
  let sqs: SQSClient;
  let url: string;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: '2026-03-01T10:00:00.000Z' });
    sqs = new SQSClient(cloud.clientConfig);
    url = (await sqs.send(new CreateQueueCommand({ QueueName: 'ami-lifecycle-dev-events-dlq' }))).QueueUrl!;
    for (let i = 0; i < 25; i++) {
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ n: i }) }));
    }
  });
  afterAll(() => cloud?.stop());

  it('reads every message, or as many as asked, and leaves each in the queue, visible', async () => {
    const peek = sqsDeadLetterReader(sqs, async () => url);

    const all = await peek.peek(100);
    const five = await peek.peek(5);

    expect(new Set(all.map((m) => JSON.parse(m.body).n)).size).toBe(25);
    expect(all[0]?.sentAt).toBe('2026-03-01T10:00:00.000Z');
    expect(five).toHaveLength(5);
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(again.Messages).toHaveLength(10);
  });
});
