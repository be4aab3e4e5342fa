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
 * An inspection whose test instance Inspector never scans: this cloud's Inspector2 takes ten days to
 * scan, far beyond the family's 10-minute scan timeout. Its own file, because handler modules (and their
 * clients) are loaded once per test file and point at the cloud that loaded them.
 */
describe('an inspection whose test instance is never scanned', () => {
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

  it('waits within its bound, then fails the image with the reason and leaves no instance running', async () => {
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
    expect(ingested(world, 'Image Inspection Completed', family)).toEqual([]);
  }, 120_000);
});
