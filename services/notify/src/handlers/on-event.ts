import { createHandler, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import { notifyOnEvent } from '../use-cases/on-event';
import { catalogTable, eventDeps } from '../wiring';
import { notifiedEventSchema } from './event-schema';

const deps = eventDeps();

/**
 * An outcome on our bus (inspection completed, rejected, build failed, vulnerable, published, sweep
 * completed): one message to whom the policy names. Idempotent on the detail-type and the event's
 * idempotency key (records in the catalog table), so a redelivery, or the producer's re-emission under the
 * same key, sends nothing more.
 */
export const handler = createHandler({
  name: 'notify-on-event',
  refusedEventsTo: sqsDeadLetters(),
  event: notifiedEventSchema,
  idempotency: { tableName: catalogTable, eventKeyJmesPath: '["detail-type", detail.idempotencyKey]' },
  useCase: (event) => notifyOnEvent(event, deps),
});
