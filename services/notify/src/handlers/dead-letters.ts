import { createHandler, scheduledEventSchema, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import { checkDeadLetters } from '../use-cases/dead-letters';
import { catalogTable, deadLetterDeps } from '../wiring';

const deps = deadLetterDeps();

/**
 * Hourly: the events dead-letter queue's depth, told to the policy's `dead-letters` recipients when it
 * changed. Idempotent on the scheduled event's id, so a retried run does not tell twice.
 */
export const handler = createHandler({
  name: 'notify-dead-letters',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  idempotency: { tableName: catalogTable, eventKeyJmesPath: 'id' },
  useCase: () => checkDeadLetters(deps),
});
