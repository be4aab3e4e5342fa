import { imageInspectionCompleted } from '@ami-lifecycle/contracts';
import { failStuckInspections } from '../src/use-cases/fail-stuck-inspections';
import { createWorld, exampleFamilies, seedImage, type World } from './support/world';

// golden-al2023 of the example: scan timeout 45 min, longest test 600 s (the default), one-hour margin.
const inspect = exampleFamilies()['golden-al2023']!.inspect;
const LIMIT_MINUTES =
  inspect.scanTimeoutMinutes + Math.max(...inspect.tests.map((t) => t.timeoutSeconds)) / 60 + 60;

/** A seeded image moved to `inspecting` now, as the start step does. */
const inspecting = async (world: World, patch: { verdict?: 'pass' } = {}) => {
  const image = await seedImage(world);
  return world.catalog.transitionImage({
    family: image.family,
    version: image.version,
    from: 'built',
    to: 'inspecting',
    expectedStateVersion: image.stateVersion,
    at: world.cloud.clock.now().toISOString(),
    audit: { actor: 'test', reason: 'inspection started', correlationId: 'corr-1' },
    ...(patch.verdict ? { patch: { verdict: patch.verdict } } : {}),
  });
};

describe('failStuckInspections', () => {
  it('leaves an inspection alone while it may still be running, and fails it with the reason after', async () => {
    const world = await createWorld(['golden-al2023']);
    const image = await inspecting(world);

    world.cloud.advance((LIMIT_MINUTES - 1) * 60);
    expect((await failStuckInspections(world.deps)).failed).toEqual([]);
    world.cloud.advance(2 * 60);
    const result = await failStuckInspections(world.deps);

    expect(result.failed).toEqual([
      { image: `golden-al2023@${image.version}`, reason: expect.stringContaining('no verdict') },
    ]);
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'failed',
      reason: result.failed[0]!.reason,
    });
    const [event] = world.cloud.events.published('Image Inspection Completed');
    expect(imageInspectionCompleted.schema.parse(event!.detail)).toMatchObject({
      verdict: 'fail',
      purpose: 'candidate',
      correlationId: 'corr-1',
      reasons: [result.failed[0]!.reason],
    });
  });

  it('never touches an image whose verdict is recorded and waits for a person', async () => {
    const world = await createWorld(['golden-al2023']);
    const image = await inspecting(world, { verdict: 'pass' });
    world.cloud.advance(30 * 86_400);

    expect((await failStuckInspections(world.deps)).failed).toEqual([]);
    expect((await world.catalog.getImage(image.family, image.version))?.state).toBe('inspecting');
    expect(world.cloud.events.published()).toEqual([]);
  });

  it('runs again without a second outcome', async () => {
    const world = await createWorld(['golden-al2023']);
    await inspecting(world);
    world.cloud.advance((LIMIT_MINUTES + 1) * 60);

    await failStuckInspections(world.deps);
    const again = await failStuckInspections(world.deps);

    expect(again.failed).toEqual([]);
    expect(world.cloud.events.published('Image Inspection Completed')).toHaveLength(1);
  });
});
