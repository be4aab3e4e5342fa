import {
  createHandlerWithoutIdempotency,
  scheduledEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import { reinspectDue } from '../use-cases/reinspect';
import { catalog } from '../wiring/catalog';
import { env } from '../wiring/env';
import { inspectionStarter } from '../wiring/starter';

const inspections = inspectionStarter();

/** The daily schedule: re-inspect the published images that are due; the event's time is "now". */
export const handler = createHandlerWithoutIdempotency({
  name: 'inspect-reinspect',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: (event) =>
    reinspectDue({ now: new Date(event.time) }, { catalog: catalog(), region: env.AWS_REGION, inspections }),
});
