import { createHandler } from '@ami-lifecycle/lambda-kit';
import { writeParameters } from '../use-cases/write-parameters';
import { asStep, deps } from '../wiring';
import { parametersStepSchema } from './schemas';

/** Step `WriteParameters`: each channel's SSM parameter in each region written and read back. */
export const handler = asStep(
  'WriteParameters',
  createHandler({
    name: 'publish-parameters',
    event: parametersStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => writeParameters(input, deps),
  }),
);
