import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { stopBuilder } from '../use-cases/stop-builder';
import { catalog } from '../wiring/catalog';
import { compute } from '../wiring/compute';

/** Build state machine: stops the builder once every component succeeded. */
export const handler = asStep(
  'StopBuilder',
  createHandlerWithoutIdempotency({
    name: 'stop-builder',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) => stopBuilder(progress, { catalog: catalog(), compute: compute() }),
  }),
);
