import { ImageNotInspectableError, INSPECTION_ID_TAG, startInspection, TEST_INSTANCE_TAG } from '../src';
import { createWorld, requestFor, seedImage } from './support/world';

describe('startInspection', () => {
  it('moves a built image to inspecting and launches a tagged test instance from its AMI with the family’s settings', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);

    // Act
    const started = await startInspection(request, world.deps);

    // Assert
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({ state: 'inspecting' });
    const instance = world.cloud.compute.instance(started.instanceId)!;
    expect(instance).toMatchObject({
      imageId: request.imageId,
      httpTokens: 'required',
      publicIpAddress: undefined,
      keyName: undefined,
      request: expect.objectContaining({
        instanceType: 't3.medium',
        instanceProfile: 'ami-lifecycle-builder',
        subnetId: 'subnet-0a1b2c3d4e5f60718',
        securityGroupIds: ['sg-0123456789abcdef0'],
        rootVolume: { sizeGiB: 8, encrypted: true, kmsKeyId: 'alias/ami-lifecycle' },
      }),
    });
    expect(instance.tags).toMatchObject({
      'ami-lifecycle:managed': 'true',
      'ami-lifecycle:family': 'golden-al2023',
      [TEST_INSTANCE_TAG]: `golden-al2023@${image.version}`,
      [INSPECTION_ID_TAG]: request.inspectionId,
      'cost-center': 'platform',
    });
    expect(instance.tags['ami-lifecycle:build-id']).toBeUndefined();
    expect(started).toMatchObject({ coverage: { attempts: 0, next: 'wait' }, maxCoverageChecks: 42 });
  });

  it('answers the same test instance when the step is retried', async () => {
    // Arrange
    const world = await createWorld();
    const request = requestFor(await seedImage(world));
    const first = await startInspection(request, world.deps);

    // Act
    const second = await startInspection(request, world.deps);

    // Assert
    expect(second.instanceId).toBe(first.instanceId);
    expect(world.cloud.compute.instances()).toHaveLength(1);
  });

  it('leaves a published image published when it is re-inspected', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world, { state: 'published' });

    // Act
    await startInspection(requestFor(image, 'reinspection'), world.deps);

    // Assert
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'published',
      stateVersion: 0,
    });
  });

  it('refuses a candidate that is no longer built, and launches nothing', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world, { state: 'published' });

    // Act
    const started = startInspection(requestFor(image), world.deps);

    // Assert
    await expect(started).rejects.toThrow(ImageNotInspectableError);
    await expect(started).rejects.toThrow('a candidate must be built, this one is published');
    expect(world.cloud.compute.instances()).toHaveLength(0);
  });

  it('refuses a request whose AMI is not the image’s', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);

    // Act
    const started = startInspection({ ...requestFor(image), imageId: 'ami-0123456789abcdef0' }, world.deps);

    // Assert
    await expect(started).rejects.toThrow(/its AMI in eu-west-1 is ami-\w+, not ami-0123456789abcdef0/);
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({ state: 'built' });
  });
});
