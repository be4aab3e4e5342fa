import { createHandler } from '@ami-lifecycle/lambda-kit';
import { recordFailure } from '../use-cases/record-failure';
import { asStep, deps } from '../wiring';
import { recordFailureStepSchema } from './schemas';

/** Step `RecordFailure`: the candidate becomes `failed` with the reason the Catch carried. */
export const handler = asStep(
  'RecordFailure',
  createHandler({
    name: 'inspect-record-failure',
    event: recordFailureStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: ({ request, failure }) =>
      recordFailure({ request, failure: { error: failure.Error, cause: failure.Cause } }, deps),
  }),
);
