import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { checkBuilder } from '../use-cases/check-builder';
import { buildDeps } from '../wiring';

/** Build state machine, boot and stop waits: one look at the builder's EC2 state. */
export const handler = asStep(
  'CheckBuilder',
  createHandler({
    name: 'check-builder',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) => checkBuilder(progress, buildDeps),
  }),
);
