import { diffPlans, imageKey, planRetention } from '@ami-lifecycle/core';
import fc from 'fast-check';
import { planInputArb } from './support/arbitraries';
import { RUNS, shuffleWith } from './support/planner-properties';

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

  it('diffs as diffPlans does, against a previous plan shuffled, trimmed and naming images twice', () => {
    // The planner diffs through its own indexes; diffPlans is the plain reference it must agree with,
    // entries and order, including a previous plan that names an image twice (the last decision speaks).
    fc.assert(
      fc.property(
        planInputArb,
        planInputArb,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer(),
        (a, b, repeats, seed) => {
          const pa = planRetention(a);
          const decisions = shuffleWith(seed)(pa.decisions).slice(0, Math.max(0, pa.decisions.length - 1));
          for (const i of repeats) {
            const again = decisions[i % Math.max(1, decisions.length)];
            if (again !== undefined) decisions.push({ ...again, decision: 'keep' as const });
          }
          const previous = { ...pa, decisions };
          const pb = planRetention({ ...b, previousPlan: previous });
          expect(pb.diff).toEqual(diffPlans(previous.decisions, pb.decisions));
        },
      ),
      // Three plans a case: 2,000 cases hold this file's worker as long as the others hold theirs.
      { numRuns: 2_000 },
    );
  });
});
