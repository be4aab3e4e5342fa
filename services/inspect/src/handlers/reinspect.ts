import { createHandler } from '@ami-lifecycle/lambda-kit';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { reinspectDue } from '../use-cases/reinspect';
import { inspectionStarter, deps as wired } from '../wiring';

const scheduledEvent = EventBridgeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

const deps = { ...wired, inspections: inspectionStarter() };

/** The daily schedule: re-inspect the published images that are due; the event's time is "now". */
export const handler = createHandler({
  name: 'inspect-reinspect',
  event: scheduledEvent,
  correlationIdPath: 'id',
  useCase: (event) => reinspectDue({ now: new Date(event.time) }, deps),
});
