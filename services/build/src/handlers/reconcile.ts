import { createHandler } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { reconcileBuilds } from '../use-cases/reconcile';
import { buildDeps } from '../wiring';

/** EventBridge's scheduled event: what the `rate(...)` rule sends; nothing in it steers the run. */
const scheduledEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string().min(1),
});

/** The build service's scheduled repair: lost AMI state changes, stuck builds, orphaned builders. */
export const handler = createHandler({
  name: 'reconcile-builds',
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: () => reconcileBuilds(buildDeps),
});
