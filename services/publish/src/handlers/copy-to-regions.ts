import { createHandler } from '@ami-lifecycle/lambda-kit';
import { copyToRegions } from '../use-cases/copy-to-regions';
import { asStep, deps } from '../wiring';
import { copyStepSchema } from './schemas';

/** Step `CopyToRegions`: CopyImage into every region of the plan that has no copy yet, recorded on the image. */
export const handler = asStep(
  'CopyToRegions',
  createHandler({
    name: 'publish-copy',
    event: copyStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => copyToRegions(input, deps),
  }),
);
