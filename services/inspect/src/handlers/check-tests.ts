import { createHandler } from '@ami-lifecycle/lambda-kit';
import { checkTests } from '../use-cases/run-tests';
import { asStep, deps } from '../wiring';
import { checkTestsStepSchema } from './schemas';

/** Step `CheckTests`: one bounded look at the test invocations. */
export const handler = asStep(
  'CheckTests',
  createHandler({
    name: 'inspect-check-tests',
    event: checkTestsStepSchema,
    useCase: (input) => checkTests(input, deps),
  }),
);
