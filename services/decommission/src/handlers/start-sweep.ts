import {
  createHandlerWithoutIdempotency,
  scheduledEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import { sweepStarter } from '../starter';
import { dailySweepId } from '../use-cases/start-sweep';

const starter = sweepStarter();

/** The daily schedule: one sweep per day (`sweep-<date>`), however often the schedule fires that day. */
export const handler = createHandlerWithoutIdempotency({
  name: 'decommission-start',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: (event) => starter.start({ sweepId: dailySweepId(event.time), dryRun: false }),
});
