import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { runBuildStep } from '../use-cases/run-build-step';
import { buildDeps } from '../wiring';

/** Build state machine: sends the next component to the builder as one SSM command. */
export const handler = asStep(
  'RunComponent',
  createHandler({
    name: 'run-component',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) => runBuildStep(progress, buildDeps),
  }),
);
