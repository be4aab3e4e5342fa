import type { Image } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import type { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { startStage } from './support/stage';

const START = '2026-03-01T09:00:00.000Z';
const GOLDEN = 'golden-al2023';
const HOUR = 3600;
const DAY_MS = 86_400_000;

describe('the daily refresh of a stale base on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    ({ cloud, pipeline } = await startStage('e2e-refresh-stale', [GOLDEN], START, dynamoDbEndpoint()));
  }, 120_000);
  afterAll(() => cloud?.stop());

  it('rebuilds golden-al2023 (maxBaseAgeDays 30) after 31 quiet days, and not before', async () => {
    // Arrange: one published golden image, nothing else happening.
    const { buildId } = await pipeline.requestBuild(GOLDEN, 'stale-golden-1');
    await pipeline.advanceUntil(
      'golden published',
      async () => (await pipeline.imageOfBuild(GOLDEN, buildId))?.state === 'published',
      { maxSeconds: 6 * HOUR, stepSeconds: 60 },
    );
    const golden = (await pipeline.imageOfBuild(GOLDEN, buildId))!;
    const stale = async () =>
      (await pipeline.catalog.listImagesByFamily(GOLDEN, { limit: 100 })).items.find(
        (i) => i.buildReason === 'stale-base',
      );

    // Act: quiet days, six hours at a time.
    let at30: Image | undefined;
    let rebuilt: Image | undefined;
    for (let hours = 0; hours <= 32 * 24 && rebuilt === undefined; hours += 6) {
      await cloud.clock.advance(6 * HOUR);
      const age = cloud.clock.nowMillis() - Date.parse(golden.createdAt);
      if (age < 30 * DAY_MS) at30 = await stale();
      rebuilt = await stale();
    }

    // Assert
    expect(at30).toBeUndefined();
    expect(rebuilt).toBeDefined();
    const age = Date.parse(rebuilt!.createdAt) - Date.parse(golden.createdAt);
    expect(age).toBeGreaterThan(30 * DAY_MS);
    expect(age).toBeLessThanOrEqual(31 * DAY_MS + 6 * HOUR * 1000);
    expect((await pipeline.catalog.listRefreshDecisions(GOLDEN)).items[0]).toMatchObject({
      trigger: 'stale-base',
      outcome: 'requested',
      reason: expect.stringContaining('over the limit of 30'),
    });
  }, 600_000);
});
