import { SimulatedAwsError } from '@ami-lifecycle/aws/memory';
import { listAll } from '@ami-lifecycle/catalog';
import { DAY_MS, type Image } from '@ami-lifecycle/core';
import { type ActionResult, applyActions, EventsNotSentError, PlanNotFoundError } from '../src';
import { createWorld, GOLDEN, HOME, NOW, OTHER, SWEEP, type World } from './support/world';

/**
 * A golden family planned a stage further each, in both regions: v3 (published) to be deprecated, v2
 * (deprecated) disabled and v1 (disabled, two snapshots of 8 and 2 GiB per AMI) retired; v4 kept.
 */
const planned = async () => {
  const world = await createWorld();
  const v1 = await world.addImage(GOLDEN, '2026.01.01.1', { state: 'disabled', snapshots: [8, 2] });
  const v2 = await world.addImage(GOLDEN, '2026.02.01.1', { state: 'deprecated' });
  const v3 = await world.addImage(GOLDEN, '2026.03.01.1');
  await world.addImage(GOLDEN, '2026.04.01.1');
  const { plan } = await world.plan();
  return { world, plan, v1, v2, v3 };
};

const apply = (world: World) => applyActions({ sweepId: SWEEP, batch: 0 }, world.deps);

const resultOf = (results: ActionResult[], image: Image) => results.find((r) => r.version === image.version);

/** The AMI of `image` in `region` as EC2 (the fake) holds it now. */
const ami = (world: World, image: Image, region: string) =>
  world.region(region).inventory.image(image.amiIds[region]!);

/** The snapshots of `image`'s AMI in `region`, as they were when it was registered. */
const snapshotsOf = (world: World, image: Image, region: string) => ami(world, image, region)!.snapshotIds;

const lastAudit = async (world: World, image: Image) =>
  (await listAll('audit', (page) => world.catalog.listAudit(image.family, image.version, page), 10)).at(-1);

const EXPIRED = 'older than the newest 1 the family keeps';

describe('applyActions', () => {
  it('deprecates an image in every region, moves it to deprecated with an audit naming the sweep, and says so', async () => {
    // Arrange
    const { world, v3 } = await planned();

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v3)).toEqual({
      family: GOLDEN,
      version: v3.version,
      decision: 'deprecate',
      outcome: 'done',
    });
    for (const region of [HOME, OTHER]) {
      // Now, or within the minute EC2 rounds DeprecateAt to.
      const deprecatedIn = Date.parse(ami(world, v3, region)?.deprecationTime ?? '') - Date.parse(NOW);
      expect(deprecatedIn).toBeGreaterThanOrEqual(0);
      expect(deprecatedIn).toBeLessThanOrEqual(60_000);
    }
    expect(ami(world, v3, HOME)?.state).toBe('available');
    const image = await world.image(GOLDEN, v3.version);
    expect(image).toMatchObject({ state: 'deprecated', stateChangedAt: NOW });
    expect(await lastAudit(world, v3)).toMatchObject({
      action: 'transition',
      from: 'published',
      to: 'deprecated',
      actor: 'decommission-service',
      reason: `sweep ${SWEEP}: ${EXPIRED}`,
      correlationId: SWEEP,
    });
    expect(world.events.published('Image Deprecated').map((e) => e.detail)).toEqual([
      {
        schemaVersion: 1,
        family: GOLDEN,
        version: v3.version,
        correlationId: SWEEP,
        idempotencyKey: `image-deprecated:${GOLDEN}@${v3.version}`,
        occurredAt: NOW,
        imageId: v3.amiIds[HOME],
        sweepId: SWEEP,
        reasons: [EXPIRED],
      },
    ]);
  });

  it('disables an image in every region, moves it to disabled with an audit naming the sweep, and says so', async () => {
    // Arrange
    const { world, v2 } = await planned();

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v2)).toMatchObject({ decision: 'disable', outcome: 'done' });
    expect(ami(world, v2, HOME)?.state).toBe('disabled');
    expect(ami(world, v2, OTHER)?.state).toBe('disabled');
    expect((await world.image(GOLDEN, v2.version)).state).toBe('disabled');
    const reasons = [EXPIRED, 'deprecated for over 2 days'];
    expect(await lastAudit(world, v2)).toMatchObject({
      from: 'deprecated',
      to: 'disabled',
      reason: `sweep ${SWEEP}: ${reasons.join('; ')}`,
      correlationId: SWEEP,
    });
    expect(world.events.published('Image Disabled').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        version: v2.version,
        idempotencyKey: `image-disabled:${GOLDEN}@${v2.version}`,
        imageId: v2.amiIds[HOME],
        sweepId: SWEEP,
        reasons,
      }),
    ]);
  });

  it('retires an image: deregisters it with its snapshots in every region, moves it to retired, and lists the snapshots deleted', async () => {
    // Arrange
    const { world, v1 } = await planned();
    const byRegion = { [HOME]: snapshotsOf(world, v1, HOME), [OTHER]: snapshotsOf(world, v1, OTHER) };
    const snapshots = [...byRegion[HOME]!, ...byRegion[OTHER]!];

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v1)).toMatchObject({
      decision: 'retire',
      outcome: 'done',
      deletedSnapshotIds: snapshots,
      freedGiB: { [HOME]: 10, [OTHER]: 10 },
    });
    for (const region of [HOME, OTHER]) {
      expect(ami(world, v1, region)?.state).toBe('deregistered');
      expect(world.region(region).images.changes()).toContainEqual({
        action: 'deregister',
        imageId: v1.amiIds[region],
      });
    }
    for (const [region, ids] of Object.entries(byRegion)) {
      expect(ids).toHaveLength(2);
      for (const id of ids) expect(world.region(region).inventory.snapshot(id)).toBeUndefined();
    }
    expect((await world.image(GOLDEN, v1.version)).state).toBe('retired');
    expect(await lastAudit(world, v1)).toMatchObject({
      from: 'disabled',
      to: 'retired',
      correlationId: SWEEP,
    });
    expect(world.events.published('Image Retired').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        version: v1.version,
        idempotencyKey: `image-retired:${GOLDEN}@${v1.version}`,
        imageId: v1.amiIds[HOME],
        sweepId: SWEEP,
        deletedSnapshotIds: snapshots,
      }),
    ]);
  });

  it('reports an action EC2 refused as failed, changes nothing of that image, and goes on with the next', async () => {
    // Arrange: EC2 throws on v3; v1 still has deregistration protection in the home region.
    const { world, v1, v2, v3 } = await planned();
    world.region(HOME).images.failNext(v3.amiIds[HOME]!, new SimulatedAwsError('InternalError', 'try later'));
    world.region(HOME).inventory.setDeregistrationProtection(v1.amiIds[HOME]!, true);

    // Act
    const { results } = await apply(world);

    // Assert
    expect(results.map((r) => [r.version, r.outcome])).toEqual([
      [v3.version, 'failed'],
      [v2.version, 'done'],
      [v1.version, 'failed'],
    ]);
    expect(resultOf(results, v3)?.reason).toBe('try later');
    expect(resultOf(results, v1)?.reason).toMatch(/deregistration protection enabled/);
    expect(await world.image(GOLDEN, v3.version)).toEqual(v3);
    expect(await world.image(GOLDEN, v1.version)).toEqual(v1);
    expect(ami(world, v3, HOME)?.deprecationTime).toBeUndefined();
    expect(ami(world, v1, HOME)?.state).toBe('disabled');
    expect(snapshotsOf(world, v1, HOME).map((id) => world.region(HOME).inventory.snapshot(id))).not.toContain(
      undefined,
    );
    expect(world.events.published().map((e) => e.detailType)).toEqual(['Image Disabled']);
  });

  it('deprecates what is left of an image whose AMI in one region is already gone', async () => {
    // Arrange: v3's home AMI was deregistered by hand before the sweep.
    const world = await createWorld();
    const v3 = await world.addImage(GOLDEN, '2026.03.01.1');
    await world.addImage(GOLDEN, '2026.04.01.1');
    world.region(HOME).inventory.deregisterImage(v3.amiIds[HOME]!);
    await world.plan();

    // Act
    const { results } = await apply(world);

    // Assert
    expect(results).toEqual([expect.objectContaining({ version: v3.version, outcome: 'done' })]);
    expect(world.region(HOME).images.changes()).toEqual([]);
    expect(world.region(OTHER).images.changes()).toEqual([
      { action: 'deprecate', imageId: v3.amiIds[OTHER] },
    ]);
    expect((await world.image(GOLDEN, v3.version)).state).toBe('deprecated');
  });

  it('answers PlanNotFoundError for a sweep that has no plan', async () => {
    // Arrange
    const world = await createWorld();

    // Act
    const applying = applyActions({ sweepId: 'sweep-none', batch: 0 }, world.deps);

    // Assert
    await expect(applying).rejects.toBeInstanceOf(PlanNotFoundError);
  });
});

describe('applyActions run again', () => {
  it('answers done for a batch already carried out, changes nothing in EC2 again and sends each event again under its key', async () => {
    // Arrange
    const { world, v1, v2, v3 } = await planned();
    await apply(world);
    const changes = [HOME, OTHER].map((region) => world.region(region).images.changes());
    const images = await Promise.all([v1, v2, v3].map((i) => world.image(GOLDEN, i.version)));
    world.clock.advance(60_000);

    // Act
    const { results } = await apply(world);

    // Assert
    expect(results).toEqual(
      [
        [v3, 'deprecate'],
        [v2, 'disable'],
        [v1, 'retire'],
      ].map(([image, decision]) => ({
        family: GOLDEN,
        version: (image as Image).version,
        decision,
        outcome: 'done',
      })),
    );
    expect([HOME, OTHER].map((region) => world.region(region).images.changes())).toEqual(changes);
    expect(await Promise.all([v1, v2, v3].map((i) => world.image(GOLDEN, i.version)))).toEqual(images);
    for (const type of ['Image Deprecated', 'Image Disabled', 'Image Retired'] as const) {
      const sent = world.events.published(type).map((e) => e.detail.idempotencyKey);
      expect(sent).toHaveLength(2);
      expect(sent[1]).toBe(sent[0]);
    }
  });

  it('fails the batch when an image moved but its event could not be sent, so the retry sends it; the other actions are done', async () => {
    // Arrange: the bus refuses the first event (v3's deprecation).
    const { world, v1, v2, v3 } = await planned();
    world.events.failNext();

    // Act
    const first = await apply(world).catch((e: unknown) => e);
    const retried = await apply(world);

    // Assert
    expect(first).toBeInstanceOf(EventsNotSentError);
    expect((first as Error).message).toContain(`${GOLDEN}@${v3.version} deprecate`);
    expect(retried.results.map((r) => r.outcome)).toEqual(['done', 'done', 'done']);
    expect((await world.image(GOLDEN, v1.version)).state).toBe('retired');
    expect((await world.image(GOLDEN, v2.version)).state).toBe('disabled');
    expect(world.events.published('Image Deprecated').map((e) => e.detail.version)).toEqual([v3.version]);
  });

  it('retires an image whose AMI a crashed attempt deregistered before the catalog moved, deleting the snapshots it left', async () => {
    // Arrange: the earlier attempt deregistered v1's home AMI, without its snapshots, then died.
    const { world, v1 } = await planned();
    const left = snapshotsOf(world, v1, HOME);
    const other = snapshotsOf(world, v1, OTHER);
    world.region(HOME).inventory.deregisterImage(v1.amiIds[HOME]!);

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v1)).toMatchObject({
      outcome: 'done',
      deletedSnapshotIds: [...left, ...other],
    });
    for (const id of left) expect(world.region(HOME).inventory.snapshot(id)).toBeUndefined();
    expect(world.region(HOME).inventory.deletedSnapshots()).toEqual(left);
    expect(world.region(HOME).images.changes()).not.toContainEqual(
      expect.objectContaining({ imageId: v1.amiIds[HOME] }),
    );
    expect(ami(world, v1, OTHER)?.state).toBe('deregistered');
    expect((await world.image(GOLDEN, v1.version)).state).toBe('retired');
    expect(world.events.published('Image Retired').map((e) => e.detail.deletedSnapshotIds)).toEqual([
      [...left, ...other],
    ]);
  });

  it('retires an image whose snapshot another registered image also uses, keeping that snapshot and not counting it freed', async () => {
    // Arrange: an AMI registered on v1's home snapshots (8 and 2 GiB), with its tags.
    const { world, v1 } = await planned();
    const home = world.region(HOME).inventory;
    const shared = snapshotsOf(world, v1, HOME);
    home.addImage({ name: 'registered-on-v1', tags: ami(world, v1, HOME)!.tags, snapshotIds: shared });

    // Act
    const { results } = await apply(world);
    const again = await apply(world);

    // Assert
    expect(resultOf(results, v1)).toMatchObject({ outcome: 'done', freedGiB: { [HOME]: 0, [OTHER]: 10 } });
    expect(resultOf(again.results, v1)?.outcome).toBe('done');
    for (const id of shared) expect(home.snapshot(id)).toBeDefined();
    expect((await world.image(GOLDEN, v1.version)).state).toBe('retired');
  });

  it('is finished by the next sweep when a crashed retirement was not retried', async () => {
    // Arrange: the batch deregistered v1's home AMI, without its snapshots, and its retries were spent.
    const { world, v1 } = await planned();
    const left = snapshotsOf(world, v1, HOME);
    world.region(HOME).inventory.deregisterImage(v1.amiIds[HOME]!);
    world.clock.advance(DAY_MS);

    // Act: the next day's sweep plans and acts.
    const { plan } = await world.plan('sweep-2026-06-02');
    const { results } = await applyActions({ sweepId: 'sweep-2026-06-02', batch: 0 }, world.deps);

    // Assert
    expect(plan.decisions.find((d) => d.version === v1.version)?.decision).toBe('retire');
    expect(resultOf(results, v1)).toMatchObject({ outcome: 'done' });
    for (const id of left) expect(world.region(HOME).inventory.snapshot(id)).toBeUndefined();
    expect(ami(world, v1, OTHER)?.state).toBe('deregistered');
    expect((await world.image(GOLDEN, v1.version)).state).toBe('retired');
  });

  it('deprecates when the sweep does not run on a whole minute (EC2 rounds DeprecateAt to the minute and refuses a past time)', async () => {
    // Arrange: the batch runs ten seconds past the minute, as a scheduled Lambda does.
    const world = await createWorld();
    const old = await world.addImage(GOLDEN, '2026.01.01.1');
    await world.addImage(GOLDEN, '2026.02.01.1');
    world.clock.advance(10_000);
    await world.plan();

    // Act
    const { results } = await applyActions({ sweepId: SWEEP, batch: 0 }, world.deps);

    // Assert
    expect(results).toEqual([expect.objectContaining({ version: old.version, outcome: 'done' })]);
    expect((await world.image(GOLDEN, old.version)).state).toBe('deprecated');
  });
});
