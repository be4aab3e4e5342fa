import { applyBatch, finishSweep } from '../src';
import { createWorld, GOLDEN, HOME, OTHER, SWEEP } from './support/world';

describe('applyBatch and the sweep’s last step', () => {
  it('stores each batch’s outcome with the sweep and answers only its counts; the last step reads them into the event', async () => {
    // Arrange: v1 (disabled, 8 GiB per AMI) to retire, v2 (published) to deprecate, v3 kept; v2's
    // deprecation refused by EC2 in one region.
    const world = await createWorld();
    await world.addImage(GOLDEN, '2026.01.01.1', { state: 'disabled' });
    const v2 = await world.addImage(GOLDEN, '2026.02.01.1');
    await world.addImage(GOLDEN, '2026.03.01.1');
    await world.plan();
    const images = world.region(OTHER).images;
    jest.spyOn(images, 'deprecateImage').mockImplementation(async (amiId) => {
      if (amiId === v2.amiIds[OTHER]) throw new Error('UnauthorizedOperation');
    });

    // Act
    const answer = await applyBatch({ sweepId: SWEEP, batch: 0 }, world.deps);
    const outcome = await finishSweep({ sweepId: SWEEP, dryRun: false }, world.settings, world.deps);

    // Assert
    expect(answer).toEqual({ done: 1, skipped: 0, failed: 1 });
    const [stored] = await world.catalog.listBatchOutcomes(SWEEP);
    expect(stored).toMatchObject({
      batch: 0,
      outcome: {
        byFamily: [{ family: GOLDEN, done: 1, skipped: 0, failed: 1 }],
        freed: expect.arrayContaining([
          { family: GOLDEN, region: HOME, gib: 8 },
          { family: GOLDEN, region: OTHER, gib: 8 },
        ]),
        problems: [expect.stringContaining('UnauthorizedOperation')],
      },
    });
    expect(outcome).toMatchObject({ done: 1, failed: 1 });
    expect(world.events.published('Retention Sweep Completed').map((e) => e.detail)).toEqual([
      expect.objectContaining({ actions: { done: 1, skipped: 0, failed: 1 }, snapshotGiBFreed: 16 }),
    ]);
  });
});
