import { imageInspectionCompleted } from '@ami-lifecycle/contracts';
import { recordVerdict, startInspection } from '../src';
import { createWorld, inspectThrough, isGone, requestFor, seedImage, setWaivers } from './support/world';

const CRITICAL_CVE = 'CVE-2024-38476';

describe('an inspection of a candidate', () => {
  it('approves an image that passes the gate when the family approves automatically, and terminates the test instance', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);

    // Act
    const { instanceId, verdict, terminated } = await inspectThrough(world, request);

    // Assert
    expect(verdict).toMatchObject({ verdict: 'pass', state: 'approved' });
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'approved',
      verdict: 'pass',
      approver: 'auto',
      findings: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 },
    });
    expect(terminated).toEqual([instanceId]);
    expect(isGone(world, instanceId)).toBe(true);
    const [completed] = world.cloud.events.published('Image Inspection Completed');
    expect(imageInspectionCompleted.schema.parse(completed!.detail)).toMatchObject({
      purpose: 'candidate',
      verdict: 'pass',
      imageId: request.imageId,
      idempotencyKey: `image-inspection-completed:${request.inspectionId}`,
    });
    expect(world.cloud.events.published('Image Approved')[0]!.detail).toMatchObject({
      approver: { kind: 'auto' },
    });
  });

  it('records a passing verdict and leaves the image for a person when the family approves manually', async () => {
    // Arrange
    const world = await createWorld(['golden-ubuntu']);
    const image = await seedImage(world, { family: 'golden-ubuntu' });

    // Act
    const { verdict } = await inspectThrough(world, requestFor(image));

    // Assert
    expect(verdict).toMatchObject({ verdict: 'pass', state: 'inspecting' });
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'inspecting',
      verdict: 'pass',
    });
    expect(world.cloud.events.published('Image Approved')).toHaveLength(0);
    expect(world.cloud.events.published('Image Inspection Completed')).toHaveLength(1);
  });

  it('rejects an image with a fixable CRITICAL finding', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);

    // Act
    const { verdict } = await inspectThrough(world, requestFor(image), (instanceId) =>
      world.cloud.findings.addFinding({
        instanceId,
        cve: CRITICAL_CVE,
        severity: 'CRITICAL',
        fixAvailable: true,
      }),
    );

    // Assert
    expect(verdict).toMatchObject({ verdict: 'fail', state: 'rejected' });
    expect(verdict.reasons).toContain('1 CRITICAL findings exceed the limit of 0');
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'rejected',
      verdict: 'fail',
      findings: expect.objectContaining({ CRITICAL: 1 }),
    });
    expect(world.cloud.events.published('Image Rejected')[0]!.detail).toMatchObject({
      approver: { kind: 'auto' },
      reason: expect.stringContaining('CRITICAL'),
    });
  });

  it('passes a CRITICAL finding under a waiver that expires in the future', async () => {
    // Arrange
    const world = await createWorld();
    await setWaivers(world, 'golden-al2023', [{ id: CRITICAL_CVE, expiresAt: '2026-03-02T00:00:00Z' }]);
    const image = await seedImage(world);

    // Act
    const { verdict } = await inspectThrough(world, requestFor(image), (instanceId) =>
      world.cloud.findings.addFinding({
        instanceId,
        cve: CRITICAL_CVE,
        severity: 'CRITICAL',
        fixAvailable: true,
      }),
    );

    // Assert
    expect(verdict).toMatchObject({ verdict: 'pass', state: 'approved' });
  });

  it('fails a CRITICAL finding whose waiver expired by the clock, and says so', async () => {
    // Arrange
    const world = await createWorld();
    await setWaivers(world, 'golden-al2023', [{ id: CRITICAL_CVE, expiresAt: '2026-03-01T10:01:00Z' }]);
    const image = await seedImage(world);

    // Act
    const { verdict } = await inspectThrough(world, requestFor(image), (instanceId) =>
      world.cloud.findings.addFinding({
        instanceId,
        cve: CRITICAL_CVE,
        severity: 'CRITICAL',
        fixAvailable: true,
      }),
    );

    // Assert
    expect(verdict).toMatchObject({ verdict: 'fail', state: 'rejected' });
    expect(verdict.reasons).toContain(`waiver for ${CRITICAL_CVE} has expired and excuses nothing`);
  });

  it('rejects an image whose test failed, naming the test', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    world.cloud.commands.respond = (req) =>
      req.commands.some((c) => c.includes('sshd -T'))
        ? { status: 'failed', exitCode: 1, stderr: 'root login on' }
        : undefined;

    // Act
    const { verdict } = await inspectThrough(world, requestFor(image));

    // Assert
    expect(verdict.reasons).toContain('test "hardening-applied" failed: failed (exit 1): root login on');
    expect(verdict.state).toBe('rejected');
  });

  it('does not transition twice when the verdict step is retried, and emits again under the same keys', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);
    const { instanceId } = await startInspection(request, world.deps);
    await recordVerdict({ request, instanceId, tests: [] }, world.deps);

    // Act
    const retried = await recordVerdict({ request, instanceId, tests: [] }, world.deps);

    // Assert
    expect(retried.state).toBe('approved');
    const transitions = (await world.catalog.listAudit(image.family, image.version)).items.filter(
      (r) => r.to === 'approved',
    );
    expect(transitions).toHaveLength(1);
    const keys = world.cloud.events.published().map((e) => e.detail.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
  });
});

describe('a verdict step whose publishes failed', () => {
  it('re-emits the stored rejection on retry instead of judging again under a changed gate', async () => {
    // Arrange: the first attempt rejects (a CRITICAL finding), stores it, and every publish fails.
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);
    const { instanceId } = await startInspection(request, world.deps);
    world.cloud.findings.addFinding({
      instanceId,
      cve: CRITICAL_CVE,
      severity: 'CRITICAL',
      fixAvailable: true,
    });
    world.cloud.events.failNext();
    await expect(recordVerdict({ request, instanceId, tests: [] }, world.deps)).rejects.toThrow();
    expect(world.cloud.events.published()).toEqual([]);
    // Meanwhile a waiver is applied: judged again, the gate would now pass.
    await setWaivers(world, 'golden-al2023', [{ id: CRITICAL_CVE, expiresAt: '2027-01-01T00:00:00Z' }]);

    // Act
    const retried = await recordVerdict({ request, instanceId, tests: [] }, world.deps);

    // Assert: the stored outcome goes out, under the keys the first attempt would have used.
    expect(retried).toMatchObject({ verdict: 'fail', state: 'rejected' });
    expect(retried.reasons).toContain('1 CRITICAL findings exceed the limit of 0');
    expect(world.cloud.events.published('Image Approved')).toEqual([]);
    expect(world.cloud.events.published('Image Inspection Completed').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        verdict: 'fail',
        findings: expect.objectContaining({ CRITICAL: 1 }),
        idempotencyKey: `image-inspection-completed:${request.inspectionId}`,
      }),
    ]);
    expect(world.cloud.events.published('Image Rejected').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        approver: { kind: 'auto' },
        reason: expect.stringContaining('CRITICAL'),
        idempotencyKey: `image-rejected:${image.family}@${image.version}`,
      }),
    ]);
    const transitions = (await world.catalog.listAudit(image.family, image.version)).items.filter(
      (r) => r.action === 'transition' && r.from === 'inspecting',
    );
    expect(transitions).toHaveLength(1);
  });

  it('re-emits the stored approval on retry, though the retry’s test results would reject', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);
    const { instanceId } = await startInspection(request, world.deps);
    world.cloud.events.failNext();
    await expect(recordVerdict({ request, instanceId, tests: [] }, world.deps)).rejects.toThrow();

    // Act: the retry's test results differ (a flaky test) — they are not looked at again.
    const retried = await recordVerdict(
      { request, instanceId, tests: [{ name: 'hardening-applied', passed: false, detail: 'flaky' }] },
      world.deps,
    );

    // Assert
    expect(retried).toMatchObject({ verdict: 'pass', state: 'approved' });
    expect(world.cloud.events.published('Image Approved').map((e) => e.detail)).toEqual([
      expect.objectContaining({ approver: { kind: 'auto' } }),
    ]);
    expect(world.cloud.events.published('Image Rejected')).toEqual([]);
  });

  it('re-emits only Image Inspection Completed for a passing verdict left for a person', async () => {
    // Arrange
    const world = await createWorld(['golden-ubuntu']);
    const image = await seedImage(world, { family: 'golden-ubuntu' });
    const request = requestFor(image);
    const { instanceId } = await startInspection(request, world.deps);
    world.cloud.events.failNext();
    await expect(recordVerdict({ request, instanceId, tests: [] }, world.deps)).rejects.toThrow();

    // Act
    const retried = await recordVerdict({ request, instanceId, tests: [] }, world.deps);

    // Assert
    expect(retried).toMatchObject({ verdict: 'pass', state: 'inspecting' });
    expect(world.cloud.events.published().map((e) => e.detailType)).toEqual(['Image Inspection Completed']);
    const recorded = (await world.catalog.listAudit(image.family, image.version)).items.filter(
      (r) => r.action === 'inspection-recorded',
    );
    expect(recorded).toHaveLength(1);
  });
  it('answers the stored outcome when a concurrent attempt of the step moved the image first', async () => {
    // Arrange: a retry started while the first attempt still ran.
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);
    const { instanceId } = await startInspection(request, world.deps);

    // Act
    const results = await Promise.all([
      recordVerdict({ request, instanceId, tests: [] }, world.deps),
      recordVerdict({ request, instanceId, tests: [] }, world.deps),
    ]);

    // Assert
    expect(results.map((r) => r.state)).toEqual(['approved', 'approved']);
    const keys = world.cloud.events.published().map((e) => e.detail.idempotencyKey);
    expect(new Set(keys)).toEqual(
      new Set([
        `image-inspection-completed:${request.inspectionId}`,
        `image-approved:${image.family}@${image.version}`,
      ]),
    );
  });
});

describe('a re-inspection of a published image', () => {
  it('keeps the image published, records its findings, and flags it vulnerable once with Image Vulnerable', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world, { state: 'published' });

    // Act
    const { verdict } = await inspectThrough(world, requestFor(image, 'reinspection'), (instanceId) =>
      world.cloud.findings.addFinding({
        instanceId,
        cve: CRITICAL_CVE,
        severity: 'CRITICAL',
        fixAvailable: true,
      }),
    );

    // Assert
    expect(verdict).toMatchObject({ verdict: 'fail', state: 'published', vulnerable: true });
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'published',
      vulnerable: true,
      findings: expect.objectContaining({ CRITICAL: 1 }),
    });
    const vulnerable = world.cloud.events.published('Image Vulnerable');
    expect(vulnerable).toHaveLength(1);
    expect(vulnerable[0]!.detail.findings).toEqual([
      expect.objectContaining({ vulnerabilityId: CRITICAL_CVE, severity: 'CRITICAL' }),
    ]);
    expect(world.cloud.events.published('Image Inspection Completed')[0]!.detail).toMatchObject({
      purpose: 'reinspection',
      verdict: 'fail',
    });
    expect(world.cloud.events.published('Image Rejected')).toHaveLength(0);
  });

  it('re-emits its stored verdict on retry instead of judging again, with one audit record', async () => {
    // Arrange: the first attempt passes and stores it, and its publish fails.
    const world = await createWorld();
    const image = await seedImage(world, { state: 'published' });
    const request = requestFor(image, 'reinspection');
    const { instanceId } = await startInspection(request, world.deps);
    world.cloud.events.failNext();
    await expect(recordVerdict({ request, instanceId, tests: [] }, world.deps)).rejects.toThrow();
    // Meanwhile Inspector reports a CRITICAL finding: judged again, the verdict would now be fail.
    world.cloud.findings.addFinding({
      instanceId,
      cve: CRITICAL_CVE,
      severity: 'CRITICAL',
      fixAvailable: true,
    });

    // Act
    const retried = await recordVerdict({ request, instanceId, tests: [] }, world.deps);

    // Assert
    expect(retried).toMatchObject({ verdict: 'pass', state: 'published', vulnerable: false });
    expect(world.cloud.events.published('Image Inspection Completed').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        purpose: 'reinspection',
        verdict: 'pass',
        idempotencyKey: `image-inspection-completed:${request.inspectionId}`,
      }),
    ]);
    expect(world.cloud.events.published('Image Vulnerable')).toEqual([]);
    const audit = (await world.catalog.listAudit(image.family, image.version)).items;
    expect(audit.filter((r) => r.action === 'reinspected')).toHaveLength(1);
  });
});
