import { DAY_MS } from '@ami-lifecycle/core';
import { deleteOrphanSnapshots, finishSweep } from '../src';
import { createWorld, GOLDEN, HOME, NOW, OTHER, SWEEP, type World } from './support/world';

const OLD = new Date(Date.parse(NOW) - 3 * DAY_MS).toISOString();

/** A managed snapshot tagged with a family and version, made `startTime` ago, used by no AMI. */
const leftover = (world: World, region: string, version: string, startTime = OLD, family = GOLDEN) =>
  world.region(region).inventory.addSnapshot({
    sizeGiB: 8,
    startTime,
    tags: {
      'ami-lifecycle:managed': 'true',
      'ami-lifecycle:family': family,
      'ami-lifecycle:version': version,
    },
  });

describe('deleteOrphanSnapshots', () => {
  it('deletes, in every region, the snapshots left of an image the controller retired', async () => {
    // Arrange: v1 retired, but one snapshot of it is left in each region.
    const world = await createWorld();
    await world.addImage(GOLDEN, '2026.01.01.1', { state: 'retired', regions: [] });
    const home = leftover(world, HOME, '2026.01.01.1');
    const other = leftover(world, OTHER, '2026.01.01.1');

    // Act
    const orphans = await deleteOrphanSnapshots({ regions: [HOME, OTHER], dryRun: false }, world.deps);

    // Assert
    expect(orphans).toEqual([
      { family: GOLDEN, version: '2026.01.01.1', region: HOME, snapshotId: home, gib: 8 },
      { family: GOLDEN, version: '2026.01.01.1', region: OTHER, snapshotId: other, gib: 8 },
    ]);
    expect(world.region(HOME).inventory.deletedSnapshots()).toEqual([home]);
    expect(world.region(OTHER).inventory.deletedSnapshots()).toEqual([other]);
  });

  it('leaves what it cannot tie to a retired image: a live image’s, an unknown one’s, a young one, one an AMI uses', async () => {
    // Arrange
    const world = await createWorld();
    const live = await world.addImage(GOLDEN, '2026.02.01.1');
    await world.addImage(GOLDEN, '2026.01.01.1', { state: 'retired', regions: [] });
    leftover(world, HOME, '2026.02.01.1'); // its image is published
    leftover(world, HOME, '2026.03.01.1'); // no such image in the catalog
    leftover(world, HOME, '2026.01.01.1', new Date(Date.parse(NOW) + 3 * DAY_MS - 60_000).toISOString()); // a minute old
    // Retired in the catalog, yet its AMI is still registered (a deregistration that failed): in use.
    const stuck = await world.addImage(GOLDEN, '2025.12.01.1', { state: 'retired', regions: [HOME] });
    const used = world.region(HOME).inventory.image(stuck.amiIds[HOME]!)!.snapshotIds[0]!;
    expect(live.state).toBe('published');
    world.clock.advance(3 * DAY_MS); // every snapshot made so far is old enough

    // Act
    const orphans = await deleteOrphanSnapshots({ regions: [HOME], dryRun: false }, world.deps);

    // Assert
    expect(orphans).toEqual([]);
    expect(world.region(HOME).inventory.deletedSnapshots()).toEqual([]);
    expect(world.region(HOME).inventory.snapshot(used)).toBeDefined();
  });

  it('only reports on a dry run', async () => {
    // Arrange
    const world = await createWorld();
    await world.addImage(GOLDEN, '2026.01.01.1', { state: 'retired', regions: [] });
    const home = leftover(world, HOME, '2026.01.01.1');

    // Act
    const orphans = await deleteOrphanSnapshots({ regions: [HOME], dryRun: true }, world.deps);

    // Assert
    expect(orphans.map((o) => o.snapshotId)).toEqual([home]);
    expect(world.region(HOME).inventory.deletedSnapshots()).toEqual([]);
  });
});

describe('orphaned snapshots and what protects them', () => {
  const retiredWithLeftover = async (world: World, version = '2026.01.01.1') => {
    await world.addImage(GOLDEN, version, { state: 'retired', regions: [] });
    return leftover(world, HOME, version);
  };
  const exists = (world: World, id: string) => world.region(HOME).inventory.snapshot(id) !== undefined;

  it.each([
    ['a hold on the image', (world: World) => world.hold('hold-1', GOLDEN, '2026.01.01.1')],
    ['a hold on its family', (world: World) => world.hold('hold-1', GOLDEN)],
  ])('keeps the snapshots of a retired image under %s', async (_what, hold) => {
    const world = await createWorld();
    const snapshot = await retiredWithLeftover(world);
    await hold(world);

    const orphans = await deleteOrphanSnapshots({ regions: [HOME], dryRun: false }, world.deps);

    expect(orphans).toEqual([]);
    expect(exists(world, snapshot)).toBe(true);
  });

  it('deletes them once the hold has expired', async () => {
    const world = await createWorld();
    const snapshot = await retiredWithLeftover(world);
    await world.hold('hold-1', GOLDEN, '2026.01.01.1', { expiresAt: OLD });

    await deleteOrphanSnapshots({ regions: [HOME], dryRun: false }, world.deps);

    expect(exists(world, snapshot)).toBe(false);
  });

  it('leaves them on a dry-run sweep, and deletes them on a sweep that acts', async () => {
    const world = await createWorld();
    const snapshot = await retiredWithLeftover(world);
    await world.plan();

    const dry = await finishSweep({ sweepId: SWEEP, dryRun: true }, world.settings, world.deps);
    expect(dry.orphanSnapshotsDeleted).toBe(0);
    expect(exists(world, snapshot)).toBe(true);

    const acting = await finishSweep({ sweepId: SWEEP, dryRun: false }, world.settings, world.deps);
    expect(acting.orphanSnapshotsDeleted).toBe(1);
    expect(exists(world, snapshot)).toBe(false);
  });

  it('leaves them for a family whose policy is new or changed: its sweep only plans', async () => {
    const world = await createWorld({ afterPolicyChange: 'dry-run' });
    const snapshot = await retiredWithLeftover(world);
    const { plan } = await world.plan();
    expect(plan.withheld?.map((w) => w.family)).toContain(GOLDEN);

    const outcome = await finishSweep({ sweepId: SWEEP, dryRun: false }, world.settings, world.deps);

    expect(outcome.orphanSnapshotsDeleted).toBe(0);
    expect(exists(world, snapshot)).toBe(true);
  });

  it('leaves them when the plan’s guard tripped', async () => {
    // No retirement allowed, and one due: the guard trips.
    const world = await createWorld({ guards: { maxRetirementsPerRun: 0 } });
    const snapshot = await retiredWithLeftover(world);
    await world.addImage(GOLDEN, '2026.02.01.1', { state: 'disabled' });
    await world.addImage(GOLDEN, '2026.03.01.1');
    const tripped = await world.plan();
    if (tripped.plan.guard.status !== 'tripped')
      throw new Error(`expected a tripped guard: ${JSON.stringify(tripped.plan.guard)}`);

    await finishSweep({ sweepId: SWEEP, dryRun: false }, world.settings, world.deps);

    expect(exists(world, snapshot)).toBe(true);
  });
});
