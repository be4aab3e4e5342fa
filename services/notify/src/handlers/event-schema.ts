import {
  EVENT_SOURCE,
  imageBuildFailed,
  imageInspectionCompleted,
  imagePublished,
  imageRejected,
  imageVulnerable,
  retentionSweepCompleted,
} from '@ami-lifecycle/contracts';
import { eventBridgeEventSchema } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';

const ours = <T extends string, D extends z.ZodType>(detailType: T, detail: D) =>
  eventBridgeEventSchema.extend({
    source: z.literal(EVENT_SOURCE),
    'detail-type': z.literal(detailType),
    detail,
  });

/**
 * The events the notify service tells people about, each checked against its contract (every schema
 * version still accepted): a malformed one is refused into the dead-letter queue and publishes nothing.
 */
export const notifiedEventSchema = z.discriminatedUnion('detail-type', [
  ours(imageInspectionCompleted.detailType, imageInspectionCompleted.schema),
  ours(imageRejected.detailType, imageRejected.schema),
  ours(imageBuildFailed.detailType, imageBuildFailed.schema),
  ours(imageVulnerable.detailType, imageVulnerable.schema),
  ours(imagePublished.detailType, imagePublished.schema),
  ours(
    retentionSweepCompleted.detailType,
    z.union([retentionSweepCompleted.schema, retentionSweepCompleted.schemaV1]),
  ),
]);
