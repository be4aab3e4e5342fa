import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { stopBuilder } from '../use-cases/stop-builder';
import { buildDeps } from '../wiring';

/** Build state machine: stops the builder once every component succeeded. */
export const handler = asStep(
  'StopBuilder',
  createHandler({
    name: 'stop-builder',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) => stopBuilder(progress, buildDeps),
  }),
);
