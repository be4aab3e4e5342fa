import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { recordFailure } from '../use-cases/record-failure';
import { catalog } from '../wiring/catalog';
import { events } from '../wiring/events';
import { home } from '../wiring/home';
import { recordFailureStepSchema } from './schemas';

/** Step `RecordFailure`: the candidate becomes `failed` with the reason the Catch carried. */
export const handler = asStep(
  'RecordFailure',
  createHandlerWithoutIdempotency({
    name: 'inspect-record-failure',
    event: recordFailureStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: ({ request, failure }) =>
      recordFailure(
        { request, failure: { error: failure.Error, cause: failure.Cause } },
        { ...home, catalog: catalog(), events: events() },
      ),
  }),
);
