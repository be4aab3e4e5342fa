import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { checkCopies } from '../use-cases/copy-to-regions';
import { catalog } from '../wiring/catalog';
import { regions } from '../wiring/regions';
import { checkCopiesStepSchema } from './schemas';

/** Step `CheckCopies`: one look at every copy; bounded by the plan's maxCopyChecks. */
export const handler = asStep(
  'CheckCopies',
  createHandlerWithoutIdempotency({
    name: 'publish-check-copies',
    event: checkCopiesStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => checkCopies(input, { catalog: catalog(), regions }),
  }),
);
