import { imageVulnerable } from '@ami-lifecycle/contracts';
import { createHandler, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { onImageVulnerable } from '../use-cases/refresh';
import { deps } from '../wiring';

/** `Image Vulnerable` on our bus: rebuild the image's family once for it, if it is still current. */
export const handler = createHandler({
  name: 'refresh-on-vulnerable',
  refusedEventsTo: sqsDeadLetters(),
  event: EventBridgeSchema.extend({
    source: z.literal(imageVulnerable.source),
    'detail-type': z.literal(imageVulnerable.detailType),
    detail: imageVulnerable.schema,
  }),
  useCase: (event) => onImageVulnerable(event.detail, deps),
});
