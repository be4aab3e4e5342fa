import { imageBuildFailed, imageBuilt } from '@ami-lifecycle/contracts';
import { type Image, managedTags } from '@ami-lifecycle/core';
import { onImageStateChange, startBuild } from '../src';
import {
  buildRequest,
  createBuilderImage,
  createWorld,
  HOME,
  publishedImage,
  type World,
} from './support/world';

/** A build started and its CreateImage accepted: the moment the state machine ends. */
const builtUpTo = async (world: World, family = 'golden-al2023', options: { record?: boolean } = {}) => {
  const started = await startBuild(buildRequest({ family }), world.deps);
  if (started.outcome !== 'started') throw new Error(`expected started, got ${started.outcome}`);
  const amiId = await createBuilderImage(world, started.image, started.instanceId, options);
  return { image: started.image, instanceId: started.instanceId, amiId };
};

const isGone = (world: World, instanceId: string): boolean =>
  ['shutting-down', 'terminated'].includes(world.cloud.compute.instance(instanceId)?.state ?? 'terminated');

describe('onImageStateChange', () => {
  it('still emits Image Built when terminating the builder fails, and the retry cleans up', async () => {
    // Arrange: EC2 throttles the first TerminateInstances.
    const world = await createWorld(['golden-al2023']);
    const { instanceId, amiId } = await builtUpTo(world);
    world.cloud.images.completeImage(amiId, 'available');
    const terminate = world.cloud.compute.terminateInstance.bind(world.cloud.compute);
    jest
      .spyOn(world.cloud.compute, 'terminateInstance')
      .mockRejectedValueOnce(Object.assign(new Error('throttled'), { name: 'ThrottledError' }))
      .mockImplementation(terminate);

    // Act
    const first = onImageStateChange({ amiId, state: 'available' }, world.deps);
    await expect(first).rejects.toThrow('throttled');
    const retry = await onImageStateChange({ amiId, state: 'available' }, world.deps);

    // Assert: the retry publishes its copy under the same key, which consumers drop.
    const built = world.cloud.events.published('Image Built');
    expect(new Set(built.map((e) => e.detail.idempotencyKey)).size).toBe(1);
    expect(retry).toMatchObject({ outcome: 'duplicate', terminatedInstanceIds: [instanceId] });
    expect(isGone(world, instanceId)).toBe(true);
  });

  it('delivers Image Built on the retry when the publish failed after the image was marked built', async () => {
    // Arrange: the catalog is written first; the bus refuses the event.
    const world = await createWorld(['golden-al2023']);
    const { image, amiId } = await builtUpTo(world);
    world.cloud.images.completeImage(amiId, 'available');
    world.cloud.events.failNext();
    await expect(onImageStateChange({ amiId, state: 'available' }, world.deps)).rejects.toThrow();
    expect((await world.catalog.getImage(image.family, image.version))?.state).toBe('built');
    expect(world.cloud.events.published('Image Built')).toHaveLength(0);

    // Act: EventBridge retries the state change.
    const retry = await onImageStateChange({ amiId, state: 'available' }, world.deps);

    // Assert
    expect(retry.outcome).toBe('duplicate');
    expect(world.cloud.events.published('Image Built').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        imageId: amiId,
        idempotencyKey: `image-built:golden-al2023@${image.version}`,
      }),
    ]);
  });

  it('publishes nothing again once the image has moved on past built', async () => {
    const world = await createWorld(['golden-al2023']);
    const { image, amiId } = await builtUpTo(world);
    world.cloud.images.completeImage(amiId, 'available');
    await onImageStateChange({ amiId, state: 'available' }, world.deps);
    const built = (await world.catalog.getImage(image.family, image.version))!;
    await world.catalog.transitionImage({
      family: built.family,
      version: built.version,
      from: 'built',
      to: 'inspecting',
      expectedStateVersion: built.stateVersion,
      at: '2026-03-01T11:00:00.000Z',
      audit: { actor: 'test', reason: 'inspection started', correlationId: 'corr-1' },
    });

    await onImageStateChange({ amiId, state: 'available' }, world.deps);

    expect(world.cloud.events.published('Image Built')).toHaveLength(1);
  });

  it('marks the image built with its snapshots, terminates the builder and emits Image Built', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const { image, instanceId, amiId } = await builtUpTo(world);
    world.cloud.images.completeImage(amiId, 'available');

    // Act
    const result = await onImageStateChange({ amiId, state: 'available' }, world.deps);

    // Assert
    const snapshotIds = world.cloud.images.image(amiId)!.snapshotIds;
    expect(result).toMatchObject({ outcome: 'built', terminatedInstanceIds: [instanceId] });
    expect(await world.catalog.getImage('golden-al2023', image.version)).toMatchObject({
      state: 'built',
      amiIds: { [HOME]: amiId },
      snapshotIds,
    });
    expect(isGone(world, instanceId)).toBe(true);
    const events = world.cloud.events.published('Image Built');
    expect(events).toHaveLength(1);
    expect(imageBuilt.schema.parse(events[0]!.detail)).toEqual({
      schemaVersion: 1,
      family: 'golden-al2023',
      version: image.version,
      correlationId: 'corr-1',
      idempotencyKey: `image-built:golden-al2023@${image.version}`,
      occurredAt: '2026-03-01T10:00:00.000Z',
      imageId: amiId,
      buildId: image.buildId,
      region: HOME,
      snapshotIds,
      sourceAmiId: image.sourceAmiId,
      buildKey: image.buildKey,
    });
  });

  it('names the parent in Image Built for an application image', async () => {
    // Arrange
    const world = await createWorld(['payments-api']);
    const parent = await publishedImage(world, 'golden-al2023', '2026.02.01.1', 'stable');
    const { amiId } = await builtUpTo(world, 'payments-api');

    // Act
    await onImageStateChange({ amiId, state: 'available' }, world.deps);

    // Assert
    expect(world.cloud.events.published('Image Built')[0]?.detail.parent).toEqual({
      family: 'golden-al2023',
      version: '2026.02.01.1',
      imageId: parent.amiIds[HOME],
    });
  });

  it('marks the image failed with the reason, terminates the builder and emits Image Build Failed', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const { image, instanceId, amiId } = await builtUpTo(world);
    world.cloud.images.completeImage(amiId, 'failed');

    // Act
    const result = await onImageStateChange(
      { amiId, state: 'failed', errorMessage: 'Snapshot creation failed' },
      world.deps,
    );

    // Assert
    expect(result).toMatchObject({ outcome: 'failed', terminatedInstanceIds: [instanceId] });
    expect(await world.catalog.getImage('golden-al2023', image.version)).toMatchObject({
      state: 'failed',
      reason: `AMI ${amiId} failed: Snapshot creation failed`,
    });
    expect(isGone(world, instanceId)).toBe(true);
    expect(world.cloud.events.published('Image Built')).toEqual([]);
    const events = world.cloud.events.published('Image Build Failed');
    expect(events).toHaveLength(1);
    expect(imageBuildFailed.schema.parse(events[0]!.detail)).toMatchObject({
      family: 'golden-al2023',
      version: image.version,
      imageId: amiId,
      buildId: image.buildId,
      stage: 'await-image',
      reason: `AMI ${amiId} failed: Snapshot creation failed`,
      correlationId: 'corr-1',
    });
  });

  it('ignores an AMI it did not build', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    await builtUpTo(world);
    const foreign = world.cloud.images.addImage({ name: 'team-x-custom-image' });

    // Act
    const result = await onImageStateChange({ amiId: foreign, state: 'available' }, world.deps);

    // Assert
    expect(result.outcome).toBe('ignored');
    expect(world.cloud.events.published()).toEqual([]);
  });

  it('ignores an AMI that carries our tags but no build the catalog knows', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const { image } = await builtUpTo(world, 'golden-al2023', { record: false });
    const stray = world.cloud.images.addImage({
      name: 'golden-al2023-stray',
      tags: managedTags({ family: 'golden-al2023', version: image.version, buildId: 'build-someone-else' }),
    });

    // Act
    const result = await onImageStateChange({ amiId: stray, state: 'available' }, world.deps);

    // Assert
    expect(result.outcome).toBe('ignored');
    expect((await world.catalog.getImage('golden-al2023', image.version))?.state).toBe('building');
  });

  it('finds the image by the AMI’s tags when the state change overtakes recording the AMI id', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const { image, amiId } = await builtUpTo(world, 'golden-al2023', { record: false });

    // Act
    const result = await onImageStateChange({ amiId, state: 'available' }, world.deps);

    // Assert
    expect(result.outcome).toBe('built');
    expect((await world.catalog.findImagesByAmiId(amiId)).map((i: Image) => i.version)).toEqual([
      image.version,
    ]);
  });

  it('fails, for the retry, instead of ignoring the state change when the catalog cannot be read', async () => {
    // Arrange: the AMI id is not recorded yet, and DynamoDB throttles the read of the tagged image.
    const world = await createWorld(['golden-al2023']);
    const { image, amiId } = await builtUpTo(world, 'golden-al2023', { record: false });
    jest
      .spyOn(world.catalog, 'getImage')
      .mockRejectedValueOnce(
        Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }),
      );

    // Act
    const first = onImageStateChange({ amiId, state: 'available' }, world.deps);

    // Assert
    await expect(first).rejects.toThrow('throughput exceeded');
    expect(await onImageStateChange({ amiId, state: 'available' }, world.deps)).toMatchObject({
      outcome: 'built',
    });
    expect((await world.catalog.getImage('golden-al2023', image.version))?.state).toBe('built');
  });

  it('ignores an AMI whose tags cannot name a catalog image', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const odd = world.cloud.images.addImage({
      name: 'odd',
      tags: managedTags({ family: 'golden-al2023', version: 'a#b', buildId: 'build-x' }),
    });

    // Act
    const result = await onImageStateChange({ amiId: odd, state: 'available' }, world.deps);

    // Assert
    expect(result.outcome).toBe('ignored');
  });

  it('answers duplicate when the same state change arrives again, its event copy under the same key', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const { image, amiId } = await builtUpTo(world);
    await onImageStateChange({ amiId, state: 'available' }, world.deps);

    // Act
    const again = await onImageStateChange({ amiId, state: 'available' }, world.deps);

    // Assert
    expect(again).toMatchObject({ outcome: 'duplicate', image: { state: 'built', version: image.version } });
    const [first, copy] = world.cloud.events.published();
    expect(copy?.detail).toEqual(first?.detail);
    const audit = await world.catalog.listAudit('golden-al2023', image.version);
    expect(audit.items.filter((r) => r.to === 'built')).toHaveLength(1);
  });

  it('emits once when two deliveries of the same state change race', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const { amiId } = await builtUpTo(world);

    // Act
    const outcomes = await Promise.all([
      onImageStateChange({ amiId, state: 'available' }, world.deps),
      onImageStateChange({ amiId, state: 'available' }, world.deps),
    ]);

    // Assert
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['built', 'duplicate']);
    expect(world.cloud.events.published('Image Built')).toHaveLength(1);
  });
});
