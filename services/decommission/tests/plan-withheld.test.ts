import { MemoryEventPublisher } from '@ami-lifecycle/aws/memory';
import { completeSweep, planSweep } from '../src';
import { createWorld, GOLDEN, PAYMENTS, SWEEP } from './support/world';

describe('the first sweep under a new or changed policy only plans', () => {
  it('withholds every action of the very first sweep, then acts on the next under the same policy', async () => {
    // Arrange: two unused old images the policy wants deprecated.
    const world = await createWorld({ afterPolicyChange: 'dry-run' });
    const v1 = await world.addImage(GOLDEN, '2026.01.01.1');
    await world.addImage(GOLDEN, '2026.02.01.1');

    // Act
    const first = await world.plan();
    const second = await world.plan('sweep-2026-06-02');

    // Assert: the decisions are there to read; the actions wait a sweep.
    expect(first.plan.decisions.find((d) => d.version === v1.version)?.decision).toBe('deprecate');
    expect(first.plan.actions).toEqual([]);
    expect(first.batches).toEqual([]);
    expect(first.plan.withheld).toEqual([
      { family: GOLDEN, reason: 'the first sweep under this policy only plans' },
    ]);
    expect(first.plan.policyVersions).toEqual({ organization: 1, families: { [GOLDEN]: 1 } });
    expect(second.plan.actions.map((a) => a.version)).toEqual([v1.version]);
    expect(second.plan.withheld).toBeUndefined();
  });

  it('withholds only the family whose policy changed, and says from which version to which', async () => {
    // Arrange: a sweep under the current policies; then payments-api's config changes.
    const world = await createWorld({
      afterPolicyChange: 'dry-run',
      families: { [GOLDEN]: {}, [PAYMENTS]: {} },
    });
    await world.addImage(GOLDEN, '2026.01.01.1');
    await world.addImage(GOLDEN, '2026.02.01.1');
    await world.addImage(PAYMENTS, '1.0.0');
    await world.addImage(PAYMENTS, '1.1.0');
    await world.plan();
    const current = (await world.catalog.getFamilyConfig(PAYMENTS))!;
    await world.catalog.putFamilyConfig(
      PAYMENTS,
      { ...(current.config as object), description: 'changed' },
      { expectedCurrent: current.version, at: '2026-06-01T12:00:00Z', by: 'test' },
    );

    // Act
    const { plan } = await world.plan('sweep-2026-06-02');

    // Assert
    expect(plan.withheld).toEqual([
      { family: PAYMENTS, reason: 'its policy changed (version 1 -> 2); this sweep only plans' },
    ]);
    expect(plan.actions.map((a) => a.family)).toEqual([GOLDEN]);
  });

  it('withholds every family when the organisation’s policy changed, and the sweep says it was a dry run for them', async () => {
    // Arrange
    const world = await createWorld({ afterPolicyChange: 'dry-run' });
    await world.addImage(GOLDEN, '2026.01.01.1');
    await world.addImage(GOLDEN, '2026.02.01.1');
    await world.plan();

    // Act: the next sweep under version 2 of the organisation's config.
    const { plan } = await planSweep(
      { sweepId: 'sweep-2026-06-02', dryRun: false },
      { ...world.settings, version: 2 },
      world.deps,
    );
    const events = new MemoryEventPublisher({ clock: world.clock });
    await completeSweep({ sweepId: plan.sweepId, dryRun: false, applied: [] }, { ...world.deps, events });

    // Assert
    expect(plan.actions).toEqual([]);
    expect(plan.withheld).toEqual([
      { family: GOLDEN, reason: "the organisation's policy changed (version 1 -> 2); this sweep only plans" },
    ]);
    expect(events.published('Retention Sweep Completed').map((e) => e.detail)).toEqual([
      expect.objectContaining({ family: GOLDEN, dryRun: true }),
    ]);
  });

  it('acts at once when the policy says so', async () => {
    // Arrange
    const world = await createWorld({ afterPolicyChange: 'apply' });
    const v1 = await world.addImage(GOLDEN, '2026.01.01.1');
    await world.addImage(GOLDEN, '2026.02.01.1');

    // Act
    const { plan } = await world.plan();

    // Assert
    expect(plan.actions.map((a) => a.version)).toEqual([v1.version]);
    expect(plan.withheld).toBeUndefined();
    expect(SWEEP).toBe(plan.sweepId);
  });
});
