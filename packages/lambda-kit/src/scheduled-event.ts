import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';

/**
 * EventBridge's scheduled event: what a `schedule: rate(...)` rule sends. Nothing in it steers a run but
 * its `time`, which scheduled use cases take as "now" (the local cloud's simulated time when it runs them).
 */
export const scheduledEventSchema = EventBridgeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
