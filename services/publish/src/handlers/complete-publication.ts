import { createHandler } from '@ami-lifecycle/lambda-kit';
import { completePublication } from '../use-cases/complete-publication';
import { asStep, deps } from '../wiring';
import { completeStepSchema } from './schemas';

/** Step `CompletePublication`: approved -> published with the channels moved, then Image Published. */
export const handler = asStep(
  'CompletePublication',
  createHandler({
    name: 'publish-complete',
    event: completeStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => completePublication(input, deps),
  }),
);
