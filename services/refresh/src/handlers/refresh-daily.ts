import { createHandler } from '@ami-lifecycle/lambda-kit';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { refreshDaily } from '../use-cases/refresh';
import { deps } from '../wiring';

const scheduledEvent = EventBridgeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

/** The daily schedule: stale bases, and the vulnerable images and parent publications no event brought. */
export const handler = createHandler({
  name: 'refresh-daily',
  event: scheduledEvent,
  correlationIdPath: 'id',
  useCase: (event) => refreshDaily({ now: new Date(event.time) }, deps),
});
