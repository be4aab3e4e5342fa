import type { RefreshDecision } from '@ami-lifecycle/core';
import type { RefreshPlanView } from '../src';
import { addImage, amiId, createWorld, HOME, START, type World } from './support/world';

const OTHER = 'eu-central-1';
const FAMILIES = ['golden-al2023', 'golden-ubuntu', 'orders-worker', 'payments-api'];

/**
 * As of START (2026-03-01T10:00Z), the daily refresh would
 * - rebuild golden-al2023: its current 1.0.0 (latest, stable) is 50 days old, over its limit of 30;
 * - rebuild orders-worker on golden-al2023 1.0.0 (on latest), which it has no build on yet;
 * - skip payments-api: built on golden-al2023 1.0.0, 50 days old, over its limit of 45, but stable has
 *   nothing newer and golden-al2023 is being rebuilt today;
 * - leave golden-ubuntu alone: its current 24.04.1 is 9 days old;
 * - leave out legacy-app, whose stored config no longer parses.
 */
const planned = async (): Promise<World> => {
  const world = await createWorld(FAMILIES);
  await world.catalog.putFamilyConfig(
    'legacy-app',
    { kind: 'golden' },
    { expectedCurrent: null, at: START, by: 'test' },
  );
  await addImage(world, {
    family: 'golden-al2023',
    version: '0.9.0',
    n: 1,
    state: 'published',
    regions: [HOME, OTHER],
    createdAt: '2025-12-20T08:00:00.000Z',
    channels: ['latest', 'stable'],
  });
  await addImage(world, {
    family: 'golden-al2023',
    version: '1.0.0',
    n: 2,
    state: 'published',
    regions: [HOME, OTHER],
    createdAt: '2026-01-10T08:00:00.000Z',
    channels: ['latest', 'stable'],
  });
  await addImage(world, {
    family: 'orders-worker',
    version: '4.1.0',
    n: 3,
    state: 'published',
    createdAt: '2025-12-21T08:00:00.000Z',
    parent: { family: 'golden-al2023', version: '0.9.0', amiId: amiId(1) },
    channels: ['latest'],
  });
  await addImage(world, {
    family: 'payments-api',
    version: '2.0.0',
    n: 4,
    state: 'published',
    regions: [HOME, OTHER],
    createdAt: '2026-01-11T08:00:00.000Z',
    parent: { family: 'golden-al2023', version: '1.0.0', amiId: amiId(2) },
    channels: ['latest', 'stable'],
  });
  await addImage(world, {
    family: 'golden-ubuntu',
    version: '24.04.1',
    n: 5,
    state: 'published',
    createdAt: '2026-02-20T08:00:00.000Z',
    channels: ['latest'],
  });
  return world;
};

const parsed = <T>(world: World): T => {
  expect(world.out).toHaveLength(1);
  return JSON.parse(world.out[0]!) as T;
};

const decision = (over: Partial<RefreshDecision> & Pick<RefreshDecision, 'triggerKey'>): RefreshDecision => ({
  family: 'golden-al2023',
  trigger: 'stale-base',
  outcome: 'skipped',
  skip: 'already-rebuilding',
  reason: 'golden-al2023 1.0.0 is 31 days old (limit 30); golden-al2023 1.1.0 (building) is on its way',
  correlationId: 'refresh-daily',
  decidedAt: START,
  decidedBy: 'refresh-service',
  ...over,
});

describe('amictl refresh plan', () => {
  it('prints the decisions in lineage order, then the idle and the unreadable families, then a summary', async () => {
    // Arrange
    const world = await planned();

    // Act
    const code = await world.run('refresh', 'plan');

    // Assert
    expect(code).toBe(0);
    expect(world.err).toEqual([]);
    expect(world.out).toEqual([
      'FAMILY         DECISION                TRIGGER           WHY',
      'golden-al2023  requested               stale-base        golden-al2023 1.0.0 is 50 days old, over the limit of 30; rebuilt from a freshly resolved source',
      'orders-worker  requested               parent-published  golden-al2023 1.0.0 was published on latest, which orders-worker builds on',
      'payments-api   skipped(nothing-newer)  stale-base        payments-api 2.0.0 is built on golden-al2023 1.0.0, 50 days old (limit 45); golden-al2023 is being rebuilt today, and payments-api follows when it is published',
      'golden-ubuntu  nothing to do           -                 current 24.04.1 (9 days old)',
      'unreadable, left out of the plan:',
      '  legacy-app: stored config of family legacy-app (version 1) is invalid:',
      '    - source: is required for a golden family: exactly one of { amiId }, { nameFilter, owners } or { ssmParameter }',
      '    - build: Invalid input: expected object, received undefined',
      '    - retention: Invalid input: expected object, received undefined',
      '2 rebuilds would be requested, 1 skipped, 1 family with nothing to do, 1 unreadable',
    ]);
  });

  it('says "no published image" for a family with nothing published, in the singular', async () => {
    // Arrange
    const world = await createWorld(['golden-ubuntu']);
    await addImage(world, {
      family: 'golden-ubuntu',
      version: '24.04.1',
      n: 1,
      state: 'inspecting',
      createdAt: '2026-01-01T08:00:00.000Z',
    });

    // Act
    const code = await world.run('refresh', 'plan');

    // Assert
    expect(code).toBe(0);
    expect(world.out).toEqual([
      'FAMILY         DECISION       TRIGGER  WHY',
      'golden-ubuntu  nothing to do  -        no published image',
      '0 rebuilds would be requested, 0 skipped, 1 family with nothing to do',
    ]);
  });

  it('prints the plan as JSON: now, the cap, the decisions with their requests, idle and unreadable families', async () => {
    // Arrange
    const world = await planned();

    // Act
    const code = await world.run('refresh', 'plan', '--json');

    // Assert
    expect(code).toBe(0);
    const plan = parsed<RefreshPlanView>(world);
    expect(plan.now).toBe(START);
    expect(plan.maxBuildsPerTrigger).toBe(20);
    expect(plan.decisions).toEqual([
      expect.objectContaining({
        family: 'golden-al2023',
        trigger: 'stale-base',
        triggerKey: 'stale-base:2026-03-01',
        outcome: 'requested',
        request: { idempotencyKey: 'refresh:golden-al2023:stale-base:2026-03-01', force: true },
        decidedAt: START,
      }),
      expect.objectContaining({
        family: 'orders-worker',
        trigger: 'parent-published',
        triggerKey: 'parent-published:golden-al2023@1.0.0',
        outcome: 'requested',
        // The parent's AMI in the home region: what the rebuild builds on.
        request: {
          idempotencyKey: 'refresh:orders-worker:parent-published:golden-al2023@1.0.0',
          parent: { family: 'golden-al2023', version: '1.0.0', amiId: amiId(2) },
          force: false,
        },
      }),
      expect.objectContaining({
        family: 'payments-api',
        trigger: 'stale-base',
        outcome: 'skipped',
        skip: 'nothing-newer',
      }),
    ]);
    expect(plan.decisions[2]).not.toHaveProperty('request');
    expect(plan.idle).toEqual([{ family: 'golden-ubuntu', current: '24.04.1' }]);
    expect(plan.unreadable).toEqual([
      { family: 'legacy-app', error: expect.stringContaining('stored config of family legacy-app') },
    ]);
  });

  it('decides as of the clock: a few days earlier the same catalog has one stale base less', async () => {
    // Arrange: on 2026-02-24 at 06:00 golden-al2023 1.0.0 is not yet 45 days old: over its 30, within payments-api's 45.
    const world = await planned();
    world.clock.set('2026-02-24T06:00:00.000Z');

    // Act
    const code = await world.run('refresh', 'plan', '--json');

    // Assert
    expect(code).toBe(0);
    const plan = parsed<RefreshPlanView>(world);
    expect(plan.now).toBe('2026-02-24T06:00:00.000Z');
    expect(plan.decisions.map((d) => [d.family, d.triggerKey])).toEqual([
      ['golden-al2023', 'stale-base:2026-02-24'],
      ['orders-worker', 'parent-published:golden-al2023@1.0.0'],
    ]);
    expect(plan.idle).toEqual([
      { family: 'golden-ubuntu', current: '24.04.1' },
      { family: 'payments-api', current: '2.0.0' },
    ]);
  });

  it('is a dry run: nothing is written to the catalog and nothing is put on the bus', async () => {
    // Arrange
    const world = await planned();

    // Act
    const text = await world.run('refresh', 'plan');
    const asJson = await world.run('refresh', 'plan', '--json');

    // Assert
    expect([text, asJson]).toEqual([0, 0]);
    expect(world.writes).toEqual([]);
    expect(world.events.published()).toEqual([]);
    for (const family of FAMILIES) {
      expect((await world.catalog.listRefreshDecisions(family)).items).toEqual([]);
    }
  });

  it('says so when no family has a stored config', async () => {
    // Arrange
    const world = await createWorld([]);

    // Act
    const code = await world.run('refresh', 'plan');

    // Assert
    expect(code).toBe(0);
    expect(world.out).toEqual(['no family has a stored config: nothing to plan (amictl config apply)']);
  });
});

describe('amictl refresh history', () => {
  const older = decision({
    triggerKey: 'stale-base:2026-02-20',
    decidedAt: '2026-02-20T06:00:00.000Z',
  });
  const newer: RefreshDecision = {
    family: 'golden-al2023',
    triggerKey: 'vulnerable:golden-al2023@1.0.0',
    trigger: 'vulnerable',
    triggerImage: { family: 'golden-al2023', version: '1.0.0', amiId: amiId(2) },
    outcome: 'requested',
    reason: 'golden-al2023 1.0.0 on latest, stable is vulnerable; rebuilt with current updates',
    request: { idempotencyKey: 'refresh:golden-al2023:vulnerable:golden-al2023@1.0.0', force: true },
    correlationId: 'vulnerable-1',
    decidedAt: '2026-02-27T06:00:00.000Z',
    decidedBy: 'refresh-service',
  };

  /** golden-al2023 with two decisions (recorded oldest first), golden-ubuntu with none. */
  const recorded = async (): Promise<World> => {
    const world = await createWorld(['golden-al2023', 'golden-ubuntu']);
    await world.catalog.recordRefreshDecision(older);
    await world.catalog.recordRefreshDecision(newer);
    return world;
  };

  it('lists the recorded decisions newest first, with the requested idempotency key', async () => {
    // Arrange
    const world = await recorded();

    // Act
    const code = await world.run('refresh', 'history', 'golden-al2023');

    // Assert
    expect(code).toBe(0);
    expect(world.err).toEqual([]);
    expect(world.out).toEqual([
      'DECIDED            TRIGGER                         OUTCOME                      REQUEST                                               WHY',
      '2026-02-27T06:00Z  vulnerable:golden-al2023@1.0.0  requested                    refresh:golden-al2023:vulnerable:golden-al2023@1.0.0  golden-al2023 1.0.0 on latest, stable is vulnerable; rebuilt with current updates',
      '2026-02-20T06:00Z  stale-base:2026-02-20           skipped(already-rebuilding)  -                                                     golden-al2023 1.0.0 is 31 days old (limit 30); golden-al2023 1.1.0 (building) is on its way',
    ]);
    expect(world.writes).toEqual([]);
  });

  it('prints the decisions as a JSON array, newest first', async () => {
    // Arrange
    const world = await recorded();

    // Act
    const code = await world.run('refresh', 'history', 'golden-al2023', '--json');

    // Assert
    expect(code).toBe(0);
    expect(parsed<RefreshDecision[]>(world)).toEqual([newer, older]);
  });

  it('keeps the newest --limit decisions, reading past one catalog page', async () => {
    // Arrange: 130 decisions, a day apart, and the two above.
    const world = await recorded();
    for (let n = 1; n <= 130; n++) {
      const at = new Date(Date.parse('2025-01-01T06:00:00.000Z') + n * 86_400_000).toISOString();
      await world.catalog.recordRefreshDecision(
        decision({ triggerKey: `stale-base:${at.slice(0, 10)}`, decidedAt: at }),
      );
    }

    // Act
    const one = await world.run('refresh', 'history', 'golden-al2023', '--limit', '1');
    const first = [...world.out];
    world.out.length = 0;
    const many = await world.run('refresh', 'history', 'golden-al2023', '--json', '--limit', '120');
    const some = parsed<RefreshDecision[]>(world);
    world.out.length = 0;
    const byDefault = await world.run('refresh', 'history', 'golden-al2023', '--json');

    // Assert
    expect([one, many, byDefault]).toEqual([0, 0, 0]);
    expect(first).toEqual([
      expect.stringMatching(/^DECIDED /),
      expect.stringMatching(/^2026-02-27T06:00Z {2}vulnerable:golden-al2023@1\.0\.0 /),
      '(the newest 1 shown; more with --limit)',
    ]);
    expect(some).toHaveLength(120);
    expect(some.slice(0, 3).map((d) => d.decidedAt)).toEqual([
      '2026-02-27T06:00:00.000Z',
      '2026-02-20T06:00:00.000Z',
      '2025-05-11T06:00:00.000Z',
    ]);
    const sorted = [...some].sort((a, b) => b.decidedAt.localeCompare(a.decidedAt));
    expect(some).toEqual(sorted);
    expect(parsed<RefreshDecision[]>(world)).toHaveLength(20);
  });

  it('says so for a configured family without decisions', async () => {
    // Arrange
    const world = await recorded();

    // Act
    const text = await world.run('refresh', 'history', 'golden-ubuntu');
    const asJson = await world.run('refresh', 'history', 'golden-ubuntu', '--json');

    // Assert
    expect([text, asJson]).toEqual([0, 0]);
    expect(world.out).toEqual(['no refresh decisions recorded for golden-ubuntu', '[]']);
  });

  it('refuses a family with no stored config and no decisions, exit 1', async () => {
    // Arrange
    const world = await recorded();

    // Act
    const code = await world.run('refresh', 'history', 'orders-worker');

    // Assert
    expect(code).toBe(1);
    expect(world.out).toEqual([]);
    expect(world.err).toEqual([
      'amictl: family orders-worker is unknown: it has no stored config and no refresh decisions',
    ]);
  });

  it.each(['0', 'abc', '2.5', '-3', ''])('refuses --limit %j as bad usage, exit 2', async (limit) => {
    // Arrange
    const world = await recorded();

    // Act
    const code = await world.run('refresh', 'history', 'golden-al2023', '--limit', limit);

    // Assert
    expect(code).toBe(2);
    expect(world.out).toEqual([]);
    expect(world.err).toEqual([
      `amictl: --limit must be a positive integer, got "${limit}"`,
      '(see amictl refresh history --help)',
    ]);
  });
});
