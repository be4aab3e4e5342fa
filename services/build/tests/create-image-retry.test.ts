import { amiName, type CatalogPort, managedTags } from '@ami-lifecycle/core';
import { AmiNotVisibleYetError, BUILD_ID_TAG, createBuildImage } from '../src';
import { createBuilderImage, createWorld, HOME, launchedBuild } from './support/world';

describe('createBuildImage, retried after a Lambda timeout', () => {
  it('adopts and records the AMI the timed-out attempt created but never recorded', async () => {
    // Arrange: the first attempt's CreateImage was accepted; the Lambda was killed at the catalog write.
    const world = await createWorld(['golden-al2023']);
    const progress = await launchedBuild(world);
    const killedAtWrite: CatalogPort = Object.create(world.catalog, {
      updateImage: {
        value: async () => {
          throw Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'States.Timeout' });
        },
      },
    });
    await expect(createBuildImage(progress, { ...world.deps, catalog: killedAtWrite })).rejects.toMatchObject(
      { name: 'States.Timeout' },
    );
    const [orphan] = await world.cloud.images.findImagesByName('golden-al2023-*', ['self']);
    expect((await world.catalog.getImage(progress.family, progress.version))?.amiIds).toEqual({});

    // Act: the machine retries the step.
    const retried = await createBuildImage(progress, world.deps);

    // Assert: the same AMI, now recorded, and no second one.
    expect(retried.imageId).toBe(orphan!.imageId);
    expect(orphan!.tags[BUILD_ID_TAG]).toBe(progress.buildId);
    const image = (await world.catalog.getImage(progress.family, progress.version))!;
    expect(image.amiIds[HOME]).toBe(orphan!.imageId);
    expect(await world.cloud.images.findImagesByName('golden-al2023-*', ['self'])).toHaveLength(1);
  });
});

describe('createBuildImage, retried before EC2 lists the AMI it refused the name for', () => {
  it('asks for another attempt instead of failing the build, and adopts the AMI once it is listed', async () => {
    // Arrange: the first attempt's AMI exists, but DescribeImages does not list it yet.
    const world = await createWorld(['golden-al2023']);
    const progress = await launchedBuild(world);
    const lost = await createBuilderImage(
      world,
      (await world.catalog.getImage(progress.family, progress.version))!,
      progress.instanceId,
      { record: false },
    );
    const notListedYet = Object.create(world.cloud.images, {
      findImagesByName: { value: async () => [] },
    }) as typeof world.cloud.images;

    // Act
    const first = createBuildImage(progress, { ...world.deps, images: notListedYet });
    await expect(first).rejects.toBeInstanceOf(AmiNotVisibleYetError);
    await expect(first).rejects.toMatchObject({ name: 'AmiNotVisibleYetError' });
    const retried = await createBuildImage(progress, world.deps);

    // Assert
    expect(retried.imageId).toBe(lost);
    expect((await world.catalog.getImage(progress.family, progress.version))?.amiIds[HOME]).toBe(lost);
  });

  it('still fails on a name held by another build’s AMI', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launchedBuild(world);
    world.cloud.images.addImage({
      name: amiName(progress.family, progress.version),
      tags: managedTags({ family: progress.family, version: progress.version, buildId: 'build-other' }),
    });

    await expect(createBuildImage(progress, world.deps)).rejects.toMatchObject({
      name: 'InvalidAMIName.Duplicate',
    });
  });
});
