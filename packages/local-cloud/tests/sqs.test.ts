import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type LocalCloud, startLocalCloud } from '../src';

describe('SQS on the local cloud, through the SDK', () => {
  let cloud: LocalCloud;
  let sqs: SQSClient;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: '2026-03-01T00:00:00.000Z' });
    sqs = new SQSClient(cloud.clientConfig);
  });
  afterAll(() => cloud?.stop());

  let n = 0;
  const newQueue = async (attributes: Record<string, string> = {}) => {
    n++;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `q-${n}`, Attributes: attributes }),
    );
    return QueueUrl!;
  };
  const receive = (QueueUrl: string, extra: object = {}) =>
    sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          ...extra,
        }),
      )
      .then((r) => r.Messages ?? []);

  it('creates a queue once: the same name and attributes answer the same URL, different ones are refused', async () => {
    const url = await newQueue({ VisibilityTimeout: '45' });
    const again = await sqs.send(
      new CreateQueueCommand({ QueueName: `q-${n}`, Attributes: { VisibilityTimeout: '45' } }),
    );

    expect(again.QueueUrl).toBe(url);
    expect(url).toBe(`${cloud.endpoint}/${cloud.accounts.defaultAccountId}/q-${n}`);
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: `q-${n}`, Attributes: { VisibilityTimeout: '10' } })),
    ).rejects.toMatchObject({ name: 'QueueNameExists' });
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: `q-${n}` }))).QueueUrl).toBe(url);
  });

  it('refuses bad names and attribute values, naming them', async () => {
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'has space' }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: 'q-bad', Attributes: { MessageRetentionPeriod: '30' } })),
    ).rejects.toThrow(/MessageRetentionPeriod/);
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: 'q-bad', Attributes: { Colour: 'blue' } as never })),
    ).rejects.toMatchObject({ name: 'InvalidAttributeName' });
  });

  it('sends and receives a message with its attributes, body checksum and system attributes', async () => {
    const QueueUrl = await newQueue();
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'InvalidEventError' } },
      }),
    );

    // The SDK checks MD5OfMessageBody on send and receive: a wrong one would have thrown.
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const [m] = await receive(QueueUrl);
    expect(m).toMatchObject({
      MessageId: sent.MessageId,
      Body: '{"hello":"world"}',
      MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'InvalidEventError' } },
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      Attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.parse('2026-03-01T00:00:00.000Z')),
      },
    });
  });

  it('hides a received message for its visibility timeout on the simulated clock, then shows it again', async () => {
    const QueueUrl = await newQueue({ VisibilityTimeout: '30' });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));

    expect(await receive(QueueUrl)).toHaveLength(1);
    expect(await receive(QueueUrl)).toHaveLength(0);
    await cloud.clock.advance(29);
    expect(await receive(QueueUrl)).toHaveLength(0);
    await cloud.clock.advance(1);
    const [again] = await receive(QueueUrl);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('deletes a message only by the handle of its latest receive, and changes its visibility while in flight', async () => {
    const QueueUrl = await newQueue({ VisibilityTimeout: '30' });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    const [first] = await receive(QueueUrl);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: first!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [second] = await receive(QueueUrl);

    // The first handle is stale: the delete succeeds, as on SQS, but the message stays.
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first!.ReceiptHandle }));
    await cloud.clock.advance(30);
    expect(await receive(QueueUrl)).toHaveLength(1);
    await cloud.clock.advance(30);
    const [third] = await receive(QueueUrl);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: third!.ReceiptHandle }));
    await cloud.clock.advance(30);
    expect(await receive(QueueUrl)).toHaveLength(0);
    expect(second?.MessageId).toBe(first?.MessageId);
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'not-a-handle' })),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });

  it('counts messages, drops them past the retention period, and purges', async () => {
    const QueueUrl = await newQueue({ MessageRetentionPeriod: '60' });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b', DelaySeconds: 10 }));
    const counts = async () =>
      (
        await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed', 'QueueArn'],
          }),
        )
      ).Attributes;

    expect(await counts()).toEqual({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      QueueArn: `arn:aws:sqs:${cloud.region}:${cloud.accounts.defaultAccountId}:q-${n}`,
    });
    await cloud.clock.advance(60);
    expect(await counts()).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'c' }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect(await receive(QueueUrl)).toEqual([]);
  });

  it('refuses a message it could not deliver as sent: invalid characters, too large, too many attributes', async () => {
    const QueueUrl = await newQueue({ MaximumMessageSize: '1024' });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'bell \u0007' })),
    ).rejects.toMatchObject({
      name: 'InvalidMessageContents',
    });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(1025) })),
    ).rejects.toThrow(/shorter than 1024 bytes/);
    const eleven = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`A${i}`, { DataType: 'String', StringValue: 'v' }]),
    );
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes: eleven })),
    ).rejects.toThrow(/exceeds the allowed maximum \[10\]/);
    expect(await receive(QueueUrl)).toEqual([]);
  });

  it("answers QueueDoesNotExist for an unknown queue and AccessDenied for another account's", async () => {
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nobody' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: `${cloud.endpoint}/999999999999/q-1`, MessageBody: 'x' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('accepts an AWS-shaped queue URL (its Region from the host), as handlers configured for AWS send', async () => {
    const QueueUrl = await newQueue();
    const aws = `https://sqs.${cloud.region}.amazonaws.com/${cloud.accounts.defaultAccountId}/q-${n}`;
    const client = new SQSClient({ ...cloud.clientConfig, useQueueUrlAsEndpoint: false });

    await client.send(new SendMessageCommand({ QueueUrl: aws, MessageBody: 'via the AWS URL' }));

    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['via the AWS URL']);
  });

  it('lists queues by prefix and deletes them', async () => {
    const QueueUrl = await newQueue();
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `q-${n}` }));
    expect(listed.QueueUrls).toEqual([QueueUrl]);

    await sqs.send(new DeleteQueueCommand({ QueueUrl }));

    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `q-${n}` }))).QueueUrls).toBeUndefined();
  });
});
