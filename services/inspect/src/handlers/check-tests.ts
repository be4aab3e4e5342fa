import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { checkTests } from '../use-cases/run-tests';
import { commands } from '../wiring/commands';
import { checkTestsStepSchema } from './schemas';

/** Step `CheckTests`: one bounded look at the test invocations. */
export const handler = asStep(
  'CheckTests',
  createHandlerWithoutIdempotency({
    name: 'inspect-check-tests',
    event: checkTestsStepSchema,
    useCase: (input) => checkTests(input, { commands: commands() }),
  }),
);
