import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { runBuildStep } from '../use-cases/run-build-step';
import { catalog } from '../wiring/catalog';
import { commands } from '../wiring/commands';
import { compute } from '../wiring/compute';

/** Build state machine: sends the next component to the builder as one SSM command. */
export const handler = asStep(
  'RunComponent',
  createHandlerWithoutIdempotency({
    name: 'run-component',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) =>
      runBuildStep(progress, { catalog: catalog(), commands: commands(), compute: compute() }),
  }),
);
