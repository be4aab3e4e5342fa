import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amictlDepsFromEnv, type NotifyTestView, runAmictl } from '@ami-lifecycle/cli';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { ListSubscriptionsByTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { parseDocument } from 'yaml';
import type { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { ROOT, startStage } from './support/stage';

const STAGE = 'e2e-amictl-notify';
const START = '2026-03-01T09:00:00.000Z';
const GOLDEN = 'golden-al2023';
const TOPIC_NAME = `ami-lifecycle-${STAGE}-notifications`;

/** Who hears about golden-al2023: its two recipients, with their events in FAMILY_NOTIFY_EVENTS order. */
const GOLDEN_RECIPIENTS = [
  { address: 'alice@example.com', events: ['inspection-completed', 'build-failed'] },
  {
    address: 'golden-owners@example.com',
    events: ['inspection-completed', 'image-rejected', 'build-failed', 'image-vulnerable', 'image-published'],
  },
];
/** Subscribed and confirmed too, to show that the filter policies keep the test message from them. */
const NOT_GOLDEN = ['platform-ops@example.com', 'team-payments@example.com'];
/** Every address of the policy: the notify service subscribes each. */
const EVERYONE = [...GOLDEN_RECIPIENTS.map((r) => r.address), ...NOT_GOLDEN];

/**
 * The example policy with notify sections of this test's own (whatever the example says): the
 * organisation tells platform-ops about organisation-wide events only, golden-al2023 its owners and alice,
 * payments-api its team; golden-ubuntu and orders-worker tell nobody.
 */
const policyWithNotify = (): string => {
  const doc = parseDocument(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'));
  doc.setIn(['notify'], {
    recipients: [{ address: 'platform-ops@example.com', events: ['sweep-completed', 'dead-letters'] }],
    originators: { domains: ['example.com'], events: ['inspection-completed', 'build-failed'] },
  });
  doc.setIn(['families', GOLDEN, 'notify'], {
    recipients: [
      { address: 'golden-owners@example.com', events: GOLDEN_RECIPIENTS[1]!.events },
      { address: 'alice@example.com', events: ['build-failed', 'inspection-completed'] },
    ],
  });
  doc.setIn(['families', 'payments-api', 'notify'], {
    recipients: [{ address: 'team-payments@example.com', events: ['image-rejected', 'image-published'] }],
  });
  for (const family of ['golden-ubuntu', 'orders-worker'])
    doc.setIn(['families', family, 'notify'], { recipients: [] });
  return doc.toString();
};

/**
 * `amictl notify test` as an operator runs it against a stage of serverless.yml on the local cloud: with
 * the operator role (serverless.yml's default `ami-lifecycle-operator`), wired from the environment as
 * main.ts wires it (DynamoDB, SNS: the topic found by its name, EVENT_BUS_NAME's `-notifications`), after
 * `amictl config apply` of a policy with notify sections; the notify service subscribes the policy's
 * addresses, and the test confirms them as their recipients would.
 */
describe('amictl notify test against the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let sns: SNSClient;
  let topicArn: string;
  let dir: string;

  /** Credentials of a role of the stage's account, as the environment gives them to amictl. */
  const roleEnv = async (role: string): Promise<Record<string, string>> => {
    const { Credentials } = await new STSClient(cloud.clientConfig).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${cloud.accounts.defaultAccountId}:role/${role}`,
        RoleSessionName: 'e2e',
      }),
    );
    return {
      AWS_ACCESS_KEY_ID: Credentials!.AccessKeyId!,
      AWS_SECRET_ACCESS_KEY: Credentials!.SecretAccessKey!,
      AWS_SESSION_TOKEN: Credentials!.SessionToken!,
    };
  };

  const amictl = async (env: Record<string, string>, ...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const deps = amictlDepsFromEnv(
      {
        ...cloud.env,
        CATALOG_TABLE: `ami-lifecycle-${STAGE}`,
        EVENT_BUS_NAME: pipeline.bus,
        // Assumed at each run: the simulated clock outruns a session's hour.
        ...(await roleEnv('ami-lifecycle-operator')),
        ...env,
      },
      {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        stdoutIsTTY: false,
        user: 'operator',
        clock: cloud.clock,
        sleep: (seconds) => cloud.clock.advance(seconds),
      },
    );
    const code = await runAmictl(argv, deps);
    return { code, out: out.join('\n'), err };
  };

  /** The test messages each endpoint received since `since`. */
  const received = (since: string) =>
    cloud.sns
      .messages({ topicArn, since })
      .filter((m) => m.kind === 'notification')
      .map((m) => ({ endpoint: m.endpoint, subject: m.subject, messageId: m.messageId, message: m.message }));

  /** The addresses with an email subscription to the topic, confirmed or not. */
  const subscribed = async (): Promise<string[]> =>
    ((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions ?? [])
      .filter((s) => s.Protocol === 'email')
      .map((s) => s.Endpoint!)
      .sort();

  /** A minute later, so that `since` leaves out what came before. */
  const nextMinute = async (): Promise<string> => {
    await cloud.clock.advance(60);
    return cloud.clock.now().toISOString();
  };

  beforeAll(async () => {
    ({ cloud, pipeline } = await startStage(STAGE, [], START, dynamoDbEndpoint()));
    sns = new SNSClient(cloud.clientConfig);
    topicArn = ((await sns.send(new ListTopicsCommand({}))).Topics ?? [])
      .map((t) => t.TopicArn!)
      .find((arn) => arn.endsWith(`:${TOPIC_NAME}`))!;
    expect(topicArn).toBeDefined();
    dir = mkdtempSync(join(tmpdir(), 'amictl-notify-'));
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, policyWithNotify(), 'utf8');
    expect(await amictl({}, 'config', 'apply', policyFile)).toMatchObject({ code: 0, err: [] });
  }, 120_000);
  afterAll(async () => {
    await cloud?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('before anyone is subscribed: sends the message, reaches nobody, names each recipient on stderr and exits 1', async () => {
    const since = await nextMinute();

    const run = await amictl({}, 'notify', 'test', GOLDEN, '--json');

    expect(run.err).toEqual([
      expect.stringMatching(
        /^amictl: alice@example\.com has no subscription to ami-lifecycle-e2e-amictl-notify-notifications/,
      ),
      expect.stringMatching(/^amictl: golden-owners@example\.com has no subscription/),
    ]);
    expect(run.code).toBe(1);
    const view = JSON.parse(run.out) as NotifyTestView;
    expect(view).toEqual({
      family: GOLDEN,
      topicArn,
      messageId: expect.any(String),
      recipients: GOLDEN_RECIPIENTS.map((r) => ({ ...r, subscription: 'missing' })),
    });
    expect(received(since)).toEqual([]);
  }, 30_000);

  it('once the notify service subscribed the addresses: reaches the one who confirmed, and names the one who has not', async () => {
    // The service's hourly reconcile subscribes every address of the policy, each with its filter policy.
    await pipeline.advanceUntil(
      'the policy addresses subscribed',
      async () => (await subscribed()).length === EVERYONE.length,
      {
        maxSeconds: 2 * 86_400,
        stepSeconds: 3600,
      },
    );
    expect(await subscribed()).toEqual([...EVERYONE].sort());
    for (const endpoint of EVERYONE.filter((a) => a !== 'alice@example.com'))
      cloud.sns.confirm({ topicArn, endpoint });
    const since = await nextMinute();

    const run = await amictl({}, 'notify', 'test', GOLDEN, '--json');

    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      'amictl: alice@example.com has not confirmed its subscription to ami-lifecycle-e2e-amictl-notify-notifications: it receives nothing until it follows the link in the confirmation mail from no-reply@sns.amazonaws.com',
    ]);
    const view = JSON.parse(run.out) as NotifyTestView;
    expect(view.recipients.map((r) => [r.address, r.subscription])).toEqual([
      ['alice@example.com', 'pending-confirmation'],
      ['golden-owners@example.com', 'confirmed'],
    ]);
    // platform-ops and team-payments are confirmed too: their filter policies keep it from them.
    expect(received(since).map((m) => [m.endpoint, m.messageId])).toEqual([
      ['golden-owners@example.com', view.messageId],
    ]);
  }, 180_000);

  it('once everyone confirmed: each recipient receives it once, nobody else; exit 0', async () => {
    cloud.sns.confirm({ topicArn, endpoint: 'alice@example.com' });
    const since = await nextMinute();

    const run = await amictl({}, 'notify', 'test', GOLDEN, '--json');

    expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: [] });
    const view = JSON.parse(run.out) as NotifyTestView;
    expect(view).toEqual({
      family: GOLDEN,
      topicArn,
      messageId: expect.any(String),
      recipients: GOLDEN_RECIPIENTS.map((r) => ({ ...r, subscription: 'confirmed' })),
    });
    const mail = received(since);
    expect(mail.map(({ endpoint, subject, messageId }) => ({ endpoint, subject, messageId }))).toEqual(
      GOLDEN_RECIPIENTS.map((r) => ({
        endpoint: r.address,
        subject: '[ami-lifecycle] test message for golden-al2023',
        messageId: view.messageId,
      })),
    );
    expect(mail[0]!.message).toContain(`sent by operator at ${since}`);
    expect(mail[0]!.message).toContain(
      'golden-owners@example.com: inspection-completed, image-rejected, build-failed, image-vulnerable, image-published',
    );

    // The same as a table: each recipient, its events and its subscription.
    const table = await amictl({}, 'notify', 'test', GOLDEN);
    expect(table.code).toBe(0);
    expect(table.out.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^Test message for golden-al2023 sent to ${topicArn} \\(message id [\\w-]+\\)\\.$`),
      ),
      `RECIPIENT                  EVENTS${' '.repeat(77)}SUBSCRIPTION`,
      `alice@example.com          inspection-completed,build-failed${' '.repeat(50)}confirmed`,
      'golden-owners@example.com  inspection-completed,image-rejected,build-failed,image-vulnerable,image-published  confirmed',
    ]);
  }, 30_000);

  it('refuses a family nobody hears about, and one without a stored config, naming it; nothing sent', async () => {
    const since = await nextMinute();

    expect(await amictl({}, 'notify', 'test', 'orders-worker')).toEqual({
      code: 1,
      out: '',
      err: [
        "amictl: family orders-worker has no recipients: neither its notify section nor the organisation's names anyone for its events (inspection-completed, image-rejected, build-failed, image-vulnerable, image-published); nothing sent",
      ],
    });
    expect(await amictl({}, 'notify', 'test', 'no-such-family')).toEqual({
      code: 1,
      out: '',
      err: ['amictl: family no-such-family has no stored config; run amictl config apply first'],
    });
    expect(cloud.sns.messages({ topicArn, since })).toEqual([]);
  }, 30_000);

  it("is exit 3 for a role the topic's policy does not let publish, naming the topic: nothing sent", async () => {
    const since = await nextMinute();

    const run = await amictl(await roleEnv('ci-deployer'), 'notify', 'test', GOLDEN);

    expect(run.code).toBe(3);
    expect(run.err[0]).toMatch(
      new RegExp(
        `^amictl: ${cloud.endpoint} \\(AWS_ENDPOINT_URL\\) in ${cloud.region} refused sns:Publish on ${topicArn}: `,
      ),
    );
    expect(run.err[1]).toMatch(/the topic's policy must let the role in use/);
    expect(received(since)).toEqual([]);
  }, 30_000);

  it("is exit 3 when the stage has no notifications topic, naming the topic's name and the stage", async () => {
    const run = await amictl({ EVENT_BUS_NAME: 'ami-lifecycle-nostage' }, 'notify', 'test', GOLDEN);

    expect(run.code).toBe(3);
    expect(run.err[0]).toBe(
      `amictl: no SNS topic named ami-lifecycle-nostage-notifications for stage nostage in ${cloud.endpoint} (AWS_ENDPOINT_URL) in ${cloud.region}`,
    );
  }, 30_000);
});
