import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { checkBuilder } from '../use-cases/check-builder';
import { compute } from '../wiring/compute';

/** Build state machine, boot and stop waits: one look at the builder's EC2 state. */
export const handler = asStep(
  'CheckBuilder',
  createHandlerWithoutIdempotency({
    name: 'check-builder',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) => checkBuilder(progress, { compute: compute() }),
  }),
);
