import { diffPlans, imageKey, planRetention } from '@ami-lifecycle/core';
import fc from 'fast-check';
import { planInputArb } from './support/arbitraries';
import { RUNS } from './support/planner-properties';

// Lineage and the diff to the previous plan; split from planner.property.test.ts so jest's workers share them.
describe('retention planner properties: lineage and diff', () => {
  it('never acts on the parent of an image that stays', () => {
    fc.assert(
      fc.property(planInputArb, (input) => {
        const plan = planRetention(input);
        const decision = new Map(plan.decisions.map((d) => [imageKey(d), d.decision]));
        for (const img of input.images) {
          if (!img.parent || img.state === 'retired' || decision.get(imageKey(img)) === 'retire') continue;
          const parentDecision = decision.get(imageKey(img.parent));
          if (parentDecision !== undefined && parentDecision !== 'keep') {
            throw new Error(`${imageKey(img.parent)} planned to ${parentDecision} under ${imageKey(img)}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('diffs account for every image of both plans', () => {
    fc.assert(
      fc.property(planInputArb, planInputArb, (a, b) => {
        const pa = planRetention(a);
        const pb = planRetention({ ...b, previousPlan: pa });
        const { changed, added, removed, unchanged } = pb.diff;
        expect(changed.length + added.length + unchanged).toBe(pb.decisions.length);
        expect(changed.length + removed.length + unchanged).toBe(pa.decisions.length);
        expect(diffPlans(pa.decisions, pa.decisions)).toEqual({
          changed: [],
          added: [],
          removed: [],
          unchanged: pa.decisions.length,
        });
      }),
      RUNS,
    );
  });
});
