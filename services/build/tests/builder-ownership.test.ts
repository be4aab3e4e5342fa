import { MANAGED_TAG } from '@ami-lifecycle/core';
import { BUILD_ID_TAG, BuilderNotOwnedError, createBuildImage, runBuildStep, stopBuilder } from '../src';
import { createWorld, launchedBuild, type World } from './support/world';

/** Another running instance, launched as the builder was but with the given tags. */
const launchOther = async (
  world: World,
  builderId: string,
  tags: Record<string, string>,
): Promise<string> => {
  const { clientToken: _token, ...request } = world.cloud.compute.instance(builderId)!.request;
  const { instanceId } = await world.cloud.compute.launchInstance({ ...request, tags });
  world.cloud.advance(30);
  return instanceId;
};

describe('steps act only on their own builder', () => {
  const cases: Array<[string, (buildId: string) => Record<string, string>]> = [
    ['another build', (buildId) => ({ [MANAGED_TAG]: 'true', [BUILD_ID_TAG]: `${buildId}-other` })],
    ['no build id', () => ({ [MANAGED_TAG]: 'true' })],
    ['our build id but not managed', (buildId) => ({ [BUILD_ID_TAG]: buildId })],
    ['managed=false', (buildId) => ({ [MANAGED_TAG]: 'false', [BUILD_ID_TAG]: buildId })],
  ];

  it.each(cases)('refuses to stop, image or send to an instance tagged with %s', async (_name, tagsFor) => {
    // Arrange: the progress names an instance that is not this build's builder.
    const world = await createWorld(['golden-al2023']);
    const progress = await launchedBuild(world);
    const other = await launchOther(world, progress.instanceId, tagsFor(progress.buildId));
    const forged = { ...progress, instanceId: other };

    // Act & Assert
    await expect(stopBuilder(forged, world.deps)).rejects.toBeInstanceOf(BuilderNotOwnedError);
    await expect(createBuildImage(forged, world.deps)).rejects.toBeInstanceOf(BuilderNotOwnedError);
    await expect(runBuildStep(forged, world.deps)).rejects.toMatchObject({ name: 'BuilderNotOwnedError' });
    expect(world.cloud.compute.instance(other)?.state).toBe('running');
    expect(await world.cloud.images.findImagesByName('golden-al2023-*', ['self'])).toEqual([]);
    expect(world.cloud.commands.sent()).toEqual([]);
  });

  it('still stops and images its own builder', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launchedBuild(world);

    const stopping = await stopBuilder(progress, world.deps);
    world.cloud.advance(30);
    const created = await createBuildImage(stopping, world.deps);

    expect(world.cloud.compute.instance(progress.instanceId)?.state).toBe('stopped');
    expect(created.imageId).toMatch(/^ami-/);
  });
});
