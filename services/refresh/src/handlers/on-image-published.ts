import { imagePublished } from '@ami-lifecycle/contracts';
import {
  createHandlerWithoutIdempotency,
  eventBridgeEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { onImagePublished } from '../use-cases/refresh';
import { deps } from '../wiring';

/** `Image Published` on our bus: rebuild the families that build on the channels it was published on. */
export const handler = createHandlerWithoutIdempotency({
  name: 'refresh-on-published',
  refusedEventsTo: sqsDeadLetters(),
  event: eventBridgeEventSchema.extend({
    source: z.literal(imagePublished.source),
    'detail-type': z.literal(imagePublished.detailType),
    detail: imagePublished.schema,
  }),
  useCase: (event) => onImagePublished(event.detail, deps),
});
