import { buildRequested, envelopeSchema } from '@ami-lifecycle/contracts';
import { createHandlerWithoutIdempotency, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { requestBuild } from '../use-cases/request-build';
import { catalog } from '../wiring/catalog';
import { executions } from '../wiring/executions';

/**
 * `Build Requested` on our bus -> one execution of the build state machine. The rule matches the
 * detail-type; the schema holds the detail to its versioned contract, so a malformed request, or one for a
 * family without a config, is kept in the dead-letter queue at once instead of failing inside the machine.
 */
export const handler = createHandlerWithoutIdempotency({
  name: 'request-build',
  refusedEventsTo: sqsDeadLetters(),
  event: envelopeSchema.extend({
    'detail-type': z.literal(buildRequested.detailType),
    detail: buildRequested.schema,
  }),
  useCase: (event) => requestBuild(event.detail, { executions: executions(), catalog: catalog() }),
});
