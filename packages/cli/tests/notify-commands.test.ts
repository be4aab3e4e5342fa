import { readFileSync } from 'node:fs';
import {
  recipientFilterPolicy,
  RECIPIENTS_ATTRIBUTE as SERVICE_RECIPIENTS_ATTRIBUTE,
} from '@ami-lifecycle/aws';
import {
  type NotifyEvent,
  type OrganizationNotifyInput,
  organizationConfigOf,
  parsePolicy,
} from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { amictlDepsFromEnv, parseAmictlArgs } from '../src';
import {
  type NotificationMessage,
  type NotificationsPort,
  NotificationsTopicError,
  type NotifyTestView,
  RECIPIENTS_ATTRIBUTE,
  routes,
  type TopicSubscription,
  testBody,
} from '../src/notify-commands';
import { createWorld, EXAMPLE, START, type World } from './support/world';

const GOLDEN = 'golden-al2023';
const PAYMENTS = 'payments-api';
const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:ami-lifecycle-unit-notifications';

/**
 * The organisation tells security about two of every family's events and owner@ about failed builds;
 * platform-ops only about organisation-wide events, so about no family. Originators of example.com are
 * told about their builds, which makes nobody a recipient of a family.
 */
const ORGANIZATION: OrganizationNotifyInput = {
  recipients: [
    { address: 'security@example.com', events: ['image-vulnerable', 'image-rejected'] },
    { address: 'platform-ops@example.com', events: ['sweep-completed', 'dead-letters'] },
    { address: 'owner@example.com', events: ['build-failed'] },
  ],
  originators: { domains: ['example.com'], events: ['inspection-completed', 'build-failed'] },
};
const GOLDEN_NOTIFY = {
  recipients: [
    { address: 'Owner@Example.com', events: ['inspection-completed', 'image-published'] },
    { address: 'golden-owners@example.com', events: ['image-published'] },
  ],
};
const PAYMENTS_NOTIFY = {
  recipients: [{ address: 'team-payments@example.com', events: ['image-rejected'] }],
};

/** Who hears about golden-al2023, with the events of each in FAMILY_NOTIFY_EVENTS order. */
const GOLDEN_RECIPIENTS: { address: string; events: NotifyEvent[] }[] = [
  { address: 'golden-owners@example.com', events: ['image-published'] },
  { address: 'owner@example.com', events: ['inspection-completed', 'build-failed', 'image-published'] },
  { address: 'security@example.com', events: ['image-rejected', 'image-vulnerable'] },
];
const GOLDEN_ADDRESSES = GOLDEN_RECIPIENTS.map((r) => r.address);

/** The example's golden-al2023 and payments-api with these notify sections, and the organisation's. */
const storeNotify = async (
  world: World,
  notify: { organization?: OrganizationNotifyInput; families: Record<string, unknown> },
): Promise<void> => {
  const policy = parsePolicy(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  for (const [family, section] of Object.entries(notify.families)) {
    const current = await world.catalog.getFamilyConfig(family);
    await world.catalog.putFamilyConfig(
      family,
      { ...policy.families[family], notify: section },
      { expectedCurrent: current?.version ?? null, at: START, by: 'test' },
    );
  }
  if (notify.organization !== undefined)
    await world.catalog.putOrganizationConfig(
      { ...organizationConfigOf(policy), notify: notify.organization } as ReturnType<
        typeof organizationConfigOf
      >,
      {
        expectedCurrent: (await world.catalog.getOrganizationConfig())?.version ?? null,
        at: START,
        by: 'test',
      },
    );
};

/** The topic as a test sets it up: its subscriptions, what was published, and whether it is there at all. */
class FakeTopic implements NotificationsPort {
  subscriptionsOnTopic: TopicSubscription[] = [];
  published: { topicArn: string; message: NotificationMessage }[] = [];
  calls: string[] = [];
  missing = false;
  async topicArn(): Promise<string> {
    this.calls.push('topicArn');
    if (this.missing)
      throw new NotificationsTopicError(
        'no SNS topic named ami-lifecycle-unit-notifications for stage unit in AWS in eu-west-1',
        'deploy the stage, or set NOTIFY_TOPIC_ARN',
      );
    return TOPIC;
  }
  async subscriptions(topicArn: string, addresses: readonly string[]): Promise<TopicSubscription[]> {
    this.calls.push(`subscriptions ${topicArn} ${addresses.join(',')}`);
    // Every subscription of the topic, other addresses' too: amictl picks the recipients' own.
    return this.subscriptionsOnTopic;
  }
  async publish(topicArn: string, message: NotificationMessage): Promise<string> {
    this.calls.push('publish');
    this.published.push({ topicArn, message });
    return `message-${this.published.length}`;
  }
}

/** A confirmed email subscription; by default with the filter policy the notify service sets. */
const confirmed = (
  address: string,
  filterPolicy: string | undefined = JSON.stringify({ recipients: [address] }),
  more: Partial<TopicSubscription> = {},
): TopicSubscription => ({
  protocol: 'email',
  endpoint: address,
  arn: `${TOPIC}:${address}`,
  filterPolicy,
  ...more,
});
const pending = (address: string): TopicSubscription => ({
  protocol: 'email',
  endpoint: address,
  arn: undefined,
});

const setUp = async () => {
  const world = await createWorld([GOLDEN, PAYMENTS]);
  await storeNotify(world, {
    organization: ORGANIZATION,
    families: { [GOLDEN]: GOLDEN_NOTIFY, [PAYMENTS]: PAYMENTS_NOTIFY },
  });
  const topic = new FakeTopic();
  world.deps.notifications = topic;
  return { world, topic };
};

describe('amictl notify test', () => {
  it("sends one message naming everyone who hears about the family, and nobody else, on the topic's recipients attribute", async () => {
    const { world, topic } = await setUp();
    topic.subscriptionsOnTopic = [
      ...GOLDEN_ADDRESSES.map((a) => confirmed(a)),
      confirmed('team-payments@example.com'),
      confirmed('platform-ops@example.com'),
    ];

    const code = await world.run('notify', 'test', GOLDEN, '--json');

    expect({ code, err: world.err }).toEqual({ code: 0, err: [] });
    expect(topic.published).toHaveLength(1);
    const { topicArn, message } = topic.published[0]!;
    expect(topicArn).toBe(TOPIC);
    // Another family's owner, an organisation-wide recipient and the user who sends it are not told.
    expect(message.recipients).toEqual(GOLDEN_ADDRESSES);
    expect(message.subject).toBe('[ami-lifecycle] test message for golden-al2023');
    expect(JSON.parse(world.out.join('\n'))).toEqual({
      family: GOLDEN,
      topicArn: TOPIC,
      messageId: 'message-1',
      recipients: GOLDEN_RECIPIENTS.map((r) => ({ ...r, subscription: 'confirmed' })),
    } satisfies NotifyTestView);
    expect(world.writes).toEqual([]);
    expect(world.events.published()).toEqual([]);
  });

  it('says in the message who sent it, when (the injected clock), and who is told about which events', async () => {
    const { world, topic } = await setUp();
    topic.subscriptionsOnTopic = GOLDEN_ADDRESSES.map((a) => confirmed(a));
    world.clock.set('2026-03-02T08:30:00.000Z');

    expect(await world.run('notify', 'test', GOLDEN)).toBe(0);

    const body = topic.published[0]!.message.body;
    expect(body).toBe(
      testBody({
        family: GOLDEN,
        recipients: GOLDEN_RECIPIENTS,
        by: 'alice',
        at: '2026-03-02T08:30:00.000Z',
      }),
    );
    expect(body).toContain('sent by alice at 2026-03-02T08:30:00.000Z');
    expect(body.split('\n').filter((l) => l.startsWith('  '))).toEqual([
      '  golden-owners@example.com: image-published',
      '  owner@example.com: inspection-completed, build-failed, image-published',
      '  security@example.com: image-rejected, image-vulnerable',
    ]);
    expect(body).not.toMatch(/platform-ops|team-payments/);
  });

  it('lists each recipient with its events and subscription as a table', async () => {
    const { world, topic } = await setUp();
    topic.subscriptionsOnTopic = [
      // Confirmed without a filter policy: it gets this message, and every other one of the topic.
      { protocol: 'email', endpoint: 'golden-owners@example.com', arn: `${TOPIC}:golden-owners` },
      ...GOLDEN_ADDRESSES.slice(1).map((a) => confirmed(a)),
    ];

    expect(await world.run('notify', 'test', GOLDEN)).toBe(0);

    expect(world.out).toEqual([
      `Test message for golden-al2023 sent to ${TOPIC} (message id message-1).`,
      'RECIPIENT                  EVENTS                                             SUBSCRIPTION',
      'golden-owners@example.com  image-published                                    confirmed (no filter policy: receives every message)',
      'owner@example.com          inspection-completed,build-failed,image-published  confirmed',
      'security@example.com       image-rejected,image-vulnerable                    confirmed',
    ]);
  });

  it('sends it anyway when a subscription is missing, pending or filtered, warns about each on stderr after, and exits 1', async () => {
    const { world, topic } = await setUp();
    topic.subscriptionsOnTopic = [
      // golden-owners@: no subscription of its own; another address's filter naming it does not count.
      confirmed('team-payments@example.com', JSON.stringify({ recipients: ['golden-owners@example.com'] })),
      // owner@: pending as email, and an SQS queue of that name is not a subscription of the address.
      pending('owner@example.com'),
      { protocol: 'sqs', endpoint: 'owner@example.com', arn: `${TOPIC}:sqs` },
      // security@: confirmed, with a filter policy that names someone else.
      confirmed('security@example.com', JSON.stringify({ recipients: ['soc@example.com'] })),
    ];

    const code = await world.run('notify', 'test', GOLDEN, '--json');

    expect(code).toBe(1);
    expect(topic.calls.at(-1)).toBe('publish');
    expect(topic.published[0]!.message.recipients).toEqual(GOLDEN_ADDRESSES);
    const view = JSON.parse(world.out.join('\n')) as NotifyTestView;
    expect(view.recipients.map((r) => [r.address, r.subscription])).toEqual([
      ['golden-owners@example.com', 'missing'],
      ['owner@example.com', 'pending-confirmation'],
      ['security@example.com', 'filtered-out'],
    ]);
    expect(world.err).toEqual([
      "amictl: golden-owners@example.com has no subscription to ami-lifecycle-unit-notifications: it receives nothing until the notify service subscribes it (it subscribes the stored policy's addresses daily, and each address a message names) and it confirms",
      'amictl: owner@example.com has not confirmed its subscription to ami-lifecycle-unit-notifications: it receives nothing until it follows the link in the confirmation mail from no-reply@sns.amazonaws.com',
      'amictl: security@example.com\'s subscription to ami-lifecycle-unit-notifications has the filter policy {"recipients":["soc@example.com"]}, which holds back the messages naming it: it receives nothing; the notify service sets {"recipients":["security@example.com"]}',
    ]);
  });

  it('takes the best of an address’s subscriptions (email and email-json), in any case of the address', async () => {
    const { world, topic } = await setUp();
    topic.subscriptionsOnTopic = [
      pending('GOLDEN-OWNERS@example.com'),
      confirmed('golden-owners@example.com', JSON.stringify({ recipients: ['golden-owners@example.com'] }), {
        protocol: 'email-json',
      }),
      confirmed('owner@example.com'),
      confirmed('security@example.com'),
    ];

    expect(await world.run('notify', 'test', GOLDEN, '--json')).toBe(0);
    expect(
      (JSON.parse(world.out.join('\n')) as NotifyTestView).recipients.map((r) => r.subscription),
    ).toEqual(['confirmed', 'confirmed', 'confirmed']);
  });

  it('refuses a family without a stored config, naming it: nothing sent, the topic not even looked up', async () => {
    const { world, topic } = await setUp();

    expect(await world.run('notify', 'test', 'no-such-family')).toBe(1);

    expect(world.err).toEqual([
      'amictl: family no-such-family has no stored config; run amictl config apply first',
    ]);
    expect(world.out).toEqual([]);
    expect(topic.calls).toEqual([]);
  });

  it('refuses a family nobody hears about, naming it: nothing sent', async () => {
    const { world, topic } = await setUp();
    // golden-ubuntu's notify is empty, and the organisation tells only platform-ops, of organisation-wide events.
    await storeNotify(world, {
      organization: { recipients: [ORGANIZATION.recipients![1]!], originators: ORGANIZATION.originators },
      families: { 'golden-ubuntu': { recipients: [] } },
    });

    expect(await world.run('notify', 'test', 'golden-ubuntu')).toBe(1);

    expect(world.err).toEqual([
      "amictl: family golden-ubuntu has no recipients: neither its notify section nor the organisation's names anyone for its events (inspection-completed, image-rejected, build-failed, image-vulnerable, image-published); nothing sent",
    ]);
    expect(topic.published).toEqual([]);
    expect(topic.calls).toEqual([]);
  });

  it("tells the family's own recipients when no organisation config is stored", async () => {
    const world = await createWorld([PAYMENTS]);
    await storeNotify(world, { families: { [PAYMENTS]: PAYMENTS_NOTIFY } });
    const topic = new FakeTopic();
    topic.subscriptionsOnTopic = [confirmed('team-payments@example.com')];
    world.deps.notifications = topic;

    expect(await world.run('notify', 'test', PAYMENTS)).toBe(0);
    expect(topic.published.map((p) => p.message.recipients)).toEqual([['team-payments@example.com']]);
  });

  it('is exit 3 when the topic is not there, with its name and what to check: nothing sent', async () => {
    const { world, topic } = await setUp();
    topic.missing = true;

    expect(await world.run('notify', 'test', GOLDEN)).toBe(3);

    expect(world.err).toEqual([
      'amictl: no SNS topic named ami-lifecycle-unit-notifications for stage unit in AWS in eu-west-1',
      'amictl: deploy the stage, or set NOTIFY_TOPIC_ARN',
    ]);
    expect(topic.published).toEqual([]);
  });

  it('parses notify test FAMILY [--json], and refuses it without a family or with two', () => {
    expect(parseAmictlArgs(['notify', 'test', GOLDEN])).toEqual({
      command: 'notify-test',
      family: GOLDEN,
      json: false,
    });
    expect(parseAmictlArgs(['notify', 'test', GOLDEN, '--json'])).toMatchObject({ json: true });
    expect(() => parseAmictlArgs(['notify', 'test'])).toThrow('notify test needs a family name');
    expect(() => parseAmictlArgs(['notify', 'test', GOLDEN, PAYMENTS])).toThrow(
      'notify test takes one family, got also "payments-api"',
    );
    expect(() => parseAmictlArgs(['notify'])).toThrow('notify takes test, got nothing');
  });
});

describe("whether a subscription's filter policy lets through a message naming the address", () => {
  const address = 'alice@example.com';
  it('lets through the filter policy the notify service gives its subscriptions, on the attribute its messages carry', () => {
    expect(RECIPIENTS_ATTRIBUTE).toBe(SERVICE_RECIPIENTS_ATTRIBUTE);
    expect(
      routes(
        { filterPolicy: recipientFilterPolicy(address), filterPolicyScope: 'MessageAttributes' },
        address,
      ),
    ).toBe('routed');
    expect(routes({ filterPolicy: recipientFilterPolicy('bob@example.com') }, address)).toBe('filtered');
  });
  it.each([
    [undefined, undefined, 'unfiltered'],
    ['{}', undefined, 'unfiltered'],
    ['{"recipients":["alice@example.com"]}', undefined, 'routed'],
    ['{"recipients":["alice@example.com"]}', 'MessageAttributes', 'routed'],
    ['{"recipients":["alice@example.com"]}', 'MessageBody', 'filtered'],
    ['{"recipients":["bob@example.com"]}', undefined, 'filtered'],
    ['{"recipients":["ALICE@example.com"]}', undefined, 'filtered'],
    ['{"recipients":[{"equals-ignore-case":"ALICE@example.com"}]}', undefined, 'routed'],
    ['{"recipients":[{"prefix":"alice@"}]}', undefined, 'routed'],
    ['{"recipients":[{"suffix":"@example.org"}]}', undefined, 'filtered'],
    ['{"recipients":[{"anything-but":["bob@example.com"]}]}', undefined, 'routed'],
    ['{"recipients":[{"anything-but":"alice@example.com"}]}', undefined, 'filtered'],
    ['{"recipients":[{"exists":true}]}', undefined, 'routed'],
    ['{"recipients":[{"numeric":[">",0]}]}', undefined, 'filtered'],
    ['{"event":["image-published"]}', undefined, 'filtered'],
    ['{"event":[{"exists":false}],"recipients":["alice@example.com"]}', undefined, 'routed'],
    [
      '{"$or":[{"recipients":["bob@example.com"]},{"recipients":["alice@example.com"]}]}',
      undefined,
      'routed',
    ],
    ['not json', undefined, 'filtered'],
  ])('%s (scope %s): %s', (filterPolicy, filterPolicyScope, expected) => {
    expect(routes({ filterPolicy, filterPolicyScope }, address)).toBe(expected);
  });
});

/**
 * The SNS wiring of main.ts against the local cloud's SNS: the stage's topic found by name (or given),
 * the subscriptions read as SNS lists and describes them, the message published with its attribute, and
 * delivered by the filter policies to the confirmed subscriptions that let it through.
 */
describe('amictl notify test over SNS (main.ts wiring, the local cloud)', () => {
  let cloud: LocalCloud;
  let sns: SNSClient;
  let topicArn: string;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START });
    sns = new SNSClient(cloud.clientConfig);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'ami-lifecycle-unit-notifications' })))
      .TopicArn!;
    // Another topic first, whose name ends the same way but is not the stage's.
    await sns.send(new CreateTopicCommand({ Name: 'other-ami-lifecycle-unit-notifications' }));
    const subscribe = (address: string, filter: string) =>
      sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'email',
          Endpoint: address,
          Attributes: { FilterPolicy: filter },
        }),
      );
    await subscribe('owner@example.com', JSON.stringify({ recipients: ['owner@example.com'] }));
    await subscribe('security@example.com', JSON.stringify({ recipients: ['security@example.com'] }));
    await subscribe('golden-owners@example.com', JSON.stringify({ recipients: ['soc@example.com'] }));
    await subscribe(
      'team-payments@example.com',
      JSON.stringify({ recipients: ['team-payments@example.com'] }),
    );
    for (const endpoint of ['owner@example.com', 'golden-owners@example.com', 'team-payments@example.com'])
      cloud.sns.confirm({ topicArn, endpoint });
  });
  afterAll(() => cloud?.stop());

  const wired = async (env: Record<string, string>) => {
    const { world } = await setUp();
    world.deps.notifications = amictlDepsFromEnv(
      { ...cloud.env, EVENT_BUS_NAME: 'ami-lifecycle-unit', ...env },
      { out: () => {}, err: () => {}, stdoutIsTTY: false, user: 'alice' },
    ).notifications!;
    world.deps.endpoint = cloud.endpoint;
    return world;
  };
  const notifications = (since: string) =>
    cloud.sns.messages({ topicArn, since }).filter((m) => m.kind === 'notification');

  it('reaches the confirmed subscription whose filter lets it through, and reports the pending and the filtered one', async () => {
    const world = await wired({});
    const since = cloud.clock.now().toISOString();

    expect(await world.run('notify', 'test', GOLDEN, '--json')).toBe(1);

    const view = JSON.parse(world.out.join('\n')) as NotifyTestView;
    expect(view.topicArn).toBe(topicArn);
    expect(view.recipients.map((r) => [r.address, r.subscription])).toEqual([
      ['golden-owners@example.com', 'filtered-out'],
      ['owner@example.com', 'confirmed'],
      ['security@example.com', 'pending-confirmation'],
    ]);
    expect(world.err).toHaveLength(2);
    const delivered = notifications(since);
    expect(delivered.map((m) => [m.endpoint, m.subject, m.messageId])).toEqual([
      ['owner@example.com', '[ami-lifecycle] test message for golden-al2023', view.messageId],
    ]);
    expect(delivered[0]!.message).toContain('sent by alice at');
    expect(delivered[0]!.messageAttributes).toEqual({
      recipients: { DataType: 'String.Array', StringValue: JSON.stringify(GOLDEN_ADDRESSES) },
    });
  });

  it('takes the topic NOTIFY_TOPIC_ARN names', async () => {
    const world = await wired({ NOTIFY_TOPIC_ARN: topicArn, EVENT_BUS_NAME: 'ami-lifecycle-elsewhere' });

    expect(await world.run('notify', 'test', PAYMENTS, '--json')).toBe(1);

    expect(JSON.parse(world.out.join('\n'))).toEqual({
      family: PAYMENTS,
      topicArn,
      messageId: expect.any(String),
      recipients: [
        { address: 'owner@example.com', events: ['build-failed'], subscription: 'confirmed' },
        {
          address: 'security@example.com',
          events: ['image-rejected', 'image-vulnerable'],
          subscription: 'pending-confirmation',
        },
        { address: 'team-payments@example.com', events: ['image-rejected'], subscription: 'confirmed' },
      ],
    });
    expect(world.err).toEqual([expect.stringMatching(/^amictl: security@example\.com has not confirmed/)]);
  });

  it("is exit 3 naming the topic's name and the stage when the stage has none: nothing sent", async () => {
    const world = await wired({ EVENT_BUS_NAME: 'ami-lifecycle-nostage' });
    const before = cloud.sns.messages().length;

    expect(await world.run('notify', 'test', GOLDEN)).toBe(3);

    expect(world.err).toEqual([
      `amictl: no SNS topic named ami-lifecycle-nostage-notifications for stage nostage in ${cloud.endpoint} (AWS_ENDPOINT_URL) in eu-west-1`,
      'amictl: deploy the stage (serverless.yml declares its notifications topic), or set NOTIFY_TOPIC_ARN; check EVENT_BUS_NAME, AWS_REGION and AWS_ENDPOINT_URL',
    ]);
    expect(cloud.sns.messages()).toHaveLength(before);
  });

  it('is exit 3 naming NOTIFY_TOPIC_ARN when it names no topic: nothing sent', async () => {
    const missing = `${topicArn}-gone`;
    const world = await wired({ NOTIFY_TOPIC_ARN: missing });
    const before = cloud.sns.messages().length;

    expect(await world.run('notify', 'test', GOLDEN)).toBe(3);

    expect(world.err[0]).toMatch(new RegExp(`^amictl: no SNS topic ${missing} \\(NOTIFY_TOPIC_ARN\\) in `));
    expect(world.err[1]).toContain('check NOTIFY_TOPIC_ARN');
    expect(cloud.sns.messages()).toHaveLength(before);
  });
});
