import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { terminateTestInstances } from '../use-cases/terminate-test-instances';
import { compute } from '../wiring/compute';
import { terminateStepSchema } from './schemas';

/** Steps `TerminateTestInstance` and `TerminateAfterFailure`: every test instance of the inspection. */
export const handler = asStep(
  'TerminateTestInstance',
  createHandlerWithoutIdempotency({
    name: 'inspect-terminate',
    event: terminateStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => terminateTestInstances(input.request, { compute: compute() }),
  }),
);
