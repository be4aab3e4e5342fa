import { DAY_MS } from '@ami-lifecycle/core';
import { ACTIONS_PER_BATCH, applyActions } from '../src';
import { createWorld, decisionOf, GOLDEN, HOME, OTHER, SWEEP, type World } from './support/world';

/** Three published golden images, none used: the newest is kept, the two older ones are deprecated. */
const threePublished = async (world: World) => ({
  v1: await world.addImage(GOLDEN, '2026.01.01.1'),
  v2: await world.addImage(GOLDEN, '2026.02.01.1'),
  v3: await world.addImage(GOLDEN, '2026.03.01.1'),
});

/** Spies on every read of EC2 in both regions. */
const spyOnEc2Reads = (world: World) =>
  [HOME, OTHER].flatMap((name) => {
    const { inventory, shared } = world.region(name);
    return [
      jest.spyOn(inventory, 'listManagedImages'),
      jest.spyOn(inventory, 'findImageReferences'),
      jest.spyOn(shared, 'findInstances'),
      jest.spyOn(shared, 'findLaunchTemplateVersions'),
    ];
  });

describe('planSweep', () => {
  afterEach(() => jest.restoreAllMocks());

  it('plans from the catalog and EC2 in every region, and stores the plan', async () => {
    // Arrange
    const world = await createWorld();
    const { v1, v2, v3 } = await threePublished(world);

    // Act
    const { plan, batches, inventory } = await world.plan();

    // Assert
    expect(plan.sweepId).toBe(SWEEP);
    expect(plan.guard).toEqual({ status: 'ok', reasons: [] });
    expect(decisionOf(plan, v1)?.decision).toBe('deprecate');
    expect(decisionOf(plan, v2)?.decision).toBe('deprecate');
    expect(decisionOf(plan, v3)?.decision).toBe('keep');
    expect(plan.actions.map((a) => a.version)).toEqual([v2.version, v1.version]);
    expect(batches).toEqual([0]);
    expect(inventory.drift).toEqual({ untracked: [], missing: [] });
    expect(await world.catalog.getPlan(SWEEP)).toEqual(plan);
  });

  it('answers the stored plan for a sweep id planned before, without reading EC2 again', async () => {
    // Arrange: planned once; then v1 is launched, which a fresh plan would keep for.
    const world = await createWorld();
    const { v1 } = await threePublished(world);
    const first = await world.plan();
    world.region(HOME).inventory.launchInstance(v1.amiIds[HOME]!);
    world.clock.advance(60_000);
    const reads = spyOnEc2Reads(world);

    // Act: the step is retried.
    const again = await world.plan();

    // Assert
    expect(again.plan).toEqual(first.plan);
    expect(again.batches).toEqual(first.batches);
    expect(decisionOf(again.plan, v1)?.decision).toBe('deprecate');
    for (const read of reads) expect(read).not.toHaveBeenCalled();
  });

  it('stores nothing for a preview (store: false), so the next sweep is still diffed against the last stored one', async () => {
    // Arrange
    const world = await createWorld();
    await threePublished(world);
    await world.plan('sweep-a');
    world.clock.advance(DAY_MS);

    // Act
    const preview = await world.plan('sweep-b', { store: false });
    world.clock.advance(DAY_MS);
    const next = await world.plan('sweep-c');

    // Assert
    expect(preview.plan.previousSweepId).toBe('sweep-a');
    expect(preview.plan.actions).toHaveLength(2);
    expect(await world.catalog.getPlan('sweep-b')).toBeUndefined();
    expect(next.plan.previousSweepId).toBe('sweep-a');
    expect((await world.catalog.listPlans()).items.map((p) => p.sweepId)).toEqual(['sweep-c', 'sweep-a']);
  });

  it('stores the plan of a dry run with its actions but answers no batches, also when asked again', async () => {
    // Arrange
    const world = await createWorld();
    await threePublished(world);

    // Act
    const dry = await world.plan(SWEEP, { dryRun: true });
    const again = await world.plan(SWEEP, { dryRun: true });

    // Assert
    expect(dry.batches).toEqual([]);
    expect(again.batches).toEqual([]);
    expect(dry.plan.actions).toHaveLength(2);
    expect((await world.catalog.getPlan(SWEEP))?.actions).toHaveLength(2);
  });

  it('answers no batches when a guard tripped, keeping every decision for review', async () => {
    // Arrange: one retirement is due, and the organisation allows none per run.
    const world = await createWorld({ guards: { maxRetirementsPerRun: 0 } });
    const old = await world.addImage(GOLDEN, '2026.01.01.1', { state: 'disabled' });
    await world.addImage(GOLDEN, '2026.02.01.1');

    // Act
    const { plan, batches } = await world.plan();

    // Assert
    expect(plan.guard).toEqual({
      status: 'tripped',
      reasons: ['1 retirements exceed the per-run limit of 0'],
    });
    expect(decisionOf(plan, old)?.decision).toBe('retire');
    expect(plan.actions).toEqual([]);
    expect(batches).toEqual([]);
  });

  it(`cuts the actions into batches of ${ACTIONS_PER_BATCH}, the last one partial, each action in one batch`, async () => {
    // Arrange: two full batches and five more deprecations, and the newest image, which is kept.
    const world = await createWorld();
    const count = 2 * ACTIONS_PER_BATCH + 5;
    for (let n = 1; n <= count + 1; n++) await world.addImage(GOLDEN, `2026.04.01.${n}`);

    // Act
    const { plan, batches } = await world.plan();

    // Assert
    expect(plan.actions).toHaveLength(count);
    expect(batches).toEqual([0, 1, 2]);
    const applied = [];
    for (const batch of batches)
      applied.push((await applyActions({ sweepId: SWEEP, batch }, world.deps)).results);
    expect(applied.map((results) => results.length)).toEqual([ACTIONS_PER_BATCH, ACTIONS_PER_BATCH, 5]);
    expect(applied.flat().map((r) => r.version)).toEqual(plan.actions.map((a) => a.version));
  });

  it('diffs the plan against the last stored plan', async () => {
    // Arrange: after the first sweep (which acted on nothing), v2 is held and a newer v4 arrives.
    const world = await createWorld();
    const { v1, v2, v3 } = await threePublished(world);
    await world.plan('sweep-a');
    world.clock.advance(DAY_MS);
    await world.hold('hold-1', GOLDEN, v2.version);
    const v4 = await world.addImage(GOLDEN, '2026.04.01.1');

    // Act
    const { plan } = await world.plan('sweep-b');

    // Assert
    expect(plan.previousSweepId).toBe('sweep-a');
    expect(decisionOf(plan, v1)?.decision).toBe('deprecate');
    expect(plan.diff).toEqual({
      changed: expect.arrayContaining([
        { family: GOLDEN, version: v2.version, from: 'deprecate', to: 'keep' },
        { family: GOLDEN, version: v3.version, from: 'keep', to: 'deprecate' },
      ]),
      added: [{ family: GOLDEN, version: v4.version, from: null, to: 'keep' }],
      removed: [],
      unchanged: 1,
    });
    expect(plan.diff.changed).toHaveLength(2);
  });

  it('does not count the re-inspection’s own test instance as a use of the image', async () => {
    // Arrange: v1 was launched only by its weekly re-inspection, a day ago, whose verdict was recorded
    // twenty minutes later; the in-use grace is three days.
    const world = await createWorld();
    const { v1, v3 } = await threePublished(world);
    world.clock.advance(-DAY_MS);
    const instance = world.region(HOME).inventory.launchInstance(v1.amiIds[HOME]!);
    world.region(HOME).inventory.setInstanceState(instance, 'terminated');
    world.clock.advance(20 * 60_000);
    await world.catalog.updateImage(
      v1.family,
      v1.version,
      v1.stateVersion,
      {},
      {
        actor: 'inspect-service',
        reason: 're-inspected: pass',
        correlationId: 'reinspection',
        at: world.clock.now().toISOString(),
        action: 'reinspected',
      },
    );
    world.clock.advance(DAY_MS - 20 * 60_000);

    // Act
    const { plan } = await world.plan();

    // Assert
    expect(decisionOf(plan, v1)?.decision).toBe('deprecate');
    expect(decisionOf(plan, v3)?.decision).toBe('keep');
  });
});
