import { planRetention } from '@ami-lifecycle/core';
import fc from 'fast-check';
import { planInputArb } from './support/arbitraries';
import { RUNS, shuffleWith } from './support/planner-properties';

// The guards and order independence; split from planner.property.test.ts so jest's workers share them.
describe('retention planner properties: guards and order', () => {
  it('acts only within the guards, and not at all when one trips', () => {
    fc.assert(
      fc.property(planInputArb, (input) => {
        const plan = planRetention(input);
        if (plan.guard.status === 'tripped') {
          expect(plan.actions).toEqual([]);
          expect(plan.guard.reasons.length).toBeGreaterThan(0);
          return;
        }
        const ageMin = (input.now.getTime() - input.inventoryAt.getTime()) / 60_000;
        expect(ageMin).toBeLessThanOrEqual(input.guards.maxInventoryAgeMinutes);
        const retires = plan.actions.filter((a) => a.decision === 'retire');
        expect(retires.length).toBeLessThanOrEqual(input.guards.maxRetirementsPerRun);
        for (const f of input.families) {
          expect(retires.filter((r) => r.family === f.name).length).toBeLessThanOrEqual(
            f.retention.maxRetirementsPerRun,
          );
        }
        expect(plan.actions).toEqual(plan.decisions.filter((d) => d.decision !== 'keep'));
      }),
      RUNS,
    );
  });

  it('gives the same plan whatever the order of its inputs', () => {
    fc.assert(
      fc.property(planInputArb, fc.integer(), (input, seed) => {
        const shuffle = shuffleWith(seed);
        const a = planRetention(input);
        const b = planRetention({
          ...input,
          images: shuffle(input.images),
          usage: shuffle(input.usage),
          holds: shuffle(input.holds),
        });
        // Serialised comparison: the plans are plain JSON, and this keeps 10,000 cases quick.
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      RUNS,
    );
  });
});
