import { imageVulnerable } from '@ami-lifecycle/contracts';
import { type Image, managedTags } from '@ami-lifecycle/core';
import { onFinding, testInstanceTags } from '../src';
import { createWorld, HOME, requestFor, seedImage, setWaivers, type World } from './support/world';

const CRITICAL_CVE = 'CVE-2024-38476';

/** An instance launched from the AMI with these tags (none: a workload's), and Inspector's finding on it. */
const findingOn = async (world: World, amiId: string, tags: Record<string, string>, cve = CRITICAL_CVE) => {
  const { instanceId } = await world.cloud.compute.launchInstance({
    imageId: amiId,
    instanceType: 't3.micro',
    instanceProfile: 'workload',
    tags,
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

/** A workload instance running the image, and Inspector's finding on it. */
const findingOnWorkload = (world: World, amiId: string, cve = CRITICAL_CVE) =>
  findingOn(world, amiId, {}, cve);

/** The tags the build service gives payments-api's builder on `parent`: launched from the parent's AMI. */
const childBuilderTags = (parent: Image) => ({
  Name: 'payments-api-1.4.0-builder',
  ...managedTags({
    family: 'payments-api',
    version: '1.4.0',
    buildId: 'build-payments-api-1.4.0',
    parent: { family: parent.family, version: parent.version },
  }),
});

/** A CVE only payments-api's Java runtime has: its builder installs it on top of the golden image. */
const JAVA_CVE = 'CVE-2026-21001';

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

  describe('judges a published image only by the instances that run it as it is', () => {
    it("ignores a finding on a child image's builder and leaves the golden image un-flagged", async () => {
      // Arrange: golden-al2023 is published; payments-api's builder runs on its AMI and has Java installed.
      const world = await createWorld();
      const golden = await seedImage(world, { state: 'published' });
      const notice = await findingOn(world, golden.amiIds[HOME]!, childBuilderTags(golden), JAVA_CVE);

      // Act
      const result = await onFinding(notice, world.deps);

      // Assert: nothing written, nothing emitted.
      expect(result).toEqual({
        outcome: 'ignored',
        reason: expect.stringContaining(`on ${notice.instanceId}, an instance of payments-api@1.4.0`),
      });
      expect(await world.catalog.getImage(golden.family, golden.version)).toEqual(golden);
      expect(world.cloud.events.published()).toHaveLength(0);
    });

    it('ignores it by the tags the finding event carries, when Inspector does not list it yet', async () => {
      // Arrange: the event is ahead of ListFindings.
      const world = await createWorld();
      const golden = await seedImage(world, { state: 'published' });
      const notice = {
        findingArn: 'arn:aws:inspector2:eu-west-1:111111111111:finding/00000000000000000000000000000abc',
        instanceId: 'i-0aaaaaaaaaaaaaaa1',
        amiId: golden.amiIds[HOME]!,
        instanceTags: childBuilderTags(golden),
      };

      // Act
      const result = await onFinding(notice, world.deps);

      // Assert
      expect(result).toMatchObject({
        outcome: 'ignored',
        reason: expect.stringContaining('i-0aaaaaaaaaaaaaaa1'),
      });
      expect(await world.catalog.getImage(golden.family, golden.version)).toEqual(golden);
    });

    it("flags it for a finding on an untagged workload, leaving the child builder's findings out", async () => {
      // Arrange: the builder's Java findings are listed for the golden AMI too.
      const world = await createWorld();
      const golden = await seedImage(world, { state: 'published' });
      await findingOn(world, golden.amiIds[HOME]!, childBuilderTags(golden), JAVA_CVE);
      await findingOn(world, golden.amiIds[HOME]!, childBuilderTags(golden), 'CVE-2026-21002');
      const notice = await findingOnWorkload(world, golden.amiIds[HOME]!);

      // Act
      const result = await onFinding(notice, world.deps);

      // Assert: the workload's one finding, not the builder's two.
      expect(result.outcome).toBe('vulnerable');
      expect(await world.catalog.getImage(golden.family, golden.version)).toMatchObject({
        vulnerable: true,
        findings: expect.objectContaining({ CRITICAL: 1 }),
      });
      const events = world.cloud.events.published('Image Vulnerable');
      expect(events).toHaveLength(1);
      expect(imageVulnerable.schema.parse(events[0]!.detail).findings).toEqual([
        { findingArn: notice.findingArn, vulnerabilityId: CRITICAL_CVE, severity: 'CRITICAL' },
      ]);
    });

    it('flags it for a finding on its own test instance (a re-inspection)', async () => {
      // Arrange: the re-inspection's test instance runs the golden AMI with our tags for golden-al2023.
      const world = await createWorld();
      const golden = await seedImage(world, { state: 'published' });
      const tags = testInstanceTags(requestFor(golden, 'reinspection'));
      const notice = await findingOn(world, golden.amiIds[HOME]!, tags);

      // Act
      const result = await onFinding(notice, world.deps);

      // Assert
      expect(result.outcome).toBe('vulnerable');
      expect(world.cloud.events.published('Image Vulnerable')).toHaveLength(1);
    });
  });
});
