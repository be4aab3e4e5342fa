import { createHandler } from '@ami-lifecycle/lambda-kit';
import { planPublication } from '../use-cases/plan-publication';
import { asStep, deps } from '../wiring';
import { planStepSchema } from './schemas';

/** Step `PlanPublication`: the image is still approved; the plan (regions, keys, grants, parameters) from the family's config. */
export const handler = asStep(
  'PlanPublication',
  createHandler({
    name: 'publish-plan',
    event: planStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => planPublication(input, deps),
  }),
);
