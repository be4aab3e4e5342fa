import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { copyToRegions } from '../use-cases/copy-to-regions';
import { catalog } from '../wiring/catalog';
import { home } from '../wiring/home';
import { regions } from '../wiring/regions';
import { copyStepSchema } from './schemas';

/** Step `CopyToRegions`: CopyImage into every region of the plan that has no copy yet, recorded on the image. */
export const handler = asStep(
  'CopyToRegions',
  createHandlerWithoutIdempotency({
    name: 'publish-copy',
    event: copyStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => copyToRegions(input, { ...home, catalog: catalog(), regions }),
  }),
);
