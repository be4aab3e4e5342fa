import { imageApproved } from '@ami-lifecycle/contracts';
import { createHandler, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { requestPublication } from '../use-cases/start-publication';
import { publicationStarter, deps as wired } from '../wiring';

const imageApprovedEvent = EventBridgeSchema.extend({
  source: z.literal(imageApproved.source),
  'detail-type': z.literal(imageApproved.detailType),
  detail: imageApproved.schema,
});

const deps = { ...wired, publications: publicationStarter() };

/**
 * `Image Approved` on our bus: start the publish state machine, one execution per event (named by its
 * idempotency key), however often EventBridge delivers it.
 */
export const handler = createHandler({
  name: 'publish-request',
  refusedEventsTo: sqsDeadLetters(),
  event: imageApprovedEvent,
  useCase: (event) => requestPublication(event.detail, deps),
});
