import { AL2023_PARAMETER } from '@ami-lifecycle/aws/memory';
import type { FamilyConfig } from '@ami-lifecycle/core';
import { resolveSource, SourceNotFoundError } from '../src';
import { createWorld, exampleFamilies, HOME, publishedImage } from './support/world';

const CANONICAL = '099720109477';
const UBUNTU = 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-';

const goldenWith = (source: Extract<FamilyConfig, { kind: 'golden' }>['source']): FamilyConfig => {
  const golden = exampleFamilies()['golden-al2023'] as Extract<FamilyConfig, { kind: 'golden' }>;
  return { ...golden, source };
};

describe('resolveSource', () => {
  it('takes a golden family’s AMI id as it is', async () => {
    // Arrange
    const { deps } = await createWorld([]);

    // Act
    const source = await resolveSource(goldenWith({ amiId: 'ami-0123456789abcdef0' }), deps);

    // Assert
    expect(source).toEqual({ sourceAmiId: 'ami-0123456789abcdef0', via: 'ami-id' });
  });

  it('reads a golden family’s SSM parameter', async () => {
    // Arrange
    const { deps, families } = await createWorld([]);
    const expected = await deps.images.resolveSsmImageParameter(AL2023_PARAMETER);

    // Act
    const source = await resolveSource(families['golden-al2023']!, deps);

    // Assert
    expect(source).toEqual({ sourceAmiId: expected, via: 'ssm-parameter' });
  });

  it('picks the newest available image of the named owners that matches the name filter', async () => {
    // Arrange
    const { cloud, deps, families } = await createWorld([]);
    cloud.images.addImage({
      name: `${UBUNTU}20260101`,
      owner: CANONICAL,
      creationDate: '2026-01-01T00:00:00.000Z',
    });
    const newest = cloud.images.addImage({
      name: `${UBUNTU}20260201`,
      owner: CANONICAL,
      creationDate: '2026-02-01T00:00:00.000Z',
    });
    cloud.images.addImage({
      name: `${UBUNTU}20260215`,
      owner: CANONICAL,
      state: 'pending',
      creationDate: '2026-02-15T00:00:00.000Z',
    });
    // A look-alike published by someone else, newer still: never a candidate.
    cloud.images.addImage({
      name: `${UBUNTU}20260220`,
      owner: '210987654321',
      creationDate: '2026-02-20T00:00:00.000Z',
    });

    // Act
    const source = await resolveSource(families['golden-ubuntu']!, deps);

    // Assert
    expect(source).toEqual({ sourceAmiId: newest, via: 'name-filter' });
  });

  it('names the family and the filter when nothing matches', async () => {
    // Arrange
    const { deps, families } = await createWorld([]);

    // Act
    const resolving = resolveSource(families['golden-ubuntu']!, deps);

    // Assert
    await expect(resolving).rejects.toThrow(SourceNotFoundError);
    await expect(resolving).rejects.toThrow(
      /golden-ubuntu: no available image matches name filter "ubuntu\//,
    );
  });

  it('names the parameter when the SSM parameter does not exist', async () => {
    // Arrange
    const { deps } = await createWorld([]);

    // Act
    const resolving = resolveSource(goldenWith({ ssmParameter: '/golden/missing' }), deps);

    // Assert
    await expect(resolving).rejects.toMatchObject({
      name: 'SourceNotFoundError',
      family: 'golden-al2023',
      message: expect.stringContaining('SSM parameter /golden/missing does not exist'),
    });
  });

  it('builds an application family on the published image its parent channel points to', async () => {
    // Arrange
    const world = await createWorld([]);
    const parent = await publishedImage(world, 'golden-al2023', '2026.02.01.1', 'stable');

    // Act
    const source = await resolveSource(world.families['payments-api']!, world.deps);

    // Assert
    expect(source).toEqual({
      sourceAmiId: parent.amiIds[HOME],
      via: 'parent-channel',
      parent: { family: 'golden-al2023', version: '2026.02.01.1', amiId: parent.amiIds[HOME] },
    });
  });

  it('refuses an application family whose parent channel points nowhere', async () => {
    // Arrange
    const world = await createWorld([]);
    await publishedImage(world, 'golden-al2023', '2026.02.01.1', 'latest');

    // Act
    const resolving = resolveSource(world.families['payments-api']!, world.deps);

    // Assert
    await expect(resolving).rejects.toThrow(
      'payments-api: channel golden-al2023/stable points to no image yet',
    );
  });

  it('builds on exactly the parent image a parent-published request names', async () => {
    // Arrange
    const world = await createWorld([]);
    const named = await publishedImage(world, 'golden-al2023', '2026.02.01.1', 'stable');
    await publishedImage(world, 'golden-al2023', '2026.02.08.1', 'stable');
    const request = { family: 'golden-al2023', version: named.version, imageId: named.amiIds[HOME]! };

    // Act
    const source = await resolveSource(world.families['payments-api']!, world.deps, { parent: request });

    // Assert
    expect(source.via).toBe('parent-image');
    expect(source.parent).toEqual({
      family: 'golden-al2023',
      version: '2026.02.01.1',
      amiId: named.amiIds[HOME],
    });
  });

  it('refuses a parent image that is no longer published', async () => {
    // Arrange
    const world = await createWorld([]);
    const parent = await publishedImage(world, 'golden-al2023', '2026.02.01.1', 'stable');
    await world.catalog.transitionImage({
      family: 'golden-al2023',
      version: parent.version,
      from: 'published',
      to: 'deprecated',
      expectedStateVersion: 0,
      at: '2026-03-01T09:00:00Z',
      audit: { actor: 'test', reason: 'retention', correlationId: 'sweep-1' },
    });

    // Act
    const resolving = resolveSource(world.families['payments-api']!, world.deps);

    // Assert
    await expect(resolving).rejects.toThrow(
      'parent image golden-al2023@2026.02.01.1 (channel stable) is deprecated, not published',
    );
  });
});
