import { createHandler } from '@ami-lifecycle/lambda-kit';
import { recordPublicationFailure } from '../use-cases/record-failure';
import { asStep, deps } from '../wiring';
import { recordFailureStepSchema } from './schemas';

/** Step `RecordPublicationFailure`: why the publication stopped, on the image's audit trail. */
export const handler = asStep(
  'RecordPublicationFailure',
  createHandler({
    name: 'publish-record-failure',
    event: recordFailureStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => recordPublicationFailure(input, deps),
  }),
);
