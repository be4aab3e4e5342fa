import { buildIdFor, type Policy } from '@ami-lifecycle/core';
import { vulnerableKey } from '@ami-lifecycle/refresh-service';
import {
  checkDeadLetters,
  MAX_SUBJECT_LENGTH,
  type NotifiedEvent,
  notifyOnEvent,
  onBuildRequested,
  RefreshDecisionPendingError,
  reconcileSubscriptions,
  subjectLine,
  vulnerableTriggerKey,
} from '../src';
import { AMI, createWorld, GOLDEN, START, TOPIC, VERSION, type World } from './support/world';

const ALICE = 'alice@example.com';
const OWNERS = 'golden-owners@example.com';
const SECURITY = 'security@example.com';
const OPS = 'platform-ops@example.com';
const PAYMENTS = 'team-payments@example.com';
const CORRELATION = 'corr-alice-1';
/** The build Alice's request starts (its idempotency key is `amictl-1`, see `readyWorld`). */
const ALICE_BUILD = buildIdFor(GOLDEN, 'amictl-1');

const noFindings = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 };
const tracing = (key: string, correlationId = CORRELATION) => ({
  correlationId,
  idempotencyKey: key,
  occurredAt: START,
});

const inspectionCompleted = (
  over: Partial<Extract<NotifiedEvent, { 'detail-type': 'Image Inspection Completed' }>['detail']> = {},
): NotifiedEvent => ({
  'detail-type': 'Image Inspection Completed',
  detail: {
    schemaVersion: 1,
    family: GOLDEN,
    version: VERSION,
    ...tracing(`inspection-completed:${GOLDEN}@${VERSION}`),
    imageId: AMI,
    purpose: 'candidate',
    verdict: 'pass',
    findings: { ...noFindings, MEDIUM: 2, LOW: 1 },
    reasons: ['all findings within the limits and all tests passed'],
    ...over,
  },
});

/** The example's policy, Alice's build requested, every policy address subscribed and confirmed. */
const readyWorld = async (change?: (p: Policy) => Policy): Promise<World> => {
  const world = await createWorld(change);
  await onBuildRequested(
    {
      schemaVersion: 1,
      family: GOLDEN,
      ...tracing('amictl-1'),
      reason: 'manual',
      requestedBy: 'Alice@Example.com',
      force: false,
    },
    world.deps,
  );
  await reconcileSubscriptions(world.deps);
  world.topic.confirmAll();
  return world;
};

const subjects = (world: World, address: string) => world.topic.receivedBy(address).map((m) => m.subject);

describe('subjects', () => {
  it('are printable ASCII, start with the prefix and fit in 100 characters', () => {
    const long = subjectLine(
      `golden-al2023 2026.03.01.1 vulnerable: ${'CVE-2026-0001 '.repeat(12)}caf\u00e9\u2028`,
    );
    expect(long.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(long).toMatch(/^[\x20-\x7e]+$/);
    expect(long).toMatch(/^\[ami-lifecycle\] golden-al2023 2026\.03\.01\.1 vulnerable: .*\.\.\.$/);
    expect(subjectLine('caf\u00e9  ok\n')).toBe('[ami-lifecycle] caf? ok');
  });
});

describe('a build requested by a person', () => {
  it('records the originator by correlation id and subscribes the address at once, in lower case', async () => {
    // Arrange
    const world = await createWorld();

    // Act
    const result = await onBuildRequested(
      {
        schemaVersion: 1,
        family: GOLDEN,
        ...tracing('amictl-1'),
        reason: 'manual',
        requestedBy: 'Alice@Example.com',
        force: false,
      },
      world.deps,
    );

    // Assert
    // Alice, and whoever the policy tells about the family and has no subscription yet: their confirmation
    // requests go out now, before the build's outcome.
    expect(result).toEqual({ address: ALICE, subscribed: [ALICE, OWNERS, OPS, SECURITY] });
    expect(await world.store.getOriginator(CORRELATION, world.clock.now())).toMatchObject({
      address: ALICE,
      family: GOLDEN,
      expiresAt: '2026-03-15T10:00:00.000Z',
    });
    expect(await world.topic.listSubscriptions(TOPIC)).toEqual(
      [ALICE, OWNERS, OPS, SECURITY].map((endpoint) => ({ protocol: 'email', endpoint, pending: true })),
    );
  });

  it.each([
    ['a service', 'refresh-service'],
    ['an address of a domain the policy does not list', 'mallory@evil.example'],
    ['an address of a subdomain', 'bob@eu.example.com'],
  ])('neither records nor subscribes %s', async (_, requestedBy) => {
    const world = await createWorld();

    const result = await onBuildRequested(
      { schemaVersion: 1, family: GOLDEN, ...tracing('k'), reason: 'manual', requestedBy, force: false },
      world.deps,
    );

    expect(result.address).toBeUndefined();
    expect(world.store.originators.size).toBe(0);
    expect(world.topic.subscriptions).toEqual([]);
  });
});

describe('Image Inspection Completed', () => {
  it("tells Alice and the family's owners the verdict and counts, once, and nobody else", async () => {
    // Arrange: a third address with a subscription of its own making, and one of another family's owners.
    const world = await readyWorld();
    world.topic.add({
      topicArn: TOPIC,
      protocol: 'email',
      endpoint: 'eve@example.com',
      pending: false,
      filterPolicy: '{"recipients":["eve@example.com"]}',
    });
    await world.image(GOLDEN, VERSION, {
      state: 'approved',
      correlationId: CORRELATION,
      patch: { buildId: ALICE_BUILD, verdict: 'pass', approver: 'auto' },
    });

    // Act
    const result = await notifyOnEvent(inspectionCompleted(), world.deps);

    // Assert
    expect(result.delivery?.recipients).toEqual([ALICE, OWNERS]);
    expect(world.topic.published).toHaveLength(1);
    const [alice] = world.topic.receivedBy(ALICE);
    expect(alice?.subject).toBe('[ami-lifecycle] golden-al2023 2026.03.01.1 inspection passed, approved');
    expect(alice?.body).toContain('Verdict:    pass');
    expect(alice?.body).toMatch(/MEDIUM\s+2/);
    expect(alice?.body).toMatch(/LOW\s+1/);
    expect(alice?.body).toContain('Findings:   2 MEDIUM, 1 LOW');
    expect(subjects(world, OWNERS)).toEqual([alice?.subject]);
    for (const nobody of [SECURITY, OPS, PAYMENTS, 'eve@example.com'])
      expect(subjects(world, nobody)).toEqual([]);
  });

  it('names the failing findings with their fixed builds and the waivers used', async () => {
    // Arrange: a CRITICAL over the limit, a HIGH waived, a finding on a child's builder that does not count.
    const world = await readyWorld((p) => ({
      ...p,
      families: {
        ...p.families,
        [GOLDEN]: {
          ...p.families[GOLDEN]!,
          inspect: {
            ...p.families[GOLDEN]!.inspect,
            gate: {
              ...p.families[GOLDEN]!.inspect.gate,
              waivers: [
                {
                  id: 'CVE-2026-1111',
                  reason: 'not reachable',
                  approvedBy: 'sec@example.com',
                  expiresAt: '2026-06-01T00:00:00Z',
                },
              ],
            },
          },
        },
      },
    }));
    await world.image(GOLDEN, VERSION, {
      state: 'rejected',
      correlationId: CORRELATION,
      patch: { buildId: ALICE_BUILD, verdict: 'fail', findings: { ...noFindings, CRITICAL: 1 } },
    });
    world.findings.add(AMI, {
      vulnerabilityId: 'CVE-2024-38476',
      severity: 'CRITICAL',
      score: 9.8,
      instanceId: 'i-0test',
      packages: [{ name: 'httpd', installed: '2.4.58-1.amzn2023', fixedIn: '2.4.60-1.amzn2023' }],
    });
    world.findings.add(AMI, { vulnerabilityId: 'CVE-2026-1111', severity: 'HIGH', instanceId: 'i-0test' });
    world.findings.add(AMI, {
      vulnerabilityId: 'CVE-2026-9999',
      severity: 'CRITICAL',
      instanceId: 'i-0child',
      instanceTags: {
        'ami-lifecycle:managed': 'true',
        'ami-lifecycle:family': 'payments-api',
        'ami-lifecycle:version': '1.0.0',
      },
    });

    // Act
    await notifyOnEvent(
      inspectionCompleted({
        verdict: 'fail',
        findings: { ...noFindings, CRITICAL: 1 },
        reasons: ['1 CRITICAL findings exceed the limit of 0'],
      }),
      world.deps,
    );

    // Assert
    const [message] = world.topic.receivedBy(ALICE);
    expect(message?.subject).toBe('[ami-lifecycle] golden-al2023 2026.03.01.1 inspection failed: 1 CRITICAL');
    expect(message?.body).toContain(
      'CVE-2024-38476 (CRITICAL): httpd 2.4.58-1.amzn2023, fixed in 2.4.60-1.amzn2023',
    );
    expect(message?.body).toContain('CVE-2026-1111: approved by sec@example.com, until 2026-06-01T00:00:00Z');
    expect(message?.body).not.toContain('CVE-2026-9999');
    expect(message?.body).toMatch(/CRITICAL\s+1 {2}\(limit 0, over it\)/);
  });

  it('tells a re-inspection to the owners but not to the build’s originator', async () => {
    const world = await readyWorld();
    await world.image(GOLDEN, VERSION, { state: 'published', correlationId: CORRELATION });

    await notifyOnEvent(inspectionCompleted({ purpose: 'reinspection' }), world.deps);

    expect(subjects(world, OWNERS)).toEqual([
      '[ami-lifecycle] golden-al2023 2026.03.01.1 re-inspection passed',
    ]);
    expect(subjects(world, ALICE)).toEqual([]);
  });

  it('sends nothing, and reads nothing, when nobody is to be told', async () => {
    const world = await createWorld((p) => ({
      ...p,
      notify: { ...p.notify, recipients: [], originators: { domains: [], events: ['inspection-completed'] } },
    }));
    world.findings.failure = new Error('must not be read');

    const result = await notifyOnEvent(inspectionCompleted({ family: 'orders-worker' }), world.deps);

    expect(result).toEqual({
      event: 'inspection-completed',
      family: 'orders-worker',
      skipped: 'nobody is told about inspection-completed of orders-worker',
    });
    expect(world.topic.published).toEqual([]);
  });

  it('still reaches the policy’s people when an external topic refuses, and reports the refusal', async () => {
    const external = 'arn:aws:sns:eu-central-1:222222222222:platform-alerts';
    const world = await readyWorld((p) => ({ ...p, notify: { ...p.notify, topicArn: external } }));
    world.topic.refusing.set(
      external,
      Object.assign(new Error('not authorized'), { name: 'AuthorizationError' }),
    );
    await world.image(GOLDEN, VERSION, { correlationId: CORRELATION, patch: { buildId: ALICE_BUILD } });

    const result = await notifyOnEvent(inspectionCompleted(), world.deps);

    expect(result.delivery?.external).toEqual([
      { topicArn: external, error: 'AuthorizationError: not authorized' },
    ]);
    expect(subjects(world, ALICE)).toHaveLength(1);
    expect(world.reports).toEqual([
      expect.objectContaining({
        detail: { topicArn: external, error: 'AuthorizationError: not authorized' },
      }),
    ]);
  });
});

describe("a build's originator", () => {
  it('is not told about the children built on their image, which carry the same correlation id', async () => {
    // Arrange: orders-worker rebuilt by the refresh that Alice's golden image caused.
    const world = await readyWorld();
    await world.image('orders-worker', VERSION, {
      state: 'approved',
      correlationId: CORRELATION,
      patch: { buildId: ALICE_BUILD, verdict: 'pass', approver: 'auto' },
    });

    // Act
    const result = await notifyOnEvent(
      inspectionCompleted({
        family: 'orders-worker',
        ...tracing(`inspection-completed:orders-worker@${VERSION}`),
      }),
      world.deps,
    );

    // Assert
    expect(result.delivery?.recipients ?? []).not.toContain(ALICE);
    expect(subjects(world, ALICE)).toEqual([]);
  });
});

describe("a build's originator, again", () => {
  it('is not told about a later build of the same family under the same correlation id (a vulnerable rebuild)', async () => {
    // Arrange: the refresh service rebuilds golden-al2023 when Alice's image turns vulnerable, under the
    // image's correlation id, with a build id of its own.
    const world = await readyWorld();
    const rebuilt = '2026.03.04.1';
    await world.image(GOLDEN, rebuilt, {
      state: 'approved',
      correlationId: CORRELATION,
      patch: { buildId: buildIdFor(GOLDEN, 'vulnerable:golden-al2023@2026.03.01.1'), verdict: 'pass' },
    });

    // Act
    await notifyOnEvent(
      inspectionCompleted({ version: rebuilt, ...tracing(`inspection-completed:${GOLDEN}@${rebuilt}`) }),
      world.deps,
    );

    // Assert: the owners hear of it; Alice asked for another build.
    expect(subjects(world, OWNERS)).toHaveLength(1);
    expect(subjects(world, ALICE)).toEqual([]);
  });
});

describe('Image Rejected and Image Build Failed', () => {
  it('says the family, version and outcome in the subject', async () => {
    const world = await readyWorld();
    await world.image(GOLDEN, VERSION, {
      state: 'rejected',
      correlationId: CORRELATION,
      patch: { verdict: 'fail', findings: { ...noFindings, CRITICAL: 1, MEDIUM: 3 } },
    });

    await notifyOnEvent(
      {
        'detail-type': 'Image Rejected',
        detail: {
          schemaVersion: 1,
          family: GOLDEN,
          version: VERSION,
          ...tracing(`image-rejected:${GOLDEN}@${VERSION}`),
          imageId: AMI,
          approver: { kind: 'auto' },
          reason: '1 CRITICAL findings exceed the limit of 0',
        },
      },
      world.deps,
    );

    // Security and the owners want rejections; Alice's policy does not tell originators about them.
    expect(subjects(world, SECURITY)).toEqual([
      '[ami-lifecycle] golden-al2023 2026.03.01.1 rejected: 1 CRITICAL',
    ]);
    expect(subjects(world, OWNERS)).toHaveLength(1);
    expect(subjects(world, ALICE)).toEqual([]);
  });

  it('tells the originator the stage and the real reason of a failed build', async () => {
    const world = await readyWorld();
    await world.image(GOLDEN, VERSION, {
      state: 'failed',
      correlationId: CORRELATION,
      patch: { reason: 'component harden exited 1: sshd_config not found' },
    });

    await notifyOnEvent(
      {
        'detail-type': 'Image Build Failed',
        detail: {
          schemaVersion: 1,
          family: GOLDEN,
          version: VERSION,
          ...tracing(`build-failed:${GOLDEN}@${VERSION}`),
          buildId: ALICE_BUILD,
          stage: 'run-components',
          reason: 'component harden exited 1: sshd_config not found',
        },
      },
      world.deps,
    );

    const [message] = world.topic.receivedBy(ALICE);
    expect(message?.subject).toBe(
      '[ami-lifecycle] golden-al2023 2026.03.01.1 build failed at run-components',
    );
    expect(message?.body).toMatch(/^Reason: +component harden exited 1: sshd_config not found$/m);
    expect(subjects(world, OPS)).toHaveLength(1);
  });
});

describe('Image Vulnerable', () => {
  const vulnerable = (): NotifiedEvent => ({
    'detail-type': 'Image Vulnerable',
    detail: {
      schemaVersion: 1,
      family: GOLDEN,
      version: VERSION,
      ...tracing(`image-vulnerable:${GOLDEN}@${VERSION}`, `corr-${GOLDEN}`),
      imageId: AMI,
      findings: [
        {
          findingArn: 'arn:aws:inspector2:eu-west-1:111111111111:finding/00000001',
          vulnerabilityId: 'CVE-2026-4242',
          severity: 'CRITICAL',
        },
      ],
      summary: { ...noFindings, CRITICAL: 1 },
    },
  });

  const vulnerableWorld = async () => {
    const world = await readyWorld();
    await world.image(GOLDEN, VERSION, { state: 'published', patch: { vulnerable: true } });
    await world.catalog.setChannel(GOLDEN, 'latest', VERSION, {
      expectedRevision: null,
      at: START,
      audit: { actor: 'test', reason: 'published', correlationId: 'c' },
    });
    world.findings.add(AMI, {
      vulnerabilityId: 'CVE-2026-4242',
      severity: 'CRITICAL',
      instanceId: 'i-0workload',
      accountId: '222222222222',
      packages: [{ name: 'sudo', installed: '1.9.15-1.amzn2023' }],
    });
    return world;
  };

  it('waits for the refresh service’s decision, then tells the owners and security the CVEs and the rebuild', async () => {
    // Arrange
    const world = await vulnerableWorld();

    // Act / Assert: no decision yet, and the event is fresh: retried.
    await expect(notifyOnEvent(vulnerable(), world.deps)).rejects.toBeInstanceOf(RefreshDecisionPendingError);
    expect(world.topic.published).toEqual([]);

    // The refresh service decides; the retry a minute later tells.
    const key = `refresh:${GOLDEN}:${vulnerableKey({ family: GOLDEN, version: VERSION })}`;
    await world.catalog.recordRefreshDecision({
      family: GOLDEN,
      triggerKey: vulnerableKey({ family: GOLDEN, version: VERSION }),
      trigger: 'vulnerable',
      triggerImage: { family: GOLDEN, version: VERSION, amiId: AMI },
      outcome: 'requested',
      reason: `${GOLDEN}@${VERSION} turned vulnerable`,
      request: { idempotencyKey: key, force: true },
      correlationId: 'c',
      decidedAt: START,
      decidedBy: 'refresh-service',
    });
    world.clock.advance(60_000);
    await notifyOnEvent(vulnerable(), world.deps);

    const [message] = world.topic.receivedBy(OWNERS);
    expect(message?.subject).toBe(
      '[ami-lifecycle] golden-al2023 2026.03.01.1 vulnerable: CVE-2026-4242 (CRITICAL), rebuild requested',
    );
    expect(message?.body).toContain('CVE-2026-4242 (CRITICAL): sudo 1.9.15-1.amzn2023, no fixed build yet');
    expect(message?.body).toContain('account 222222222222: i-0workload');
    expect(message?.body).toContain('Channels:     latest');
    expect(message?.body).toMatch(new RegExp(`^  Build: +${buildIdFor(GOLDEN, key)}$`, 'm'));
    expect(subjects(world, SECURITY)).toEqual([message?.subject]);
    // Not a build outcome: the originator is not told.
    expect(subjects(world, ALICE)).toEqual([]);
    // Inspector is asked for the event's vulnerabilities only: an image in wide use has findings on every
    // instance, more than the pages a message reads.
    expect(world.findings.asked.at(-1)).toEqual(['CVE-2026-4242']);
  });

  it('goes without the decision once it has waited three minutes', async () => {
    const world = await vulnerableWorld();
    world.clock.advance(3 * 60_000);

    await notifyOnEvent(vulnerable(), world.deps);

    expect(world.topic.receivedBy(OWNERS)[0]?.body).toContain(
      'The refresh service has recorded no decision about a rebuild yet.',
    );
  });

  it('reads the decision under the refresh service’s own key', () => {
    expect(vulnerableTriggerKey(GOLDEN, VERSION)).toBe(vulnerableKey({ family: GOLDEN, version: VERSION }));
  });
});

describe('Image Published and Retention Sweep Completed', () => {
  it('names the regions, channels and SSM parameters', async () => {
    const world = await readyWorld();
    await world.image(GOLDEN, VERSION, { state: 'published', correlationId: CORRELATION });

    await notifyOnEvent(
      {
        'detail-type': 'Image Published',
        detail: {
          schemaVersion: 1,
          family: GOLDEN,
          version: VERSION,
          ...tracing(`image-published:${GOLDEN}@${VERSION}`),
          imageId: AMI,
          channels: ['latest', 'stable'],
          regions: { 'eu-west-1': AMI, 'eu-central-1': 'ami-0fedcba9876543210' },
          ssmParameters: ['/ami-lifecycle/golden-al2023/latest', '/ami-lifecycle/golden-al2023/stable'],
        },
      },
      world.deps,
    );

    const [message] = world.topic.receivedBy(OWNERS);
    expect(message?.subject).toBe('[ami-lifecycle] golden-al2023 2026.03.01.1 published on latest, stable');
    expect(message?.body).toMatch(/eu-central-1\s+ami-0fedcba9876543210/);
    expect(message?.body).toContain('/ami-lifecycle/golden-al2023/stable');
    // Alice's policy tells originators the verdict and failures, not publications.
    expect(subjects(world, ALICE)).toEqual([]);
  });

  it('tells the organisation’s sweep recipients the counts, GiB freed, cost saved and guard verdict', async () => {
    const world = await readyWorld();

    await notifyOnEvent(
      {
        'detail-type': 'Retention Sweep Completed',
        detail: {
          schemaVersion: 2,
          family: 'golden-ubuntu',
          ...tracing('sweep-completed:sweep-2026-03-10:golden-ubuntu'),
          sweepId: 'sweep-2026-03-10',
          dryRun: false,
          inventoryAt: START,
          counts: { keep: 4, deprecate: 1, disable: 0, retire: 1 },
          guard: { verdict: 'ok' },
          actions: { done: 2, skipped: 0, failed: 0 },
          snapshotGiBFreed: 16,
          monthlyStorageCostSaved: { amount: 0.8, currency: 'USD' },
        },
      },
      world.deps,
    );

    const [message] = world.topic.receivedBy(OPS);
    expect(message?.subject).toBe(
      '[ami-lifecycle] golden-ubuntu retention sweep-2026-03-10: 1 retired, 1 deprecated, 16 GiB freed',
    );
    expect(message?.body).toContain('snapshot storage freed 16 GiB, saving USD 0.80 a month');
    expect(message?.body).toContain('Guard:        ok');
    expect(subjects(world, OWNERS)).toEqual([]);
  });
});

describe('a sweep with nothing to tell', () => {
  const swept = (over: {
    retire?: number;
    guard?: { verdict: 'ok' } | { verdict: 'tripped'; reason: string };
  }) =>
    ({
      'detail-type': 'Retention Sweep Completed',
      detail: {
        schemaVersion: 2,
        family: 'golden-ubuntu',
        ...tracing(`sweep-completed:sweep-2026-03-10:golden-ubuntu:${over.retire ?? 0}`),
        sweepId: 'sweep-2026-03-10',
        dryRun: false,
        inventoryAt: START,
        counts: { keep: 4, deprecate: 0, disable: 0, retire: over.retire ?? 0 },
        guard: over.guard ?? { verdict: 'ok' },
        actions: { done: over.retire ?? 0, skipped: 0, failed: 0 },
        snapshotGiBFreed: 0,
        monthlyStorageCostSaved: { amount: 0, currency: 'USD' },
      },
    }) as NotifiedEvent;

  it('sends nothing when the family had nothing to deprecate, disable or retire and the guard held', async () => {
    const world = await readyWorld();

    const result = await notifyOnEvent(swept({}), world.deps);

    expect(result.skipped).toBe('the sweep of golden-ubuntu planned and did nothing');
    expect(world.topic.published).toHaveLength(0);
  });

  it('tells a tripped guard even when nothing was planned', async () => {
    const world = await readyWorld();

    await notifyOnEvent(
      swept({ guard: { verdict: 'tripped', reason: 'the inventory is 3 hours old' } }),
      world.deps,
    );

    expect(world.topic.receivedBy(OPS)).toHaveLength(1);
  });
});

describe('the dead-letter check', () => {
  it('tells the dead-letters recipients when the count changes, not while it stays', async () => {
    const world = await readyWorld();
    let depth = 0;
    const deps = {
      ...world.deps,
      queue: { depth: async () => ({ visible: depth, inFlight: 0, delayed: 0 }) },
      queueName: 'ami-lifecycle-test-events-dlq',
    };
    const run = async (n: number) => {
      depth = n;
      world.clock.advance(3_600_000);
      return checkDeadLetters(deps);
    };

    expect(await run(0)).toEqual({ count: 0, skipped: 'the queue is empty' });
    expect((await run(2)).delivery?.recipients).toEqual([OPS]);
    expect((await run(2)).skipped).toMatch(/^still 2/);
    expect((await run(3)).delivery?.recipients).toEqual([OPS]);
    await run(0);
    expect((await run(3)).delivery?.recipients).toEqual([OPS]);

    expect(subjects(world, OPS)).toEqual([
      '[ami-lifecycle] 2 events in the dead-letter queue',
      '[ami-lifecycle] 3 events in the dead-letter queue',
      '[ami-lifecycle] 3 events in the dead-letter queue',
    ]);
    expect(world.topic.receivedBy(OPS)[1]?.body).toContain('amictl events rejected');
    expect(world.topic.receivedBy(OPS)[1]?.body).toMatch(/Last told: +2 at .* \(1 more\)/);
  });
});

describe('reconciling the subscriptions', () => {
  it('subscribes every address of the policy and the open builds, sets a wrong filter right, removes only its own', async () => {
    // Arrange
    const world = await createWorld();
    await world.store.putOriginator({
      correlationId: 'c-1',
      address: ALICE,
      family: GOLDEN,
      buildId: buildIdFor(GOLDEN, 'c-1'),
      requestedAt: START,
      expiresAt: '2026-03-02T00:00:00.000Z',
    });
    const add = (endpoint: string, filterPolicy?: string, protocol = 'email') =>
      world.topic.add({
        topicArn: TOPIC,
        protocol,
        endpoint,
        pending: false,
        ...(filterPolicy === undefined ? {} : { filterPolicy }),
      });
    add(OWNERS); // a policy address subscribed without a filter: it would get everything
    add('former-owner@example.com', '{"recipients":["former-owner@example.com"]}');
    add('someone@example.com'); // not made by the service
    add('arn:aws:sqs:eu-west-1:111111111111:chat', undefined, 'sqs');

    // Act
    const result = await reconcileSubscriptions(world.deps);

    // Assert
    expect(result).toEqual({
      wanted: [ALICE, OWNERS, OPS, SECURITY, PAYMENTS].sort(),
      subscribed: [ALICE, OPS, SECURITY, PAYMENTS].sort(),
      fixed: [OWNERS],
      unsubscribed: ['former-owner@example.com'],
      leftAlone: ['someone@example.com'],
    });
    expect(await world.topic.filterPolicyOf(world.topic.subscriptions[0]!.arn)).toEqual({
      filterPolicy: '{"recipients":["golden-owners@example.com"]}',
      scope: 'MessageAttributes',
    });

    // A day later Alice's build is long over: her subscription goes, the policy's stay.
    world.topic.confirmAll();
    world.clock.advance(86_400_000);
    expect((await reconcileSubscriptions(world.deps)).unsubscribed).toEqual([ALICE]);
  });

  it('removes nothing while a family’s stored config does not parse', async () => {
    const world = await createWorld();
    await world.catalog.putFamilyConfig(
      'broken',
      { kind: 'nonsense' },
      { expectedCurrent: null, at: START, by: 't' },
    );
    world.topic.add({
      topicArn: TOPIC,
      protocol: 'email',
      endpoint: 'former-owner@example.com',
      pending: false,
      filterPolicy: '{"recipients":["former-owner@example.com"]}',
    });

    const result = await reconcileSubscriptions(world.deps);

    expect(result.unsubscribed).toEqual([]);
    expect(result.removalsSkipped).toMatch(/broken/);
    expect(world.reports).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ family: 'broken' }) }),
    ]);
  });
});

describe('when a read or a write fails', () => {
  it('retries, rather than dead-letters, an event while the stored organisation config does not parse', async () => {
    const world = await readyWorld();
    const catalog = Object.assign(Object.create(world.catalog), {
      getOrganizationConfig: async () => ({
        version: 3,
        config: { accounts: 'not accounts' },
        storedAt: START,
        storedBy: 'a newer amictl',
      }),
    });

    const sent = notifyOnEvent(inspectionCompleted(), { ...world.deps, catalog });

    // StoredConfigInvalidError is retried; the ValidationError it replaces would be refused for good.
    await expect(sent).rejects.toMatchObject({
      name: 'StoredConfigInvalidError',
      message: expect.stringContaining('stored organization config (version 3)'),
    });
    expect(world.topic.published).toHaveLength(0);
  });

  it('reconciles the other subscriptions when SNS will not read one of them, and says which', async () => {
    const world = await createWorld();
    await reconcileSubscriptions(world.deps);
    world.topic.confirmAll();
    const [broken] = (await world.topic.listSubscriptions(TOPIC)).filter((x) => x.endpoint === OWNERS);
    const read = world.topic.filterPolicyOf.bind(world.topic);
    world.topic.filterPolicyOf = async (arn: string) => {
      if (arn === broken?.subscriptionArn) throw new Error('Throttling: rate exceeded');
      return read(arn);
    };
    // An address the policy gained since: it must still be subscribed this run.
    const next = await createWorld((p) => ({
      ...p,
      notify: {
        ...p.notify,
        recipients: [...p.notify.recipients, { address: 'new-ops@example.com', events: ['dead-letters'] }],
      },
    }));
    const result = await reconcileSubscriptions({ ...world.deps, catalog: next.catalog });

    expect(result.failed).toEqual([{ address: OWNERS, error: 'Throttling: rate exceeded' }]);
    expect(result.subscribed).toEqual(['new-ops@example.com']);
    expect(world.reports).toContainEqual(
      expect.objectContaining({ what: 'could not reconcile a subscription' }),
    );
  });

  it('does not send the dead-letter notice again when recording it fails after the mail went out', async () => {
    const world = await readyWorld();
    const deps = {
      ...world.deps,
      queue: { depth: async () => ({ visible: 2, inFlight: 0, delayed: 0 }) },
      queueName: 'ami-lifecycle-test-events-dlq',
      store: Object.assign(Object.create(world.store), {
        putDeadLetterNotice: async () => {
          throw new Error('ProvisionedThroughputExceeded');
        },
      }),
    };

    const result = await checkDeadLetters(deps);

    expect(result.delivery?.recipients).toEqual([OPS]);
    expect(world.reports).toContainEqual(
      expect.objectContaining({ what: 'could not record the dead-letter notice just sent' }),
    );
  });
});
