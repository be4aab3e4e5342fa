import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { writeParameters } from '../use-cases/write-parameters';
import { catalog } from '../wiring/catalog';
import { home } from '../wiring/home';
import { regions } from '../wiring/regions';
import { parametersStepSchema } from './schemas';

/** Step `WriteParameters`: each channel's SSM parameter in each region written and read back. */
export const handler = asStep(
  'WriteParameters',
  createHandlerWithoutIdempotency({
    name: 'publish-parameters',
    event: parametersStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => writeParameters(input, { ...home, catalog: catalog(), regions }),
  }),
);
