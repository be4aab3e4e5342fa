import { createHandler } from '@ami-lifecycle/lambda-kit';
import { runTests } from '../use-cases/run-tests';
import { asStep, deps } from '../wiring';
import { runTestsStepSchema } from './schemas';

/** Step `RunTests`: the family's test commands sent through SSM. */
export const handler = asStep(
  'RunTests',
  createHandler({
    name: 'inspect-run-tests',
    event: runTestsStepSchema,
    useCase: (input) => runTests(input, deps),
  }),
);
