import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { recordPublicationFailure } from '../use-cases/record-failure';
import { catalog } from '../wiring/catalog';
import { home } from '../wiring/home';
import { regions } from '../wiring/regions';
import { recordFailureStepSchema } from './schemas';

/** Step `RecordPublicationFailure`: why the publication stopped, on the image's audit trail. */
export const handler = asStep(
  'RecordPublicationFailure',
  createHandlerWithoutIdempotency({
    name: 'publish-record-failure',
    event: recordFailureStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => recordPublicationFailure(input, { ...home, catalog: catalog(), regions }),
  }),
);
