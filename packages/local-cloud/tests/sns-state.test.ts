import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalCloud, startLocalCloud } from '../src';
import { attributeParams, snsClient } from './fixtures/sns/query-client';
import { control, START, TOOLING } from './helpers';

const FIXTURE = join(__dirname, 'fixtures', 'sns', 'serverless.yml');
const REGION = 'eu-west-1';
const TOPIC = `arn:aws:sns:${REGION}:${TOOLING}:notes-test-notes`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const inbox = async (cloud: LocalCloud) => {
  const sqs = new SQSClient({ ...cloud.clientConfig, maxAttempts: 1 });
  try {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: `${cloud.endpoint}/${TOOLING}/notes-inbox`,
        MaxNumberOfMessages: 10,
      }),
    );
    return (r.Messages ?? []).map((m) => m.Body);
  } finally {
    sqs.destroy();
  }
};
const prod = { stage: { DataType: 'String', StringValue: 'prod' } };

describe('SNS with --state-dir: topics, subscriptions and delivered messages across a restart', () => {
  it('continues as it was, deployed again without a second confirmation, its 48-hour clock still running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-cloud-sns-state-'));
    dirs.push(dir);
    const start = (extra: { start?: string } = {}) =>
      startLocalCloud({
        port: 0,
        region: REGION,
        stateDir: dir,
        saveIntervalMs: 0,
        deploy: { serverlessFile: FIXTURE },
        ...extra,
      });

    const first = await start({ start: START });
    let before: ReturnType<LocalCloud['sns']['messages']>;
    let attributes: Record<string, string>;
    let token: string;
    try {
      const sns = snsClient(first.endpoint);
      // A topic made at run time, with a policy, beside the deployed ones.
      const made = await sns('CreateTopic', {
        Name: 'made-at-run-time',
        ...attributeParams({
          Policy: JSON.stringify(denyAll(`arn:aws:sns:${REGION}:${TOOLING}:made-at-run-time`)),
        }),
      });
      expect(made.status).toBe(200);
      await first.clock.advance(3600);
      // Another address, pending since one hour in: its 48 hours end one hour after the deployed one's.
      await sns('Subscribe', { TopicArn: TOPIC, Protocol: 'email', Endpoint: 'later@example.com' });
      first.sns.publish(TOPIC, { message: 'kept in the queue', attributes: prod });
      // The function's delivery is listed once Lambda has accepted the event; the advance runs it too.
      await first.clock.advance(0);
      before = first.sns.messages();
      expect(before.map((m) => [m.kind, m.protocol])).toEqual([
        ['confirmation', 'email'],
        ['confirmation', 'email'],
        ['notification', 'sqs'],
        ['notification', 'lambda'],
      ]);
      attributes = (await sns('GetTopicAttributes', { TopicArn: TOPIC })).map();
      token = first.sns.messages({ endpoint: 'ops@example.com' })[0]!.token!;
      expect(attributes).toMatchObject({ SubscriptionsPending: '2', SubscriptionsConfirmed: '2' });
    } finally {
      await first.stop();
    }
    const files = readdirSync(dir).filter((f) => f.startsWith('sns-'));
    expect(files).toEqual(['sns-000001.json']);
    expect(JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'))).toMatchObject({ service: 'sns', save: 1 });

    const second = await start();
    try {
      const sns = snsClient(second.endpoint);
      expect(second.clock.now().toISOString()).toBe('2026-03-01T01:00:00.000Z');
      // Deployed again over the saved state: the same topics and subscriptions, no second confirmation.
      expect(second.sns.messages()).toEqual(before);
      expect((await sns('GetTopicAttributes', { TopicArn: TOPIC })).map()).toEqual(attributes);
      expect(second.deployment?.subscriptions).toHaveLength(3);
      expect(await inbox(second)).toEqual(['kept in the queue']);

      // The policy and the filter policy still hold.
      const refused = await sns('Publish', {
        TopicArn: `arn:aws:sns:${REGION}:${TOOLING}:made-at-run-time`,
        Message: 'x',
      });
      expect(refused.error?.code).toBe('AuthorizationError');
      second.sns.publish(TOPIC, { message: 'not for the inbox' });
      expect(await inbox(second)).toEqual([]);

      // The token sent before the restart still confirms.
      const link = second.sns.messages({ endpoint: 'ops@example.com' })[0]!.subscribeUrl!;
      expect(link).toContain(token);
      const confirmed = await control(
        second,
        'GET',
        `/_local/sns/confirm?TopicArn=${encodeURIComponent(TOPIC)}&Token=${token}`,
      );
      expect(confirmed.status).toBe(200);

      // later@example.com was subscribed at 01:00: deleted at 49:00, not before.
      await second.clock.advance(47 * 3600);
      const pending = () =>
        sns('ListSubscriptionsByTopic', { TopicArn: TOPIC }).then((r) =>
          r.members('Subscriptions').filter((s) => s.SubscriptionArn === 'PendingConfirmation'),
        );
      expect(await pending()).toHaveLength(1);
      await second.clock.advance(3600);
      expect(await pending()).toEqual([]);
      second.sns.publish(TOPIC, { message: 'after confirming', subject: 'Two days later' });
      expect(second.sns.messages({ endpoint: 'ops@example.com' }).at(-1)).toMatchObject({
        kind: 'notification',
        subject: 'Two days later',
        message: 'after confirming',
      });
    } finally {
      await second.stop();
    }
  }, 60_000);

  it('refuses a saved SNS state it cannot read, naming the file and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-cloud-sns-state-'));
    dirs.push(dir);
    const cloud = await startLocalCloud({ port: 0, start: START, stateDir: dir, saveIntervalMs: 0 });
    cloud.sns.createTopic({ accountId: TOOLING, region: REGION }, 'kept');
    await cloud.stop();
    const file = join(dir, 'sns-000001.json');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    delete saved.data.topics[0].arn;
    writeFileSync(file, JSON.stringify(saved));

    await expect(startLocalCloud({ port: 0, stateDir: dir })).rejects.toThrow(
      /state file .*sns-000001\.json: cannot be restored: \$\.topics\[0\]\.arn: must be a string/,
    );
  });
});

const denyAll = (arn: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: arn }],
});
