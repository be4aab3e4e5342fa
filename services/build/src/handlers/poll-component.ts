import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { pollBuildStep } from '../use-cases/poll-build-step';
import { commands } from '../wiring/commands';

/** Build state machine: one look at the running component's command (running, succeeded, failed). */
export const handler = asStep(
  'PollComponent',
  createHandlerWithoutIdempotency({
    name: 'poll-component',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) => pollBuildStep(progress, { commands: commands() }),
  }),
);
