import { createHandler } from '@ami-lifecycle/lambda-kit';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { reapTestInstances } from '../use-cases/reap-test-instances';
import { deps } from '../wiring';

const scheduledEvent = EventBridgeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

/** Hourly: terminate test instances whose inspection can no longer be running (a failed clean-up step). */
export const handler = createHandler({
  name: 'inspect-reap-test-instances',
  event: scheduledEvent,
  correlationIdPath: 'id',
  useCase: () => reapTestInstances(deps),
});
