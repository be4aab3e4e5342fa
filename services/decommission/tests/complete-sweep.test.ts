import type { BatchOutcome } from '@ami-lifecycle/core';
import { applyActions, completeSweep, PlanNotFoundError } from '../src';
import { createWorld, GOLDEN, HOME, NOW, OTHER, PAYMENTS, SWEEP, type World } from './support/world';

/**
 * Two families planned: golden with one image at each stage (v1 to retire, v2 to disable, v3 to deprecate,
 * v4 kept) and payments with one image to deprecate and one kept.
 */
const twoFamilies = async (options: Parameters<typeof createWorld>[0] = {}) => {
  const world = await createWorld({ families: { [GOLDEN]: {}, [PAYMENTS]: {} }, ...options });
  await world.addImage(GOLDEN, '2026.01.01.1', { state: 'disabled' });
  await world.addImage(GOLDEN, '2026.02.01.1', { state: 'deprecated' });
  await world.addImage(GOLDEN, '2026.03.01.1');
  await world.addImage(GOLDEN, '2026.04.01.1');
  await world.addImage(PAYMENTS, '1.0.0');
  await world.addImage(PAYMENTS, '1.1.0');
  return world;
};

const nothing: BatchOutcome = { done: 0, skipped: 0, failed: 0, problems: [], freed: [], byFamily: [] };

/** The sent events, every one of the latest schema version. */
const completed = (world: World) =>
  world.events.published('Retention Sweep Completed').map((e) => {
    if (e.detail.schemaVersion !== 2) throw new Error(`sent as schema version ${e.detail.schemaVersion}`);
    return e.detail;
  });

describe('completeSweep', () => {
  it('sends one Retention Sweep Completed per family of the plan, with that family’s counts', async () => {
    // Arrange
    const world = await twoFamilies();
    const { plan } = await world.plan();
    const { results } = await applyActions({ sweepId: SWEEP, batch: 0 }, world.deps);
    expect(results.map((r) => r.outcome)).toEqual(['done', 'done', 'done', 'done']);

    // Act
    await completeSweep(
      {
        sweepId: SWEEP,
        dryRun: false,
        applied: [
          {
            ...nothing,
            done: 3,
            failed: 1,
            byFamily: [
              { family: GOLDEN, done: 2, skipped: 0, failed: 1 },
              { family: PAYMENTS, done: 1, skipped: 0, failed: 0 },
            ],
          },
        ],
        prices: world.settings.prices,
      },
      world.deps,
    );

    // Assert
    const common = {
      schemaVersion: 2,
      correlationId: SWEEP,
      occurredAt: NOW,
      sweepId: SWEEP,
      dryRun: false,
      inventoryAt: plan.inventoryAt,
      guard: { verdict: 'ok' },
    };
    const events = completed(world);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      ...common,
      family: GOLDEN,
      idempotencyKey: `retention-sweep-completed:${SWEEP}:${GOLDEN}`,
      counts: { keep: 1, deprecate: 1, disable: 1, retire: 1 },
      // What the operator must look at: one of the family's actions failed.
      actions: { done: 2, skipped: 0, failed: 1 },
    });
    expect(events[1]).toMatchObject({
      ...common,
      family: PAYMENTS,
      idempotencyKey: `retention-sweep-completed:${SWEEP}:${PAYMENTS}`,
      counts: { keep: 1, deprecate: 1, disable: 0, retire: 0 },
      actions: { done: 1, skipped: 0, failed: 0 },
    });
  });

  it('says a dry run was one, and that the guard tripped and why', async () => {
    // Arrange: one retirement due, and neither the organisation nor the family allows any.
    const world = await createWorld({
      families: { [GOLDEN]: { maxRetirementsPerRun: 0 } },
      guards: { maxRetirementsPerRun: 0 },
    });
    await world.addImage(GOLDEN, '2026.01.01.1', { state: 'disabled' });
    await world.addImage(GOLDEN, '2026.02.01.1');
    const { plan } = await world.plan(SWEEP, { dryRun: true });

    // Act
    const outcome = await completeSweep({ sweepId: SWEEP, dryRun: true, applied: [] }, world.deps);

    // Assert
    const reasons = [
      '1 retirements exceed the per-run limit of 0',
      '1 retirements in golden-al2023 exceed its limit of 0',
    ];
    expect(plan.guard).toEqual({ status: 'tripped', reasons });
    expect(completed(world)).toEqual([
      expect.objectContaining({
        family: GOLDEN,
        dryRun: true,
        counts: { keep: 1, deprecate: 0, disable: 0, retire: 1 },
        guard: { verdict: 'tripped', reason: reasons.join('; ') },
      }),
    ]);
    expect(outcome).toMatchObject({ dryRun: true, guard: plan.guard, done: 0, skipped: 0, failed: 0 });
  });

  it('answers the plan’s counts and the batches’ outcomes summed, with their problems', async () => {
    // Arrange
    const world = await twoFamilies();
    const { plan } = await world.plan();
    const applied: BatchOutcome[] = [
      { ...nothing, done: 18, skipped: 1, failed: 1, problems: ['a skipped', 'a failed'] },
      { ...nothing, done: 3, skipped: 0, failed: 2, problems: ['b failed', 'c failed'] },
    ];

    // Act
    const outcome = await completeSweep({ sweepId: SWEEP, dryRun: false, applied }, world.deps);

    // Assert
    expect(outcome).toMatchObject({
      sweepId: SWEEP,
      dryRun: false,
      guard: { status: 'ok', reasons: [] },
      planned: plan.summary,
      done: 21,
      skipped: 1,
      failed: 3,
      problems: ['a skipped', 'a failed', 'b failed', 'c failed'],
    });
    expect(plan.summary).toEqual({ keep: 2, deprecate: 2, disable: 1, retire: 1 });
  });

  it('reports the snapshot GiB each family’s retirements freed and what they cost a month at the policy’s prices', async () => {
    // Arrange: the example prices eu-west-1 at 0.05 and eu-central-1 at 0.054; a region it does not name costs 0.05.
    const world = await twoFamilies();
    await world.plan();
    const applied: BatchOutcome[] = [
      {
        ...nothing,
        done: 1,
        freed: [
          { family: GOLDEN, region: HOME, gib: 10 },
          { family: GOLDEN, region: OTHER, gib: 10 },
        ],
      },
      { ...nothing, done: 1, freed: [{ family: PAYMENTS, region: 'us-east-1', gib: 4 }] },
    ];

    // Act
    await completeSweep(
      { sweepId: SWEEP, dryRun: false, applied, prices: world.settings.prices },
      world.deps,
    );

    // Assert
    expect(
      completed(world).map((d) => [d.family, d.snapshotGiBFreed, d.monthlyStorageCostSaved.amount]),
    ).toEqual([
      [GOLDEN, 20, 1.04],
      [PAYMENTS, 4, 0.2],
    ]);
  });

  it('answers PlanNotFoundError for a sweep that has no plan, and sends nothing', async () => {
    // Arrange
    const world = await createWorld();

    // Act
    const completing = completeSweep({ sweepId: 'sweep-none', dryRun: false, applied: [] }, world.deps);

    // Assert
    await expect(completing).rejects.toBeInstanceOf(PlanNotFoundError);
    expect(completed(world)).toEqual([]);
  });
});
