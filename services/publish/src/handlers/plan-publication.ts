import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { planPublication } from '../use-cases/plan-publication';
import { catalog } from '../wiring/catalog';
import { home } from '../wiring/home';
import { planStepSchema } from './schemas';

/** Step `PlanPublication`: the image is still approved; the plan (regions, keys, grants, parameters) from the family's config. */
export const handler = asStep(
  'PlanPublication',
  createHandlerWithoutIdempotency({
    name: 'publish-plan',
    event: planStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => planPublication(input, { ...home, catalog: catalog() }),
  }),
);
