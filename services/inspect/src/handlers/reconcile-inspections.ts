import {
  createHandlerWithoutIdempotency,
  scheduledEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import { failStuckInspections } from '../use-cases/fail-stuck-inspections';
import { inspectionLimits, reapTestInstances } from '../use-cases/reap-test-instances';
import { catalog } from '../wiring/catalog';
import { compute } from '../wiring/compute';
import { events } from '../wiring/events';
import { home } from '../wiring/home';

/**
 * Hourly repair of what an inspection that ended badly leaves: candidates stuck `inspecting` without a
 * verdict, and test instances no inspection can still own.
 */
export const handler = createHandlerWithoutIdempotency({
  name: 'inspect-reconcile',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: async () => {
    const deps = { ...home, catalog: catalog(), compute: compute(), events: events() };
    // Both repairs bound by the same per-family limits: each family's config is read once per run.
    const limitOf = inspectionLimits(deps);
    return {
      stuck: await failStuckInspections(deps, limitOf),
      reaped: await reapTestInstances(deps, limitOf),
    };
  },
});
