import { buildRequested, envelopeSchema } from '@ami-lifecycle/contracts';
import { createHandler } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { requestBuild } from '../use-cases/request-build';
import { buildExecutions } from '../wiring';

/**
 * `Build Requested` on our bus -> one execution of the build state machine. The rule matches the
 * detail-type; the schema holds the detail to its versioned contract, so a malformed request is dropped
 * (and logged) here instead of failing inside the machine.
 */
export const handler = createHandler({
  name: 'request-build',
  event: envelopeSchema.extend({
    'detail-type': z.literal(buildRequested.detailType),
    detail: buildRequested.schema,
  }),
  useCase: (event) => requestBuild(event.detail, { executions: buildExecutions }),
});
