import { createHandler, scheduledEventSchema, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import { reconcileBuilds } from '../use-cases/reconcile';
import { buildDeps } from '../wiring';

/** The build service's scheduled repair: lost AMI state changes, stuck builds, orphaned builders. */
export const handler = createHandler({
  name: 'reconcile-builds',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: () => reconcileBuilds(buildDeps),
});
