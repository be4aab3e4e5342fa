import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { runTests } from '../use-cases/run-tests';
import { catalog } from '../wiring/catalog';
import { commands } from '../wiring/commands';
import { runTestsStepSchema } from './schemas';

/** Step `RunTests`: the family's test commands sent through SSM. */
export const handler = asStep(
  'RunTests',
  createHandlerWithoutIdempotency({
    name: 'inspect-run-tests',
    event: runTestsStepSchema,
    useCase: (input) => runTests(input, { catalog: catalog(), commands: commands() }),
  }),
);
