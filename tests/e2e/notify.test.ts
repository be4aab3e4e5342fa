import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildRequestedDetail, ImageInspectionCompletedDetail } from '@ami-lifecycle/contracts';
import { buildIdFor, type Image, parsePolicy } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { HOME, ROOT, startStage } from './support/stage';

// Its own stage: its own table, bus, queue and topic, apart from the other suites sharing DynamoDB Local.
const STAGE = 'e2e-notify';
const START = '2026-03-01T09:00:00.000Z';
const GOLDEN = 'golden-al2023';
const HOUR = 3600;

// The example policy's people: the organisation's, golden-al2023's owners, and one of another family.
const ALICE = 'alice@example.com';
const OWNERS = 'golden-owners@example.com';
const SECURITY = 'security@example.com';
const OPS = 'platform-ops@example.com';
const UBUNTU = 'ubuntu-owners@example.com';
// Another family's owner the example names; only golden-ubuntu's and golden-al2023's configs are stored here.
const PAYMENTS = 'team-payments@example.com';
// Not in the policy: one refused by the topic policy, one subscribed with a filter policy naming itself.
const MALLORY = 'mallory@example.com';
const EVE = 'eve@example.com';

/**
 * Notifications on the local cloud (issue #15): serverless.yml's topic and the notify functions, the example
 * policy's `notify` sections, a golden build requested by Alice, and a CVE that makes the published image
 * vulnerable. What each address received is read from the local SNS (`cloud.sns.messages()`): an email
 * subscription gets a message only once confirmed, and only when its filter policy lets it through.
 */
describe('notifications on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let topicArn: string;
  let published: Image;
  const logLevel = process.env.POWERTOOLS_LOG_LEVEL;

  const fn = (key: string) => `ami-lifecycle-${STAGE}-${key}`;
  /** What an address received: notifications of the topic, oldest first. */
  const received = (address: string): ReturnType<LocalCloud['sns']['messages']> =>
    cloud.sns
      .messages({ topicArn, endpoint: address })
      .filter((m) => m.kind === 'notification' && m.status === 'delivered');
  const subjects = (address: string) => received(address).map((m) => m.subject);
  /** Confirms every pending subscription of these addresses, as each recipient clicking the link. */
  const confirm = (...addresses: string[]) => {
    for (const endpoint of addresses) cloud.sns.confirm({ topicArn, endpoint });
  };
  const scheduled = (id: string) => ({
    version: '0',
    id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: cloud.accounts.defaultAccountId,
    time: cloud.clock.now().toISOString(),
    region: HOME,
    resources: [],
    detail: {},
  });
  /** Lets the asynchronous invocations under way finish, the clock standing still. */
  const settle = async () => {
    await cloud.clock.advance(0);
    await cloud.lambda?.drain();
  };

  beforeAll(async () => {
    // Refusals (the malformed event below) are logged at error level; only worse is of interest here.
    process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
    ({ cloud, pipeline } = await startStage(STAGE, [GOLDEN], START, dynamoDbEndpoint()));
    const policy = parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example');
    await pipeline.storeOrganization(policy);
    // A family nothing here builds, whose owner must hear nothing of golden-al2023.
    await pipeline.storeFamilies({
      'golden-ubuntu': {
        ...policy.families['golden-ubuntu']!,
        notify: {
          recipients: [
            {
              address: UBUNTU,
              events: [
                'inspection-completed',
                'image-rejected',
                'build-failed',
                'image-vulnerable',
                'image-published',
              ],
            },
          ],
        },
      },
    });
    topicArn = `arn:aws:sns:${HOME}:${cloud.accounts.defaultAccountId}:ami-lifecycle-${STAGE}-notifications`;
  }, 120_000);
  afterAll(async () => {
    await cloud?.stop();
    if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
  });

  it('deploys an encrypted topic that only the notify functions may publish to or subscribe to', async () => {
    expect(cloud.deployment?.topics).toEqual([topicArn]);
    expect(cloud.deployment?.topicPolicies).toEqual(['NotificationsTopicPolicy']);
    expect(cloud.sns.topics.find(topicArn)?.attributes.KmsMasterKeyId).toBe(
      `alias/ami-lifecycle-${STAGE}-notifications`,
    );

    // Someone of the account subscribes an address directly: the topic's policy denies it.
    await expect(
      new SNSClient({ ...cloud.clientConfig, maxAttempts: 1 }).send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: MALLORY }),
      ),
    ).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
  });

  it("subscribes the policy's addresses with the filter policy naming each, and no one else", async () => {
    // Act: the hourly reconciler, run now.
    const result = (await cloud.lambda!.invoke(fn('notifyReconcile'), scheduled('reconcile-1'))) as {
      wanted: string[];
      subscribed: string[];
    };

    // Assert
    expect(result.subscribed).toEqual([OWNERS, OPS, SECURITY, UBUNTU].sort());
    const confirmations = cloud.sns.messages({ topicArn }).filter((m) => m.kind === 'confirmation');
    expect(confirmations.map((m) => m.endpoint).sort()).toEqual([OWNERS, OPS, SECURITY, UBUNTU].sort());
    for (const s of cloud.sns.topics.ofTopic(topicArn)) {
      expect(s.attributes.FilterPolicy).toBe(JSON.stringify({ recipients: [s.endpoint] }));
    }
    confirm(OWNERS, OPS, SECURITY, UBUNTU);

    // An address the policy does not name, subscribed with the filter policy naming it (as by an
    // administrator, past the topic policy): it is on the topic, but no message will name it.
    cloud.sns.subscribeAs(
      { accountId: cloud.accounts.defaultAccountId, region: HOME },
      topicArn,
      'email',
      EVE,
      {
        FilterPolicy: JSON.stringify({ recipients: [EVE] }),
      },
    );
    confirm(EVE);
  });

  it("tells Alice her golden build's verdict and counts in one message, the owners what the policy says, and nobody else", async () => {
    // Act: Alice requests the build; her subscription is made at once, and she confirms it.
    const { buildId } = await pipeline.requestBuild(GOLDEN, 'notify-golden-1', {
      requestedBy: 'Alice@Example.com',
      force: true,
    });
    await settle();
    expect(cloud.sns.messages({ topicArn, endpoint: ALICE }).map((m) => m.kind)).toEqual(['confirmation']);
    confirm(ALICE);
    await pipeline.advanceUntil(
      `${GOLDEN} published`,
      async () => (await pipeline.imageOfBuild(GOLDEN, buildId))?.state === 'published',
      { maxSeconds: 6 * HOUR, stepSeconds: 60 },
    );
    await pipeline.advanceUntil(
      'the owners told of the publication',
      async () => received(OWNERS).length >= 2,
      {
        maxSeconds: 600,
        stepSeconds: 30,
      },
    );
    published = (await pipeline.imageOfBuild(GOLDEN, buildId))!;
    const label = `${GOLDEN} ${published.version}`;

    // Assert: Alice, one message, the verdict and the counts per severity.
    const [alice, ...more] = received(ALICE);
    expect(more).toEqual([]);
    expect(alice?.subject).toBe(`[ami-lifecycle] ${label} inspection passed, approved`);
    expect(alice?.message).toMatch(/^Verdict: +pass$/m);
    expect(alice?.message).toContain('Findings per severity, after waivers:');
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED']) {
      expect(alice?.message).toMatch(new RegExp(`^  ${severity} +\\d+`, 'm'));
    }
    expect(alice?.message).toContain(`amictl image show ${GOLDEN} ${published.version}`);
    // The owners: the inspection and the publication, as the example's notify says.
    expect(subjects(OWNERS)).toEqual([
      `[ami-lifecycle] ${label} inspection passed, approved`,
      `[ami-lifecycle] ${label} published on latest, stable`,
    ]);
    expect(received(OWNERS)[1]?.message).toContain(`/ami-lifecycle/${GOLDEN}/stable`);
    // Nobody else: security and operations want other events, and neither another family's owner nor an
    // address outside the policy hears of it.
    for (const nobody of [SECURITY, OPS, UBUNTU, PAYMENTS, EVE, MALLORY])
      expect(subjects(nobody)).toEqual([]);
  }, 600_000);

  it('sends one message for an event delivered three times, and none for a malformed one', async () => {
    // Arrange: a re-inspection's outcome, as EventBridge delivers it.
    const detail: ImageInspectionCompletedDetail = {
      schemaVersion: 1,
      family: GOLDEN,
      version: published.version,
      correlationId: 'corr-reinspection-1',
      idempotencyKey: `notify-e2e:reinspection:${GOLDEN}@${published.version}`,
      occurredAt: cloud.clock.now().toISOString(),
      imageId: published.amiIds[HOME]!,
      purpose: 'reinspection',
      verdict: 'pass',
      findings: { CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 },
      reasons: ['all findings within the limits and all tests passed'],
    };
    const event = {
      version: '0',
      id: 'e2e-reinspection-event-1',
      'detail-type': 'Image Inspection Completed',
      source: 'ami-lifecycle',
      account: cloud.accounts.defaultAccountId,
      time: cloud.clock.now().toISOString(),
      region: HOME,
      resources: [],
      detail,
    };
    const subject = `[ami-lifecycle] ${GOLDEN} ${published.version} re-inspection passed`;

    // Act: the same event three times.
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await cloud.lambda!.invoke(fn('notifyOnEvent'), event));

    // Assert: one message; each delivery answers the first one's result.
    expect(subjects(OWNERS).filter((s) => s === subject)).toEqual([subject]);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);

    // A malformed one is refused into the dead-letter queue and publishes nothing.
    const before = cloud.sns.messages({ topicArn }).length;
    const refused = (await cloud.lambda!.invoke(fn('notifyOnEvent'), {
      ...event,
      id: 'e2e-malformed-1',
      detail: { ...detail, idempotencyKey: 'notify-e2e:malformed', verdict: 'maybe' },
    })) as { status: string };
    expect(refused.status).toBe('rejected');
    expect(cloud.sns.messages({ topicArn })).toHaveLength(before);
    const local = (await (await fetch(`${cloud.endpoint}/_local/events`)).json()) as {
      queues: { queueArn: string; messages: { Body: string }[] }[];
    };
    const dlq = local.queues.find((q) => q.queueArn.endsWith(`:ami-lifecycle-${STAGE}-events-dlq`));
    expect(dlq?.messages.map((m) => JSON.parse(m.Body))).toEqual([
      expect.objectContaining({
        functionName: fn('notifyOnEvent'),
        error: expect.objectContaining({ issues: [expect.objectContaining({ path: 'detail.verdict' })] }),
      }),
    ]);
  });

  it('tells operations of the dead letter within the hour, and not again while the count stays', async () => {
    await pipeline.advanceUntil('operations told of the dead letter', async () => received(OPS).length > 0, {
      maxSeconds: HOUR,
      stepSeconds: 300,
    });
    for (let h = 0; h < 2; h++) await cloud.clock.advance(HOUR);

    expect(subjects(OPS)).toEqual(['[ami-lifecycle] 1 event in the dead-letter queue']);
    expect(received(OPS)[0]?.message).toContain('amictl events rejected');
  });

  it('tells the owners and security the CVE of the published image, where it runs, and the rebuild started', async () => {
    // Arrange: a workload runs the published image, and Inspector has scanned it.
    const run = await new EC2Client(cloud.clientConfig).send(
      new RunInstancesCommand({
        ImageId: published.amiIds[HOME],
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
      }),
    );
    const workload = run.Instances![0]!.InstanceId!;
    await cloud.clock.advance(600);

    // Act: a critical CVE on a package the image has.
    await pipeline.addCve({
      vulnerabilityId: 'CVE-2026-4242',
      packageName: 'sudo',
      family: 'rpm',
      fixedVersion: '1.9.16-1.amzn2023',
      severity: 'CRITICAL',
      cvssScore: 9.8,
      title: 'sudo lets a local user run commands as root',
    });
    const vulnerable = () => received(OWNERS).filter((m) => m.subject?.includes(' vulnerable: '));
    await pipeline.advanceUntil('the owners told of the vulnerability', async () => vulnerable().length > 0, {
      maxSeconds: 2 * HOUR,
      stepSeconds: 60,
    });

    // Assert
    const [message, ...again] = vulnerable();
    expect(again).toEqual([]);
    expect(message?.subject).toBe(
      `[ami-lifecycle] ${GOLDEN} ${published.version} vulnerable: CVE-2026-4242 (CRITICAL), rebuild requested`,
    );
    expect(message?.message).toMatch(
      /CVE-2026-4242 \(CRITICAL\): sudo \S+, fixed in (0:)?1\.9\.16-1\.amzn2023$/m,
    );
    expect(message?.message).toContain(workload);
    expect(message?.message).toContain('A rebuild was requested by refresh-service');
    // The rebuild it names is the one the refresh service put on the bus.
    const rebuilds = (pipeline.ingested('Build Requested', GOLDEN) as BuildRequestedDetail[]).filter(
      (r) => r.reason === 'vulnerable',
    );
    expect(rebuilds).toHaveLength(1);
    expect(message?.message).toContain(buildIdFor(GOLDEN, rebuilds[0]!.idempotencyKey));
    expect(subjects(SECURITY)).toContain(message?.subject);
    // Still one message for Alice (the rebuild is the refresh service's), nothing for the others.
    expect(received(ALICE)).toHaveLength(1);
    for (const nobody of [UBUNTU, PAYMENTS, EVE, MALLORY]) expect(subjects(nobody)).toEqual([]);
  }, 600_000);

  it('called only what each notify function’s role allows', () => {
    expect(cloud.lambda!.undeclaredActions().filter((u) => u.function.includes('-notify'))).toEqual([]);
    const called = [...cloud.lambda!.awsCalls()].filter(([name]) => name.includes('-notify'));
    expect(called.length).toBeGreaterThanOrEqual(4);
  });
});
