import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { pollBuildStep } from '../use-cases/poll-build-step';
import { buildDeps } from '../wiring';

/** Build state machine: one look at the running component's command (running, succeeded, failed). */
export const handler = asStep(
  'PollComponent',
  createHandler({
    name: 'poll-component',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) => pollBuildStep(progress, buildDeps),
  }),
);
