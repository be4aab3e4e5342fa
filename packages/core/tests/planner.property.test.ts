import { DECISION_TARGET, imageKey, isLegalTransition, planRetention } from '@ami-lifecycle/core';
import fc from 'fast-check';
import { planInputArb } from './support/arbitraries';
import { protectedBy, RUNS } from './support/planner-properties';

// The never-rules and the stages. The other properties are in planner.lineage-diff.property.test.ts and
// planner.order-guards.property.test.ts: one file for them all would hold a jest worker for all of them.
describe('retention planner properties: never-rules and stages', () => {
  it('never acts on an unmanaged, held, in-use, unknown-usage or channel-target image', () => {
    fc.assert(
      fc.property(planInputArb, (input) => {
        const plan = planRetention(input);
        for (const d of plan.decisions) {
          if (d.decision === 'keep') continue;
          const why = protectedBy(input, imageKey(d));
          if (why) throw new Error(`${imageKey(d)} is ${why} but was planned to ${d.decision}`);
        }
      }),
      RUNS,
    );
  });

  it('moves every image at most one legal stage, with a reason for every decision', () => {
    fc.assert(
      fc.property(planInputArb, (input) => {
        const plan = planRetention(input);
        const live = input.images
          .filter((i) => i.state !== 'retired')
          .map(imageKey)
          .sort();
        const planned = plan.decisions.map(imageKey).sort();
        if (planned.join() !== live.join())
          throw new Error(`planned ${planned} but the live images are ${live}`);
        for (const d of plan.decisions) {
          if (d.reasons.length === 0) throw new Error(`${imageKey(d)} has no reason`);
          if (d.decision !== 'keep' && !isLegalTransition(d.state, DECISION_TARGET[d.decision])) {
            throw new Error(`${imageKey(d)}: ${d.state} cannot ${d.decision}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('keeps the newest retainAtLeast published images of every family', () => {
    fc.assert(
      fc.property(planInputArb, (input) => {
        const plan = planRetention(input);
        for (const family of input.families) {
          const line = plan.decisions.filter(
            (d) => d.family === family.name && ['published', 'deprecated', 'disabled'].includes(d.state),
          );
          // decisions come newest first within a family
          for (const d of line.slice(0, family.retention.retainAtLeast)) {
            if (d.decision !== 'keep')
              throw new Error(`${imageKey(d)} is among the newest but planned to ${d.decision}`);
          }
        }
      }),
      RUNS,
    );
  });
});
