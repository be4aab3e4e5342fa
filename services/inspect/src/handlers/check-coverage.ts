import { createHandler } from '@ami-lifecycle/lambda-kit';
import { checkCoverage } from '../use-cases/check-coverage';
import { asStep, deps } from '../wiring';
import { coverageStepSchema } from './schemas';

/** Step `CheckCoverage`: one bounded look at Inspector's coverage of the test instance. */
export const handler = asStep(
  'CheckCoverage',
  createHandler({
    name: 'inspect-check-coverage',
    event: coverageStepSchema,
    useCase: (input) => checkCoverage(input, deps),
  }),
);
