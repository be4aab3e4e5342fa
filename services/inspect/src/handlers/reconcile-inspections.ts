import { createHandler, scheduledEventSchema, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import { failStuckInspections } from '../use-cases/fail-stuck-inspections';
import { inspectionLimits, reapTestInstances } from '../use-cases/reap-test-instances';
import { deps } from '../wiring';

/**
 * Hourly repair of what an inspection that ended badly leaves: candidates stuck `inspecting` without a
 * verdict, and test instances no inspection can still own.
 */
export const handler = createHandler({
  name: 'inspect-reconcile',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: async () => {
    // Both repairs bound by the same per-family limits: each family's config is read once per run.
    const limitOf = inspectionLimits(deps);
    return {
      stuck: await failStuckInspections(deps, limitOf),
      reaped: await reapTestInstances(deps, limitOf),
    };
  },
});
