import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import {
  recipientFilterPolicy,
  recipientOfFilterPolicy,
  SnsNotifications,
  snsClient,
  snsRegionOf,
} from '../src';

/** `SnsNotifications` against the local cloud's SNS: what the notify service does with the topic. */
describe('SnsNotifications', () => {
  let cloud: LocalCloud;
  let sns: SnsNotifications;
  let topicArn: string;
  const otherRegion = 'eu-central-1';
  let otherTopicArn: string;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: '2026-03-01T00:00:00Z' });
    const clientIn = (region: string) => snsClient({ ...cloud.clientConfig, region, maxAttempts: 1 });
    sns = new SnsNotifications(clientIn);
    topicArn = (await clientIn(cloud.region).send(new CreateTopicCommand({ Name: 'notifications' })))
      .TopicArn!;
    otherTopicArn = (await clientIn(otherRegion).send(new CreateTopicCommand({ Name: 'platform-alerts' })))
      .TopicArn!;
  });
  afterAll(() => cloud?.stop());

  const received = (endpoint: string, arn = topicArn) =>
    cloud.sns.messages({ topicArn: arn, endpoint }).filter((m) => m.kind === 'notification');

  it('subscribes an address with the filter policy naming it; it receives only what names it, once confirmed', async () => {
    // Act
    const made = await sns.subscribeEmail(topicArn, 'alice@example.com');
    await sns.publish(topicArn, { subject: 'before', body: 'not yet', recipients: ['alice@example.com'] });
    cloud.sns.confirm({ topicArn, endpoint: 'alice@example.com' });
    await sns.publish(topicArn, { subject: 'for bob', body: 'b', recipients: ['bob@example.com'] });
    await sns.publish(topicArn, {
      subject: 'for both',
      body: 'hello',
      recipients: ['alice@example.com', 'bob@example.com'],
    });

    // Assert
    expect(made.subscriptionArn).toMatch(/^arn:aws:sns:/);
    expect(received('alice@example.com').map((m) => m.subject)).toEqual(['for both']);
    expect(received('alice@example.com')[0]?.messageAttributes).toEqual({
      recipients: { DataType: 'String.Array', StringValue: '["alice@example.com","bob@example.com"]' },
    });
    const [listed] = await sns.listSubscriptions(topicArn);
    expect(listed).toEqual({
      subscriptionArn: expect.stringMatching(/^arn:aws:sns:/),
      protocol: 'email',
      endpoint: 'alice@example.com',
      pending: false,
    });
    const policy = await sns.filterPolicyOf(listed!.subscriptionArn!);
    expect(recipientOfFilterPolicy(policy?.filterPolicy, policy?.scope)).toBe('alice@example.com');
  });

  it('lists a subscription waiting for its confirmation without an ARN', async () => {
    await sns.subscribeEmail(topicArn, 'carol@example.com');

    const carol = (await sns.listSubscriptions(topicArn)).find((s) => s.endpoint === 'carol@example.com');

    expect(carol).toEqual({ protocol: 'email', endpoint: 'carol@example.com', pending: true });
  });

  it('sets a filter policy right, and unsubscribes', async () => {
    // Arrange: a subscription without a filter policy, made by someone else.
    const s = cloud.sns.subscribeAs(
      { accountId: cloud.accounts.defaultAccountId, region: cloud.region },
      topicArn,
      'email',
      'dave@example.com',
    );
    cloud.sns.confirm({ subscriptionArn: s.arn });

    // Act / Assert
    expect(await sns.filterPolicyOf(s.arn)).toEqual({});
    await sns.setRecipientFilter(s.arn, 'Dave@Example.com');
    expect(await sns.filterPolicyOf(s.arn)).toEqual({
      filterPolicy: recipientFilterPolicy('dave@example.com'),
      scope: 'MessageAttributes',
    });
    await sns.unsubscribe(s.arn);
    expect(await sns.filterPolicyOf(s.arn)).toBeUndefined();
    await sns.unsubscribe(s.arn);
  });

  it('publishes to a topic of another region with a client of that region', async () => {
    const { messageId } = await sns.publish(otherTopicArn, { subject: 's', body: 'b', recipients: [] });

    expect(messageId).toBeTruthy();
    expect(snsRegionOf(otherTopicArn)).toBe(otherRegion);
  });

  it('reads only its own shape as its own filter policy', () => {
    expect(recipientOfFilterPolicy('{"recipients":["a@example.com"]}', undefined)).toBe('a@example.com');
    expect(recipientOfFilterPolicy('{"recipients":["a@example.com"]}', 'MessageBody')).toBeUndefined();
    expect(
      recipientOfFilterPolicy('{"recipients":["a@example.com","b@example.com"]}', undefined),
    ).toBeUndefined();
    expect(recipientOfFilterPolicy('{"recipients":["a@example.com"],"x":["y"]}', undefined)).toBeUndefined();
    expect(recipientOfFilterPolicy('not json', undefined)).toBeUndefined();
    expect(recipientOfFilterPolicy(undefined, undefined)).toBeUndefined();
  });
});
