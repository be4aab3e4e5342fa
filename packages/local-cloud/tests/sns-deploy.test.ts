import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalCloud, startLocalCloud } from '../src';
import { received } from './fixtures/sns/handlers/notes';
import { snsClient } from './fixtures/sns/query-client';
import { control, START, TOOLING } from './helpers';

const FIXTURE = join(__dirname, 'fixtures', 'sns', 'serverless.yml');
const REGION = 'eu-west-1';
const TOPIC = `arn:aws:sns:${REGION}:${TOOLING}:notes-test-notes`;

describe('SNS resources of a serverless.yml, deployed on the local cloud', () => {
  let cloud: LocalCloud;
  let sns: ReturnType<typeof snsClient>;
  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      start: START,
      region: REGION,
      deploy: { serverlessFile: FIXTURE },
    });
    sns = snsClient(cloud.endpoint);
  }, 60_000);
  afterAll(() => cloud?.stop());

  const inbox = async () => {
    const sqs = new SQSClient({ ...cloud.clientConfig, maxAttempts: 1 });
    try {
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: `${cloud.endpoint}/${TOOLING}/notes-inbox`,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
        }),
      );
      return r.Messages ?? [];
    } finally {
      sqs.destroy();
    }
  };

  it('creates the topics, their subscriptions and the policy, and counts them in the health check', async () => {
    expect(cloud.deployment).toMatchObject({
      topics: [TOPIC, `arn:aws:sns:${REGION}:${TOOLING}:notes-test-Unnamed`],
      subscriptions: [
        expect.stringMatching(new RegExp(`^${TOPIC}:[0-9a-f-]{36}$`)),
        expect.stringMatching(new RegExp(`^${TOPIC}:[0-9a-f-]{36}$`)),
        expect.stringMatching(new RegExp(`^${TOPIC}:[0-9a-f-]{36}$`)),
      ],
      topicPolicies: ['TopicPolicy'],
      skipped: [],
    });
    expect((await control(cloud, 'GET', '/_local/health')).body.deployment).toMatchObject({ topics: 2 });

    const attributes = (await sns('GetTopicAttributes', { TopicArn: TOPIC })).map();
    expect(attributes).toMatchObject({
      DisplayName: 'AMI lifecycle',
      KmsMasterKeyId: 'alias/aws/sns',
      SubscriptionsConfirmed: '2',
      SubscriptionsPending: '1',
    });
    // The policy as deployed: its `!Ref` and `!Sub` resolved.
    expect(JSON.parse(attributes.Policy!).Statement[0]).toEqual({
      Sid: 'rules-of-this-service-publish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: TOPIC,
      Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:events:${REGION}:${TOOLING}:rule/notes-*` } },
    });
    expect((await sns('ListTagsForResource', { ResourceArn: TOPIC })).members('Tags')).toEqual([
      { Key: 'service', Value: 'notes' },
    ]);
    const subscriptions = (await sns('ListSubscriptionsByTopic', { TopicArn: TOPIC })).members(
      'Subscriptions',
    );
    expect(
      subscriptions.map((s) => [s.Protocol, s.Endpoint, s.SubscriptionArn === 'PendingConfirmation']),
    ).toEqual(
      expect.arrayContaining([
        ['email', 'ops@example.com', true],
        ['sqs', `arn:aws:sqs:${REGION}:${TOOLING}:notes-inbox`, false],
        ['lambda', `arn:aws:lambda:${REGION}:${TOOLING}:function:notes-test-onNote`, false],
      ]),
    );
  });

  it('resolves Ref and GetAtt of a topic for the functions', () => {
    const fn = cloud.lambda!.functions().find((f) => f.key === 'onNote')!;
    expect(fn.environment).toMatchObject({ TOPIC_ARN: TOPIC, TOPIC_NAME: 'notes-test-notes' });
  });

  it('sends the email address its confirmation request, and nothing else until it is confirmed', async () => {
    const [confirmation, ...rest] = cloud.sns.messages({ endpoint: 'ops@example.com' });
    expect(confirmation).toMatchObject({ kind: 'confirmation', topicArn: TOPIC });
    expect(rest).toEqual([]);
  });

  it("lets a rule of the service publish: the function gets it, the queue's filter policy keeps it out", async () => {
    const events = new EventBridgeClient({ ...cloud.clientConfig, maxAttempts: 1 });
    try {
      await events.send(
        new PutRuleCommand({ Name: 'notes-forward', EventPattern: JSON.stringify({ source: ['notes'] }) }),
      );
      await events.send(
        new PutTargetsCommand({ Rule: 'notes-forward', Targets: [{ Id: 'topic', Arn: TOPIC }] }),
      );
      await events.send(
        new PutEventsCommand({
          Entries: [{ Source: 'notes', DetailType: 'Note', Detail: '{"text":"hello"}' }],
        }),
      );
      await cloud.clock.advance(0);
    } finally {
      events.destroy();
    }

    expect(cloud.services.events.deliveries().at(-1)).toMatchObject({
      rule: 'notes-forward',
      outcome: 'delivered',
    });
    // The function, invoked asynchronously as SNS invokes it, with SNS's event.
    expect(received).toHaveLength(1);
    const record = (received[0] as { Records: { EventSource: string; Sns: Record<string, unknown> }[] })
      .Records[0]!;
    expect(record.EventSource).toBe('aws:sns');
    expect(record.Sns).toMatchObject({
      Type: 'Notification',
      TopicArn: TOPIC,
      Subject: null,
      MessageAttributes: {},
    });
    expect(JSON.parse(record.Sns.Message as string)).toMatchObject({
      source: 'notes',
      detail: { text: 'hello' },
    });
    // EventBridge sets no message attributes: the queue's policy (`stage: [prod]`) lets nothing through.
    expect(await inbox()).toEqual([]);

    cloud.sns.publish(TOPIC, {
      message: 'for the inbox',
      attributes: { stage: { DataType: 'String', StringValue: 'prod' } },
    });
    expect((await inbox()).map((m) => [m.Body, m.MessageAttributes])).toEqual([
      ['for the inbox', { stage: { DataType: 'String', StringValue: 'prod' } }],
    ]);
  });

  it('refuses a property it does not deploy, and a subscription it cannot make, naming where they are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sns-deploy-'));
    const deploy = (resources: string) => {
      const file = join(dir, 'serverless.yml');
      writeFileSync(
        file,
        'service: bad\nprovider:\n  name: aws\n  stage: test\n  region: eu-west-1\nresources:\n  Resources:\n' +
          resources,
      );
      return startLocalCloud({ port: 0, start: START, deploy: { serverlessFile: file } });
    };
    try {
      await expect(
        deploy(
          '    Topic:\n      Type: AWS::SNS::Topic\n      Properties:\n        ArchivePolicy: { MessageRetentionPeriod: 30 }\n',
        ),
      ).rejects.toThrow(
        /resources\.Resources\.Topic\.Properties\.ArchivePolicy: is not a topic property the local cloud deploys/,
      );
      await expect(
        deploy(
          '    Topic:\n      Type: AWS::SNS::Topic\n' +
            '    Sub:\n      Type: AWS::SNS::Subscription\n      Properties:\n' +
            '        TopicArn: !Ref Topic\n        Protocol: email\n        Endpoint: not-an-address\n',
        ),
      ).rejects.toThrow(/resources\.Resources\.Sub\.Properties: Invalid parameter: Email address/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
