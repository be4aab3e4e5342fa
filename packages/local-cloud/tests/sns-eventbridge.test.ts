import {
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalCloud, startLocalCloud } from '../src';
import { attributeParams, snsClient } from './fixtures/sns/query-client';
import { control, START, TOOLING } from './helpers';

const REGION = 'eu-west-1';

/**
 * EventBridge rules with an SNS topic as their target: EventBridge publishes as its service principal,
 * `events.amazonaws.com`, with the rule as `aws:SourceArn`, so the topic's policy must allow it; a topic
 * that does not (SNS's default policy does not) refuses, and the event goes to the target's dead-letter
 * queue as any failed delivery does.
 */
describe('EventBridge rules that target an SNS topic', () => {
  let cloud: LocalCloud;
  let events: EventBridgeClient;
  let sqs: SQSClient;
  let sns: ReturnType<typeof snsClient>;
  let topicArn: string;
  const dlqUrl = () => `${cloud.endpoint}/${TOOLING}/rule-dlq`;
  const queueUrl = () => `${cloud.endpoint}/${TOOLING}/published-images`;
  const ruleArn = `arn:aws:events:${REGION}:${TOOLING}:rule/image-published`;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START, region: REGION });
    events = new EventBridgeClient({ ...cloud.clientConfig, maxAttempts: 1 });
    sqs = new SQSClient({ ...cloud.clientConfig, maxAttempts: 1 });
    sns = snsClient(cloud.endpoint);
    await sqs.send(new CreateQueueCommand({ QueueName: 'rule-dlq' }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'published-images' }));
    topicArn = (
      await sns('CreateTopic', { Name: 'image-notes', ...attributeParams({ DisplayName: 'AMIs' }) })
    ).get('TopicArn')!;
    await sns('Subscribe', {
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: `arn:aws:sqs:${REGION}:${TOOLING}:published-images`,
      ...attributeParams({ RawMessageDelivery: 'true' }),
    });
    await sns('Subscribe', { TopicArn: topicArn, Protocol: 'email', Endpoint: 'team@example.com' });
    await control(cloud, 'POST', '/_local/sns/confirm', { topicArn, endpoint: 'team@example.com' });

    await events.send(
      new PutRuleCommand({
        Name: 'image-published',
        EventPattern: JSON.stringify({ source: ['ami-lifecycle'], 'detail-type': ['Image Published'] }),
      }),
    );
    const put = await events.send(
      new PutTargetsCommand({
        Rule: 'image-published',
        Targets: [
          {
            Id: 'notify',
            Arn: topicArn,
            InputTransformer: {
              InputPathsMap: { image: '$.detail.imageId', stage: '$.detail.stage' },
              InputTemplate: '"Image <image> was published to <stage>"',
            },
            RetryPolicy: { MaximumRetryAttempts: 3 },
            DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${TOOLING}:rule-dlq` },
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
  });
  afterAll(async () => {
    events?.destroy();
    sqs?.destroy();
    await cloud?.stop();
  });

  const publishImage = async (imageId: string) => {
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'ami-lifecycle',
            DetailType: 'Image Published',
            Detail: JSON.stringify({ imageId, stage: 'prod' }),
          },
        ],
      }),
    );
    await cloud.clock.advance(0);
  };
  const receive = async (url: string) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      )
    ).Messages ?? [];
  const notifications = () => cloud.sns.messages({ topicArn }).filter((m) => m.kind === 'notification');

  it('keeps the topic as the target', async () => {
    const listed = await events.send(new ListTargetsByRuleCommand({ Rule: 'image-published' }));
    expect(listed.Targets).toEqual([
      expect.objectContaining({ Id: 'notify', Arn: topicArn, InputTransformer: expect.any(Object) }),
    ]);
  });

  it('is refused by a topic whose policy does not allow EventBridge, and dead-letters the event at once', async () => {
    await publishImage('ami-denied');

    expect(notifications()).toEqual([]);
    const [dead] = await receive(dlqUrl());
    expect(JSON.parse(dead!.Body!)).toMatchObject({ detail: { imageId: 'ami-denied' } });
    expect(dead!.MessageAttributes).toMatchObject({
      ERROR_CODE: { StringValue: 'AuthorizationError' },
      RULE_ARN: { StringValue: ruleArn },
      TARGET_ARN: { StringValue: topicArn },
      // Not retried: retrying cannot help a refused permission.
      RETRY_ATTEMPTS: { StringValue: '0' },
    });
    expect(dead!.MessageAttributes!.ERROR_MESSAGE!.StringValue).toBe(
      `User: events.amazonaws.com is not authorized to perform: sns:Publish on resource: ${topicArn} because no resource-based policy allows the sns:Publish action`,
    );
    expect(cloud.services.events.deliveries().at(-1)).toMatchObject({
      targetArn: topicArn,
      outcome: 'dead-lettered',
      attempts: 1,
    });
  });

  it("publishes the transformer's output as it is, without a subject, once the policy allows the rule", async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'rule-publishes',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topicArn,
          Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
        },
      ],
    };
    const set = await sns('SetTopicAttributes', {
      TopicArn: topicArn,
      AttributeName: 'Policy',
      AttributeValue: JSON.stringify(policy),
    });
    expect(set.status).toBe(200);

    await publishImage('ami-0abc');

    // A text template's output, quotes and all, as EventBridge sends it.
    const expected = '"Image ami-0abc was published to prod"';
    expect((await receive(queueUrl())).map((m) => m.Body)).toEqual([expected]);
    expect(notifications()).toEqual([
      expect.objectContaining({ protocol: 'sqs', message: expected, subject: null }),
      expect.objectContaining({
        protocol: 'email',
        endpoint: 'team@example.com',
        message: expected,
        subject: null,
        email: { from: 'AMIs <no-reply@sns.amazonaws.com>', subject: 'AWS Notification Message' },
      }),
    ]);
    expect(cloud.services.events.deliveries().at(-1)).toMatchObject({
      targetArn: topicArn,
      outcome: 'delivered',
    });
  });

  it('publishes the whole event as JSON from a target without input, if the policy allows that rule too', async () => {
    await events.send(
      new PutRuleCommand({
        Name: 'image-retired',
        EventPattern: JSON.stringify({ 'detail-type': ['Image Retired'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: 'image-retired', Targets: [{ Id: 'notify', Arn: topicArn }] }),
    );
    const retire = async () => {
      await events.send(
        new PutEventsCommand({
          Entries: [
            { Source: 'ami-lifecycle', DetailType: 'Image Retired', Detail: '{"imageId":"ami-old"}' },
          ],
        }),
      );
      await cloud.clock.advance(0);
    };

    // The policy names the first rule only: this one is refused (and has no dead-letter queue).
    await retire();
    expect(cloud.services.events.deliveries().at(-1)).toMatchObject({
      rule: 'image-retired',
      outcome: 'failed',
      error: expect.stringContaining('not authorized to perform: sns:Publish'),
    });
    expect(await receive(queueUrl())).toEqual([]);

    await sns('SetTopicAttributes', {
      TopicArn: topicArn,
      AttributeName: 'Policy',
      AttributeValue: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicArn,
            Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:events:${REGION}:${TOOLING}:rule/image-*` } },
          },
        ],
      }),
    });
    await retire();
    const [m] = await receive(queueUrl());
    expect(JSON.parse(m!.Body!)).toMatchObject({
      source: 'ami-lifecycle',
      'detail-type': 'Image Retired',
      detail: { imageId: 'ami-old' },
      account: TOOLING,
    });
  });
});
