import { createHandler } from '@ami-lifecycle/lambda-kit';
import { checkCopies } from '../use-cases/copy-to-regions';
import { asStep, deps } from '../wiring';
import { checkCopiesStepSchema } from './schemas';

/** Step `CheckCopies`: one look at every copy; bounded by the plan's maxCopyChecks. */
export const handler = asStep(
  'CheckCopies',
  createHandler({
    name: 'publish-check-copies',
    event: checkCopiesStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => checkCopies(input, deps),
  }),
);
