import type { FamilyConfig } from '@ami-lifecycle/core';
import { buildKey, SourceNotFoundError, startBuild } from '../src';
import { buildRequest, createWorld, exampleFamilies, HOME, publishedImage } from './support/world';

describe('startBuild', () => {
  it('registers a golden image in building and launches its builder from the SSM parameter’s AMI', async () => {
    // Arrange
    const { cloud, catalog, deps, families } = await createWorld(['golden-al2023']);
    const sourceAmiId = await deps.images.resolveSsmImageParameter(
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    );

    // Act
    const result = await startBuild(buildRequest(), deps);

    // Assert
    if (result.outcome !== 'started') throw new Error(`expected started, got ${result.outcome}`);
    const stored = await catalog.getImage('golden-al2023', '2026.03.01.1');
    expect(stored).toMatchObject({
      state: 'building',
      sourceAmiId,
      configVersion: 1,
      buildId: result.image.buildId,
      buildKey: buildKey({
        sourceAmiId,
        configVersion: 1,
        components: families['golden-al2023']!.build.components,
      }),
      managed: true,
    });
    expect(stored?.parent).toBeUndefined();
    const builder = cloud.compute.instance(result.instanceId)!;
    expect(builder.request).toMatchObject({
      imageId: sourceAmiId,
      instanceType: 't3.medium',
      instanceProfile: 'ami-lifecycle-builder',
      subnetId: 'subnet-0a1b2c3d4e5f60718',
      securityGroupIds: ['sg-0123456789abcdef0'],
      rootVolume: { sizeGiB: 8, encrypted: true, kmsKeyId: 'alias/ami-lifecycle' },
    });
    expect(builder.tags).toMatchObject({
      'ami-lifecycle:managed': 'true',
      'ami-lifecycle:family': 'golden-al2023',
      'ami-lifecycle:version': '2026.03.01.1',
      'ami-lifecycle:parent': 'none',
      'ami-lifecycle:build-id': result.image.buildId,
      'cost-center': 'platform',
    });
    const audit = await catalog.listAudit('golden-al2023', '2026.03.01.1');
    expect(audit.items[0]).toMatchObject({ to: 'building', correlationId: 'corr-1', policyVersion: 1 });
  });

  it('builds a golden image from the newest image matching the name filter', async () => {
    // Arrange
    const { cloud, deps } = await createWorld(['golden-ubuntu']);
    const ubuntu = cloud.images.addImage({
      name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260201',
      owner: '099720109477',
    });

    // Act
    const result = await startBuild(buildRequest({ family: 'golden-ubuntu' }), deps);

    // Assert
    expect(result).toMatchObject({
      outcome: 'started',
      image: { sourceAmiId: ubuntu, version: '2026.03.01.1' },
    });
    if (result.outcome === 'started') expect(cloud.compute.instance(result.instanceId)?.imageId).toBe(ubuntu);
  });

  it('builds an application image on its parent channel’s published image and records the lineage', async () => {
    // Arrange
    const world = await createWorld(['payments-api']);
    const parent = await publishedImage(world, 'golden-al2023', '2026.02.01.1', 'stable');
    const parentAmi = parent.amiIds[HOME]!;

    // Act
    const result = await startBuild(buildRequest({ family: 'payments-api' }), world.deps);

    // Assert
    if (result.outcome !== 'started') throw new Error(`expected started, got ${result.outcome}`);
    expect(await world.catalog.getImage('payments-api', '1.0.0')).toMatchObject({
      state: 'building',
      sourceAmiId: parentAmi,
      parent: { family: 'golden-al2023', version: '2026.02.01.1', amiId: parentAmi },
    });
    const builder = world.cloud.compute.instance(result.instanceId)!;
    expect(builder.imageId).toBe(parentAmi);
    expect(builder.tags['ami-lifecycle:parent']).toBe('golden-al2023@2026.02.01.1');
    expect(builder.request.rootVolume).toEqual({
      sizeGiB: 20,
      encrypted: true,
      kmsKeyId: 'alias/ami-lifecycle',
    });
  });

  it('writes nothing and names the family when the source cannot be resolved', async () => {
    // Arrange
    const golden = exampleFamilies()['golden-al2023'] as Extract<FamilyConfig, { kind: 'golden' }>;
    const broken = { ...golden, source: { ssmParameter: '/golden/missing' } };
    const { cloud, catalog, deps } = await createWorld(['golden-al2023'], { 'golden-al2023': broken });

    // Act
    const starting = startBuild(buildRequest(), deps);

    // Assert
    await expect(starting).rejects.toThrow(SourceNotFoundError);
    await expect(starting).rejects.toThrow(/golden-al2023.*\/golden\/missing/);
    expect((await catalog.listImagesByFamily('golden-al2023')).items).toEqual([]);
    expect(cloud.compute.instances()).toEqual([]);
  });

  it('refuses a family that has no stored config', async () => {
    // Arrange
    const { deps } = await createWorld([]);

    // Act / Assert
    await expect(startBuild(buildRequest(), deps)).rejects.toMatchObject({
      name: 'FamilyNotConfiguredError',
    });
  });

  it('starts one build when the same inputs are requested twice', async () => {
    // Arrange
    const { cloud, catalog, deps } = await createWorld(['golden-al2023']);
    const first = await startBuild(buildRequest(), deps);

    // Act
    const second = await startBuild(buildRequest({ idempotencyKey: 'request-2', reason: 'schedule' }), deps);

    // Assert
    expect(second).toEqual({ outcome: 'duplicate', image: first.image });
    expect((await catalog.listImagesByFamily('golden-al2023')).items).toHaveLength(1);
    expect(cloud.compute.instances()).toHaveLength(1);
  });

  it('starts a second build of the same inputs when the request is forced', async () => {
    // Arrange
    const { cloud, catalog, deps } = await createWorld(['golden-al2023']);
    const first = await startBuild(buildRequest(), deps);

    // Act
    const second = await startBuild(buildRequest({ idempotencyKey: 'request-2', force: true }), deps);

    // Assert
    expect(second).toMatchObject({ outcome: 'started', image: { version: '2026.03.01.2' } });
    expect(second.image.buildKey).toBe(first.image.buildKey);
    expect((await catalog.listImagesByFamily('golden-al2023')).items).toHaveLength(2);
    expect(cloud.compute.instances()).toHaveLength(2);
  });

  it('resumes, rather than repeats, a redelivered request whose build is still starting', async () => {
    // Arrange
    const { cloud, deps } = await createWorld(['golden-al2023']);
    const first = await startBuild(buildRequest({ force: true }), deps);

    // Act
    const again = await startBuild(buildRequest({ force: true }), deps);

    // Assert: the same client token answers the instance already launched.
    expect(again).toEqual(first);
    expect(cloud.compute.instances()).toHaveLength(1);
  });

  it('starts no build when the image with the same inputs is already published (the refresh loop guard)', async () => {
    // Arrange: the first build went all the way; its image is published under the same build key.
    const { cloud, catalog, deps } = await createWorld(['golden-al2023']);
    const first = await startBuild(buildRequest(), deps);
    let image = first.image;
    for (const [from, to] of [
      ['building', 'built'],
      ['built', 'inspecting'],
      ['inspecting', 'approved'],
      ['approved', 'published'],
    ] as const) {
      image = await catalog.transitionImage({
        family: 'golden-al2023',
        version: image.version,
        from,
        to,
        expectedStateVersion: image.stateVersion,
        at: '2026-03-01T11:00:00Z',
        audit: { actor: 'test', reason: `${from} -> ${to}`, correlationId: 'corr-1' },
      });
    }

    // Act
    const second = await startBuild(buildRequest({ idempotencyKey: 'request-2', reason: 'schedule' }), deps);

    // Assert
    expect(second).toMatchObject({
      outcome: 'duplicate',
      image: { version: image.version, state: 'published' },
    });
    expect((await catalog.listImagesByFamily('golden-al2023')).items).toHaveLength(1);
    expect(cloud.compute.instances()).toHaveLength(1);
  });

  it('builds again once the image with the same inputs has failed', async () => {
    // Arrange
    const { catalog, deps } = await createWorld(['golden-al2023']);
    const first = await startBuild(buildRequest(), deps);
    await catalog.transitionImage({
      family: 'golden-al2023',
      version: first.image.version,
      from: 'building',
      to: 'failed',
      expectedStateVersion: first.image.stateVersion,
      at: '2026-03-01T10:30:00Z',
      audit: { actor: 'test', reason: 'components failed', correlationId: 'corr-1' },
    });

    // Act
    const second = await startBuild(buildRequest({ idempotencyKey: 'request-2' }), deps);

    // Assert
    expect(second).toMatchObject({ outcome: 'started', image: { version: '2026.03.01.2' } });
  });

  it('answers duplicate when a concurrent delivery registers the same build first', async () => {
    // Arrange: both deliveries read the family's images before either writes, so both try createImage.
    const { cloud, catalog, deps } = await createWorld(['golden-al2023']);
    const racing = { ...deps, catalog: Object.create(catalog) as typeof catalog };
    let readers = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    racing.catalog.listImagesByFamily = async (...args) => {
      const page = await catalog.listImagesByFamily(...args);
      readers += 1;
      if (readers === 2) release();
      await bothRead;
      return page;
    };
    const createImage = jest.spyOn(racing.catalog, 'createImage');

    // Act
    const [a, b] = await Promise.all([
      startBuild(buildRequest(), racing),
      startBuild(buildRequest({ idempotencyKey: 'request-2' }), racing),
    ]);

    // Assert
    expect(createImage).toHaveBeenCalledTimes(2);
    expect([a.outcome, b.outcome].sort()).toEqual(['duplicate', 'started']);
    expect((await catalog.listImagesByFamily('golden-al2023')).items).toHaveLength(1);
    expect(cloud.compute.instances()).toHaveLength(1);
  });

  it('takes the next version when a concurrent build of other inputs took the one it chose', async () => {
    // Arrange: the first read misses the other build's image, as if both read before either wrote.
    const { catalog, deps } = await createWorld(['golden-al2023']);
    const other = await startBuild(buildRequest(), deps);
    const racing = { ...deps, catalog: Object.create(catalog) as typeof catalog };
    let reads = 0;
    racing.catalog.listImagesByFamily = async (...args) =>
      reads++ === 0 ? { items: [] } : catalog.listImagesByFamily(...args);

    // Act
    const forced = await startBuild(buildRequest({ idempotencyKey: 'request-2', force: true }), racing);

    // Assert
    expect(other).toMatchObject({ outcome: 'started', image: { version: '2026.03.01.1' } });
    expect(forced).toMatchObject({ outcome: 'started', image: { version: '2026.03.01.2' } });
  });

  it('gives up, changing nothing, when concurrent builds keep taking the version it chooses', async () => {
    // Arrange
    const { catalog, deps } = await createWorld(['golden-al2023']);
    const racing = { ...deps, catalog: Object.create(catalog) as typeof catalog };
    racing.catalog.listImagesByFamily = async () => ({ items: [] });
    await startBuild(buildRequest(), deps);

    // Act
    const forced = startBuild(buildRequest({ idempotencyKey: 'request-2', force: true }), racing);

    // Assert
    await expect(forced).rejects.toMatchObject({ name: 'ImageAlreadyExistsError' });
    expect((await catalog.listImagesByFamily('golden-al2023')).items).toHaveLength(1);
  });
});
