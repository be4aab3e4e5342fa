import { createHandler } from '@ami-lifecycle/lambda-kit';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { failStuckInspections } from '../use-cases/fail-stuck-inspections';
import { reapTestInstances } from '../use-cases/reap-test-instances';
import { deps } from '../wiring';

const scheduledEvent = EventBridgeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

/**
 * Hourly repair of what an inspection that ended badly leaves: candidates stuck `inspecting` without a
 * verdict, and test instances no inspection can still own.
 */
export const handler = createHandler({
  name: 'inspect-reconcile',
  event: scheduledEvent,
  correlationIdPath: 'id',
  useCase: async () => ({
    stuck: await failStuckInspections(deps),
    reaped: await reapTestInstances(deps),
  }),
});
