import { createHandler, scheduledEventSchema, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import { reinspectDue } from '../use-cases/reinspect';
import { inspectionStarter, deps as wired } from '../wiring';

const deps = { ...wired, inspections: inspectionStarter() };

/** The daily schedule: re-inspect the published images that are due; the event's time is "now". */
export const handler = createHandler({
  name: 'inspect-reinspect',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: (event) => reinspectDue({ now: new Date(event.time) }, deps),
});
