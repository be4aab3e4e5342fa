import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import {
  catalogImage,
  executionArnOf,
  goldenAl2023,
  type InspectCloud,
  imageBuiltOf,
  ingested,
  inspectionIdOf,
  makeAmis,
  putImageBuilt,
  startInspectCloud,
  storeFamily,
  testInstances,
  VERSION,
} from './support/inspect-cloud';

/**
 * Inspections that cannot complete. This cloud's Inspector2 takes ten days to scan, far beyond the
 * family's 10-minute scan timeout, so no test instance is ever scanned. Its own file, because handler
 * modules (and their clients) are loaded once per test file and point at the cloud that loaded them.
 */
describe('inspections that cannot complete', () => {
  let world: InspectCloud;
  const family = `i${Date.now().toString(36)}-unscanned`;

  beforeAll(async () => {
    world = await startInspectCloud({
      dynamoDbEndpoint: dynamoDbEndpoint(),
      inspector2: { scanDelaySeconds: 10 * 86_400 },
    });
    const golden = goldenAl2023();
    await storeFamily(world, family, { ...golden, inspect: { ...golden.inspect, scanTimeoutMinutes: 10 } });
  }, 180_000);
  afterAll(() => world?.cloud.stop());

  it('waits for a scan that never comes within its bound, then fails the image with the reason and leaves no instance running', async () => {
    // Arrange
    const [amiId] = await makeAmis(world, [{ family, commands: [] }]);
    const image = await catalogImage(world, family, amiId!);
    const detail = imageBuiltOf(world, image);
    const startedAt = world.cloud.clock.now().getTime();

    // Act
    await putImageBuilt(world, detail);
    await world.cloud.clock.advance(0);
    const execution = await world.cloud.services.sfn.waitForExecution(
      executionArnOf(world, inspectionIdOf(detail)),
      { maxAdvanceSeconds: 3600 },
    );

    // Assert
    expect(execution.status).toBe('FAILED');
    const failed = await world.catalog.getImage(family, VERSION);
    expect(failed).toMatchObject({ state: 'failed' });
    expect(failed!.reason).toMatch(
      /^inspection could not complete: ScanTimedOutError: Inspector did not scan test instance i-[0-9a-f]+ within 7 checks \(coverage pending\)$/,
    );
    // The bound: the first look at 4 minutes, then six more a minute apart, and the cleanup.
    expect(world.cloud.clock.now().getTime() - startedAt).toBeLessThan(15 * 60_000);
    const instances = await testInstances(world, inspectionIdOf(detail));
    expect(instances).toHaveLength(1);
    expect(instances.every((i) => i.state !== 'running' && i.state !== 'pending')).toBe(true);
    // The event says how it ended: a failing verdict with the reason, never approvable.
    expect(ingested(world, 'Image Inspection Completed', family)).toEqual([
      expect.objectContaining({
        purpose: 'candidate',
        verdict: 'fail',
        reasons: [expect.stringContaining('ScanTimedOutError: Inspector did not scan')],
      }),
    ]);
  }, 120_000);

  it('fails the image with EC2’s error when the test instance cannot be launched, after the step’s retries', async () => {
    // Arrange
    const version = '2026.03.01.2';
    const [amiId] = await makeAmis(world, [{ family, commands: [], version }]);
    const image = await catalogImage(world, family, amiId!, 'built', version);
    const detail = imageBuiltOf(world, image);
    const fault = (body: object) =>
      fetch(`${world.cloud.endpoint}/_local/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (
        await fault({
          service: 'ec2',
          operation: 'RunInstances',
          errorRate: 1,
          errorCode: 'InsufficientInstanceCapacity',
        })
      ).status,
    ).toBe(200);

    // Act
    await putImageBuilt(world, detail);
    await world.cloud.clock.advance(0);
    const execution = await world.cloud.services.sfn.waitForExecution(
      executionArnOf(world, inspectionIdOf(detail)),
      { maxAdvanceSeconds: 3600 },
    );
    await fault({ clear: true, service: 'ec2' });

    // Assert
    expect(execution.status).toBe('FAILED');
    const failed = await world.catalog.getImage(family, version);
    expect(failed).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('InsufficientInstanceCapacity'),
    });
    expect(await testInstances(world, inspectionIdOf(detail))).toEqual([]);
  }, 120_000);

  it('fails a candidate whose start failed before it left built, instead of leaving it built for good', async () => {
    // Arrange: an image of a family whose config is gone: the start step fails before built -> inspecting.
    const orphan = `${family}-gone`;
    const version = '2026.03.01.3';
    const [amiId] = await makeAmis(world, [{ family: orphan, commands: [], version }]);
    const image = await catalogImage(world, orphan, amiId!, 'built', version);
    const detail = imageBuiltOf(world, image);

    // Act
    await putImageBuilt(world, detail);
    await world.cloud.clock.advance(0);
    const execution = await world.cloud.services.sfn.waitForExecution(
      executionArnOf(world, inspectionIdOf(detail)),
      { maxAdvanceSeconds: 3600 },
    );

    // Assert: not left `built`, where the reconciler's re-publish (same key, same execution name,
    // refused as a duplicate) could never get it inspected.
    expect(execution.status).toBe('FAILED');
    expect(await world.catalog.getImage(orphan, version)).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('FamilyNotConfiguredError'),
    });
  }, 120_000);
});
