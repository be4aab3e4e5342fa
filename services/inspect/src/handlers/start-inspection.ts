import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { startInspection } from '../use-cases/start-inspection';
import { catalog } from '../wiring/catalog';
import { compute } from '../wiring/compute';
import { home } from '../wiring/home';
import { startStepSchema } from './schemas';

/** Step `StartInspection`: candidate to `inspecting`, test instance launched. */
export const handler = asStep(
  'StartInspection',
  createHandlerWithoutIdempotency({
    name: 'inspect-start',
    event: startStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => startInspection(input.request, { ...home, catalog: catalog(), compute: compute() }),
  }),
);
