import { InventoryIncompleteError, planSweep, RegionNotEnabledError, readRegionInventory } from '../src';
import { createWorld, decisionOf, GOLDEN, HOME, OTHER, SWEEP, type World } from './support/world';

const MINUTE_MS = 60_000;

/** Three published golden images in both regions, none used: the two older ones are to be deprecated. */
const threePublished = async (world: World) => ({
  v1: await world.addImage(GOLDEN, '2026.01.01.1'),
  v2: await world.addImage(GOLDEN, '2026.02.01.1'),
  v3: await world.addImage(GOLDEN, '2026.03.01.1'),
});

const read = (world: World, region: string, sweepId = SWEEP) =>
  readRegionInventory({ sweepId, region }, world.settings, world.deps);

const planStored = (world: World, sweepId = SWEEP) =>
  planSweep({ sweepId, dryRun: false, inventory: 'stored' }, world.settings, world.deps);

describe('readRegionInventory and a plan from the stored readings', () => {
  it('reads one region only: its AMIs’ facts, and no other region’s copy called missing', async () => {
    // Arrange
    const world = await createWorld();
    const { v1 } = await threePublished(world);
    world.region(OTHER).inventory.launchInstance(v1.amiIds[OTHER]!);
    const askedElsewhere = jest.spyOn(world.region(OTHER).images, 'describeImage');

    // Act
    const reading = await read(world, HOME);

    // Assert
    expect(reading).toMatchObject({
      region: HOME,
      facts: 3,
      inUse: 0,
      missing: 0,
      untracked: 0,
      written: true,
    });
    const [part] = await world.catalog.getInventoryParts(SWEEP);
    const homeAmis = (
      await Promise.all(['2026.01.01.1', '2026.02.01.1', '2026.03.01.1'].map((v) => world.image(GOLDEN, v)))
    ).map((i) => i.amiIds[HOME]);
    expect(part?.facts.map((f) => f.amiId).sort()).toEqual([...homeAmis].sort());
    expect(askedElsewhere).not.toHaveBeenCalled();
  });

  it('plans from every region’s reading as a live plan would: the use seen in one region keeps the image', async () => {
    // Arrange
    const world = await createWorld();
    const { v1, v2, v3 } = await threePublished(world);
    world.region(OTHER).inventory.launchInstance(v1.amiIds[OTHER]!);
    await read(world, HOME);
    await read(world, OTHER);
    const live = await world.plan('sweep-live', { store: false });

    // Act
    const { plan } = await planStored(world);

    // Assert
    expect(plan.guard.status).toBe('ok');
    expect(decisionOf(plan, v1)).toMatchObject({
      decision: 'keep',
      reasons: expect.arrayContaining([expect.objectContaining({ code: 'in-use' })]),
    });
    expect(decisionOf(plan, v2)?.decision).toBe('deprecate');
    expect(decisionOf(plan, v3)?.decision).toBe('keep');
    expect(live.plan.decisions).toEqual(plan.decisions);
  });

  it('counts the inventory’s age from its oldest reading: a region read 40 minutes before the plan trips the guard', async () => {
    // Arrange: the example's limit is 30 minutes. One region read at once, the other after its retries.
    const world = await createWorld();
    await threePublished(world);
    const first = await read(world, HOME);
    world.clock.advance(35 * MINUTE_MS);
    await read(world, OTHER);
    world.clock.advance(5 * MINUTE_MS);

    // Act
    const { plan, batches } = await planStored(world);

    // Assert
    expect(plan.inventoryAt).toBe(first.startedAt);
    expect(plan.guard).toEqual({
      status: 'tripped',
      reasons: ['inventory is 40 minutes old; the limit is 30'],
    });
    expect(plan.actions).toEqual([]);
    expect(batches).toEqual([]);
  });

  it('plans nothing when a region of the policy has no reading, and names it', async () => {
    // Arrange
    const world = await createWorld();
    await threePublished(world);
    await read(world, HOME);

    // Act
    const error = await planStored(world).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(InventoryIncompleteError);
    expect((error as Error).message).toContain(OTHER);
    expect(await world.catalog.getPlan(SWEEP)).toBeUndefined();
  });

  it('refuses to read a region the policy does not enable, storing nothing', async () => {
    const world = await createWorld();

    await expect(read(world, 'ap-south-1')).rejects.toBeInstanceOf(RegionNotEnabledError);

    expect(await world.catalog.getInventoryParts(SWEEP)).toEqual([]);
  });

  it('plans from a region’s latest reading: a use that began between a failed attempt and its retry keeps the image', async () => {
    // Arrange
    const world = await createWorld();
    const { v1 } = await threePublished(world);
    await read(world, HOME);
    await read(world, OTHER);
    world.clock.advance(MINUTE_MS);
    world.region(HOME).inventory.launchInstance(v1.amiIds[HOME]!);
    await read(world, HOME);

    // Act
    const { plan } = await planStored(world);

    // Assert
    expect(decisionOf(plan, v1)?.decision).toBe('keep');
  });
});

describe('a family whose stored config no longer parses', () => {
  it('is named in the plan step’s answer, and every image of it is kept', async () => {
    // Arrange
    const world = await createWorld();
    const { v1 } = await threePublished(world);
    const current = await world.catalog.getFamilyConfig(GOLDEN);
    await world.catalog.putFamilyConfig(
      GOLDEN,
      { kind: 'golden', retention: 'forever' },
      { expectedCurrent: current!.version, at: world.clock.now().toISOString(), by: 'test' },
    );

    // Act
    const { plan, unreadable } = await world.plan();

    // Assert
    expect(unreadable).toEqual([{ family: GOLDEN, error: expect.stringContaining(`family ${GOLDEN}`) }]);
    // Without a config its sharing is unknown too: kept for both.
    expect(decisionOf(plan, v1)).toMatchObject({
      decision: 'keep',
      reasons: expect.arrayContaining([
        expect.objectContaining({ code: 'usage-unknown' }),
        expect.objectContaining({ code: 'no-policy' }),
      ]),
    });
    expect(plan.actions).toEqual([]);
  });
});
