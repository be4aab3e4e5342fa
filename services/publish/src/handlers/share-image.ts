import { createHandler } from '@ami-lifecycle/lambda-kit';
import { shareImage } from '../use-cases/share-image';
import { asStep, deps } from '../wiring';
import { shareStepSchema } from './schemas';

/** Step `ShareImage`: launch permissions exactly as the family allows, in every region; never public. */
export const handler = asStep(
  'ShareImage',
  createHandler({
    name: 'publish-share',
    event: shareStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => shareImage(input, deps),
  }),
);
