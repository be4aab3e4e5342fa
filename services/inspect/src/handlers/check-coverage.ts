import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { checkCoverage } from '../use-cases/check-coverage';
import { compute } from '../wiring/compute';
import { findings } from '../wiring/findings';
import { coverageStepSchema } from './schemas';

/** Step `CheckCoverage`: one bounded look at Inspector's coverage of the test instance. */
export const handler = asStep(
  'CheckCoverage',
  createHandlerWithoutIdempotency({
    name: 'inspect-check-coverage',
    event: coverageStepSchema,
    useCase: (input) => checkCoverage(input, { findings: findings(), compute: compute() }),
  }),
);
