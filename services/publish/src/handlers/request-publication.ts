import { imageApproved } from '@ami-lifecycle/contracts';
import {
  createHandlerWithoutIdempotency,
  eventBridgeEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { requestPublication } from '../use-cases/start-publication';
import { catalog } from '../wiring/catalog';
import { env } from '../wiring/env';
import { publicationStarter } from '../wiring/starter';

const imageApprovedEvent = eventBridgeEventSchema.extend({
  source: z.literal(imageApproved.source),
  'detail-type': z.literal(imageApproved.detailType),
  detail: imageApproved.schema,
});

const publications = publicationStarter();

/**
 * `Image Approved` on our bus: start the publish state machine, one execution per event (named by its
 * idempotency key), however often EventBridge delivers it.
 */
export const handler = createHandlerWithoutIdempotency({
  name: 'publish-request',
  refusedEventsTo: sqsDeadLetters(),
  event: imageApprovedEvent,
  useCase: (event) =>
    requestPublication(event.detail, { catalog: catalog(), region: env.AWS_REGION, publications }),
});
