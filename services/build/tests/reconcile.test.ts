import { imageBuildFailed, imageBuilt } from '@ami-lifecycle/contracts';
import { onImageStateChange, startBuild } from '../src';
import { type ReconcileOptions, reconcileBuilds } from '../src/use-cases/reconcile';
import { buildRequest, createBuilderImage, createWorld, HOME, type World } from './support/world';

const OPTIONS: ReconcileOptions = {
  buildTimeoutMs: 6 * 3_600_000,
  orphanGraceMs: 30 * 60_000,
  republishAfterMs: 30 * 60_000,
};

const started = async (world: World, idempotencyKey = 'request-1') => {
  const result = await startBuild(buildRequest({ idempotencyKey }), world.deps);
  if (result.outcome !== 'started') throw new Error(`expected started, got ${result.outcome}`);
  return result;
};

const isGone = (world: World, instanceId: string): boolean =>
  ['shutting-down', 'terminated'].includes(world.cloud.compute.instance(instanceId)?.state ?? 'terminated');

const minutes = (world: World, n: number) => world.cloud.advance(n * 60);

describe('reconcileBuilds', () => {
  it('finishes a build whose AMI became available although the state-change event never came', async () => {
    // Arrange
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    const amiId = await createBuilderImage(world, image, instanceId);
    world.cloud.images.completeImage(amiId, 'available');

    // Act
    const result = await reconcileBuilds(world.deps, OPTIONS);

    // Assert
    expect(result.repaired).toEqual([{ image: `golden-al2023@${image.version}`, outcome: 'built' }]);
    expect((await world.catalog.getImage('golden-al2023', image.version))?.state).toBe('built');
    expect(isGone(world, instanceId)).toBe(true);
    expect(world.cloud.events.published('Image Built')).toHaveLength(1);
  });

  it('marks the image failed when EC2 reports its AMI failed and the event was lost', async () => {
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    const amiId = await createBuilderImage(world, image, instanceId);
    world.cloud.images.completeImage(amiId, 'failed');

    const result = await reconcileBuilds(world.deps, OPTIONS);

    expect(result.repaired).toEqual([{ image: `golden-al2023@${image.version}`, outcome: 'failed' }]);
    expect(await world.catalog.getImage('golden-al2023', image.version)).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('state-change event never arrived'),
    });
  });

  it('leaves a build in progress alone, and leaves its builder running', async () => {
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    await minutes(world, 90);

    const result = await reconcileBuilds(world.deps, OPTIONS);

    expect(result).toEqual({ repaired: [], abandoned: [], terminated: [], republished: [] });
    expect((await world.catalog.getImage('golden-al2023', image.version))?.state).toBe('building');
    expect(isGone(world, instanceId)).toBe(false);
  });

  it('fails a build that made no progress within the timeout, terminates its builder and says why', async () => {
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    await minutes(world, 6 * 60 + 1);

    const result = await reconcileBuilds(world.deps, OPTIONS);

    expect(result.abandoned).toEqual([
      {
        image: `golden-al2023@${image.version}`,
        reason: 'the build made no progress for 6 h: no AMI was created',
      },
    ]);
    expect(result.terminated).toEqual([instanceId]);
    expect(isGone(world, instanceId)).toBe(true);
    const failed = world.cloud.events.published('Image Build Failed');
    expect(failed).toHaveLength(1);
    expect(imageBuildFailed.schema.parse(failed[0]!.detail)).toMatchObject({
      stage: 'run-components',
      buildId: image.buildId,
      correlationId: 'corr-1',
    });
  });

  it('fails a build whose recorded AMI was deregistered, without waiting for the timeout', async () => {
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    const amiId = await createBuilderImage(world, image, instanceId);
    world.cloud.images.completeImage(amiId, 'available');
    await world.cloud.images.deregisterImage(amiId, { deleteSnapshots: true });
    await minutes(world, 5);

    const result = await reconcileBuilds(world.deps, OPTIONS);

    expect(result.abandoned).toEqual([
      { image: `golden-al2023@${image.version}`, reason: `AMI ${amiId} was deregistered` },
    ]);
    expect(
      imageBuildFailed.schema.parse(world.cloud.events.published('Image Build Failed')[0]!.detail),
    ).toMatchObject({ stage: 'await-image', imageId: amiId });
  });

  it('terminates a builder left running by a build that is over, once past the grace period', async () => {
    // Arrange: the build failed elsewhere, and its builder survived (a crashed clean-up).
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    const amiId = await createBuilderImage(world, image, instanceId);
    world.cloud.images.completeImage(amiId, 'failed');
    await onImageStateChange({ amiId, state: 'failed', errorMessage: 'boom' }, world.deps);
    const { instanceId: survivor } = await world.cloud.compute.launchInstance({
      imageId: image.sourceAmiId!,
      instanceType: 't3.micro',
      instanceProfile: 'builder',
      tags: world.cloud.compute.instance(instanceId)!.tags,
      rootVolume: { sizeGiB: 8, encrypted: true },
    });
    await minutes(world, 10);
    expect((await reconcileBuilds(world.deps, OPTIONS)).terminated).toEqual([]);

    // Act
    await minutes(world, 30);
    const result = await reconcileBuilds(world.deps, OPTIONS);

    // Assert
    expect(result.terminated).toEqual([survivor]);
    expect(isGone(world, survivor)).toBe(true);
  });

  it('never terminates an instance it cannot tie to a build of the catalog, nor a test instance of the image', async () => {
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    const amiId = await createBuilderImage(world, image, instanceId);
    world.cloud.images.completeImage(amiId, 'available');
    await onImageStateChange({ amiId, state: 'available' }, world.deps);
    const tags = world.cloud.compute.instance(instanceId)!.tags;
    const launch = (imageId: string, extra: Record<string, string>) =>
      world.cloud.compute.launchInstance({
        imageId,
        instanceType: 't3.micro',
        instanceProfile: 'x',
        tags: { ...tags, ...extra },
        rootVolume: { sizeGiB: 8, encrypted: true },
      });
    const testInstance = await launch(amiId, {});
    const unknownVersion = await launch(image.sourceAmiId!, { 'ami-lifecycle:version': '9.9.9' });
    const otherBuild = await launch(image.sourceAmiId!, { 'ami-lifecycle:build-id': 'someone-else' });
    await minutes(world, 120);

    const result = await reconcileBuilds(world.deps, OPTIONS);

    expect(result.terminated).toEqual([]);
    for (const i of [testInstance, unknownVersion, otherBuild])
      expect(isGone(world, i.instanceId)).toBe(false);
  });

  it('publishes Image Built again, under the same idempotency key, for an image nobody picked up', async () => {
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    const amiId = await createBuilderImage(world, image, instanceId);
    world.cloud.images.completeImage(amiId, 'available');
    await onImageStateChange({ amiId, state: 'available' }, world.deps);
    await minutes(world, 10);
    expect((await reconcileBuilds(world.deps, OPTIONS)).republished).toEqual([]);

    await minutes(world, 30);
    const result = await reconcileBuilds(world.deps, OPTIONS);

    expect(result.republished).toEqual([`golden-al2023@${image.version}`]);
    const [first, again] = world.cloud.events.published('Image Built');
    expect(imageBuilt.schema.parse(again!.detail)).toEqual(first!.detail);
    expect(again!.detail).toMatchObject({ region: HOME, imageId: amiId });
  });

  it('loses the race to a late state-change event without a second outcome', async () => {
    const world = await createWorld();
    const { image, instanceId } = await started(world);
    const amiId = await createBuilderImage(world, image, instanceId);
    world.cloud.images.completeImage(amiId, 'available');

    const [late, reconciled] = await Promise.all([
      onImageStateChange({ amiId, state: 'available' }, world.deps),
      reconcileBuilds(world.deps, OPTIONS),
    ]);

    const outcomes = [late.outcome, ...reconciled.repaired.map((r) => r.outcome)];
    expect(outcomes.filter((o) => o === 'built')).toHaveLength(1);
    // One outcome, one event: the loser may publish a copy under the same key (a duplicate that finds
    // the image built re-emits, in case the winner's publish failed), which consumers drop.
    const keys = world.cloud.events.published('Image Built').map((e) => e.detail.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set([`image-built:golden-al2023@${image.version}`]));
    const audit = await world.catalog.listAudit('golden-al2023', image.version);
    expect(audit.items.filter((r) => r.to === 'built')).toHaveLength(1);
  });
});
