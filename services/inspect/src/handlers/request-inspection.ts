import { imageBuilt } from '@ami-lifecycle/contracts';
import {
  createHandlerWithoutIdempotency,
  eventBridgeEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { requestInspection } from '../use-cases/request-inspection';
import { catalog } from '../wiring/catalog';
import { env } from '../wiring/env';
import { inspectionStarter } from '../wiring/starter';

const imageBuiltEvent = eventBridgeEventSchema.extend({
  source: z.literal(imageBuilt.source),
  'detail-type': z.literal(imageBuilt.detailType),
  detail: imageBuilt.schema,
});

const inspections = inspectionStarter();

/**
 * `Image Built` on our bus: start the inspect state machine, one execution per event (named by its
 * idempotency key), however often EventBridge delivers it.
 */
export const handler = createHandlerWithoutIdempotency({
  name: 'inspect-request',
  refusedEventsTo: sqsDeadLetters(),
  event: imageBuiltEvent,
  useCase: (event) =>
    requestInspection(event.detail, { catalog: catalog(), region: env.AWS_REGION, inspections }),
});
