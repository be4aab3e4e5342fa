import * as z from 'zod';
import { eventBridgeEventSchema } from './eventbridge-event';

/**
 * EventBridge's scheduled event: what a `schedule: rate(...)` rule sends. Nothing in it steers a run but
 * its `time`, which scheduled use cases take as "now" (the local cloud's simulated time when it runs them).
 */
export const scheduledEventSchema = eventBridgeEventSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
