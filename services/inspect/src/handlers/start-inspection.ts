import { createHandler } from '@ami-lifecycle/lambda-kit';
import { startInspection } from '../use-cases/start-inspection';
import { asStep, deps } from '../wiring';
import { startStepSchema } from './schemas';

/** Step `StartInspection`: candidate to `inspecting`, test instance launched. */
export const handler = asStep(
  'StartInspection',
  createHandler({
    name: 'inspect-start',
    event: startStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => startInspection(input.request, deps),
  }),
);
