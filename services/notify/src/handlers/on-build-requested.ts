import { buildRequested } from '@ami-lifecycle/contracts';
import {
  createHandlerWithoutIdempotency,
  eventBridgeEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { onBuildRequested } from '../use-cases/subscriptions';
import { subscriptionDeps } from '../wiring';

const deps = subscriptionDeps();

/**
 * `Build Requested` on our bus: a requester of an allowed domain is recorded by the build's correlation id
 * and subscribed at once (no message). Recording and subscribing again change nothing, so no idempotency
 * records are kept.
 */
export const handler = createHandlerWithoutIdempotency({
  name: 'notify-on-build-requested',
  refusedEventsTo: sqsDeadLetters(),
  event: eventBridgeEventSchema.extend({
    source: z.literal(buildRequested.source),
    'detail-type': z.literal(buildRequested.detailType),
    detail: buildRequested.schema,
  }),
  useCase: (event) => onBuildRequested(event.detail, deps),
});
