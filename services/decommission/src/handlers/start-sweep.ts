import { createHandler, scheduledEventSchema } from '@ami-lifecycle/lambda-kit';
import { startSweep } from '../use-cases/start-sweep';
import { sweepStarter } from '../wiring';

const starter = sweepStarter();

/** The daily schedule: one sweep per day (`sweep-<date>`), however often the schedule fires that day. */
export const handler = createHandler({
  name: 'decommission-start',
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: (event) => startSweep({ sweepId: `sweep-${event.time.slice(0, 10)}`, dryRun: false }, starter),
});
