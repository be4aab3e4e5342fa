import { imageVulnerable } from '@ami-lifecycle/contracts';
import {
  createHandlerWithoutIdempotency,
  eventBridgeEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { onImageVulnerable } from '../use-cases/refresh';
import { deps } from '../wiring';

/** `Image Vulnerable` on our bus: rebuild the image's family once for it, if it is still current. */
export const handler = createHandlerWithoutIdempotency({
  name: 'refresh-on-vulnerable',
  refusedEventsTo: sqsDeadLetters(),
  event: eventBridgeEventSchema.extend({
    source: z.literal(imageVulnerable.source),
    'detail-type': z.literal(imageVulnerable.detailType),
    detail: imageVulnerable.schema,
  }),
  useCase: (event) => onImageVulnerable(event.detail, deps),
});
