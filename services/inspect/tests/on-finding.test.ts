import { imageVulnerable } from '@ami-lifecycle/contracts';
import { onFinding } from '../src';
import { createWorld, HOME, seedImage, setWaivers, type World } from './support/world';

const CRITICAL_CVE = 'CVE-2024-38476';

/** A workload instance running the image, and Inspector's finding on it. */
const findingOnWorkload = async (world: World, amiId: string, cve = CRITICAL_CVE) => {
  const { instanceId } = await world.cloud.compute.launchInstance({
    imageId: amiId,
    instanceType: 't3.micro',
    instanceProfile: 'workload',
    tags: {},
    rootVolume: { sizeGiB: 8, encrypted: true },
  });
  const finding = world.cloud.findings.addFinding({
    instanceId,
    cve,
    severity: 'CRITICAL',
    fixAvailable: true,
  });
  return { findingArn: finding.id, instanceId, amiId };
};

describe('onFinding', () => {
  it('flags a published image that now fails its gate vulnerable and emits Image Vulnerable, once', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world, { state: 'published' });
    const notice = await findingOnWorkload(world, image.amiIds[HOME]!);

    // Act
    const first = await onFinding(notice, world.deps);
    const again = await onFinding(notice, world.deps);

    // Assert
    expect(first.outcome).toBe('vulnerable');
    expect(again.outcome).toBe('unchanged');
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'published',
      vulnerable: true,
      // Retention's out-of-date grace counts from here.
      vulnerableSince: world.cloud.clock.now().toISOString(),
      findings: expect.objectContaining({ CRITICAL: 1 }),
    });
    const events = world.cloud.events.published('Image Vulnerable');
    expect(events).toHaveLength(1);
    expect(imageVulnerable.schema.parse(events[0]!.detail)).toMatchObject({
      imageId: image.amiIds[HOME],
      correlationId: 'corr-1',
      idempotencyKey: `image-vulnerable:${image.family}@${image.version}`,
      findings: [{ findingArn: notice.findingArn, vulnerabilityId: CRITICAL_CVE, severity: 'CRITICAL' }],
    });
  });

  it('only records the findings when a valid waiver covers them', async () => {
    // Arrange
    const world = await createWorld();
    await setWaivers(world, 'golden-al2023', [{ id: CRITICAL_CVE, expiresAt: '2026-06-01T00:00:00Z' }]);
    const image = await seedImage(world, { state: 'published' });
    const notice = await findingOnWorkload(world, image.amiIds[HOME]!);

    // Act
    const result = await onFinding(notice, world.deps);

    // Assert
    expect(result.outcome).toBe('findings-updated');
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({ vulnerable: false });
    expect(world.cloud.events.published('Image Vulnerable')).toHaveLength(0);
  });

  it('leaves an image under inspection to its inspection', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world, { state: 'built' });
    const notice = await findingOnWorkload(world, image.amiIds[HOME]!);

    // Act
    const result = await onFinding(notice, world.deps);

    // Assert
    expect(result).toEqual({
      outcome: 'ignored',
      reason: `golden-al2023@${image.version} is built; only published images are watched`,
    });
  });

  it('ignores instances of AMIs we do not manage', async () => {
    // Arrange
    const world = await createWorld();
    const foreign = world.cloud.images.addImage({ name: 'someone-elses', tags: {} });
    const notice = await findingOnWorkload(world, foreign);

    // Act
    const result = await onFinding(notice, world.deps);

    // Assert
    expect(result.outcome).toBe('ignored');
    expect(world.cloud.events.published()).toHaveLength(0);
  });
});
