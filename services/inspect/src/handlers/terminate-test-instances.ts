import { createHandler } from '@ami-lifecycle/lambda-kit';
import { terminateTestInstances } from '../use-cases/terminate-test-instances';
import { asStep, deps } from '../wiring';
import { terminateStepSchema } from './schemas';

/** Steps `TerminateTestInstance` and `TerminateAfterFailure`: every test instance of the inspection. */
export const handler = asStep(
  'TerminateTestInstance',
  createHandler({
    name: 'inspect-terminate',
    event: terminateStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => terminateTestInstances(input.request, deps),
  }),
);
