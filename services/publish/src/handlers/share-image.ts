import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { shareImage } from '../use-cases/share-image';
import { catalog } from '../wiring/catalog';
import { home } from '../wiring/home';
import { regions } from '../wiring/regions';
import { shareStepSchema } from './schemas';

/** Step `ShareImage`: launch permissions exactly as the family allows, in every region; never public. */
export const handler = asStep(
  'ShareImage',
  createHandlerWithoutIdempotency({
    name: 'publish-share',
    event: shareStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => shareImage(input, { ...home, catalog: catalog(), regions }),
  }),
);
