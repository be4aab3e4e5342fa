import { imageBuilt } from '@ami-lifecycle/contracts';
import { createHandler, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { requestInspection } from '../use-cases/request-inspection';
import { inspectionStarter, deps as wired } from '../wiring';

const imageBuiltEvent = EventBridgeSchema.extend({
  source: z.literal(imageBuilt.source),
  'detail-type': z.literal(imageBuilt.detailType),
  detail: imageBuilt.schema,
});

const deps = { ...wired, inspections: inspectionStarter() };

/**
 * `Image Built` on our bus: start the inspect state machine, one execution per event (named by its
 * idempotency key), however often EventBridge delivers it.
 */
export const handler = createHandler({
  name: 'inspect-request',
  refusedEventsTo: sqsDeadLetters(),
  event: imageBuiltEvent,
  useCase: (event) => requestInspection(event.detail, deps),
});
