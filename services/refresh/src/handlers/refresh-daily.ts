import {
  createHandlerWithoutIdempotency,
  scheduledEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import { refreshDaily } from '../use-cases/refresh';
import { deps } from '../wiring';

/** The daily schedule: stale bases, and the vulnerable images and parent publications no event brought. */
export const handler = createHandlerWithoutIdempotency({
  name: 'refresh-daily',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: (event) => refreshDaily({ now: new Date(event.time) }, deps),
});
