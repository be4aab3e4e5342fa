import { buildRequested, imageBuildFailed } from '@ami-lifecycle/contracts';
import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { failBuild } from '../use-cases/fail-build';
import { catalog } from '../wiring/catalog';
import { compute } from '../wiring/compute';
import { events } from '../wiring/events';
import { home } from '../wiring/home';

/** What a Choice sends when it has no caught error to pass on: a step answered what the machine did not expect. */
const UNEXPECTED = {
  Error: 'UnexpectedStepResult',
  Cause: 'a step answered a result the build machine does not expect',
};

/**
 * The execution's whole state at a Catch or a failed Choice: the request, the stage the machine was in
 * (`failedStage`), what it caught (`error`) and the progress (`build`) if it got that far. Only the
 * request must be well formed: the rest is read leniently, because failing here would leave the build
 * unmarked and its builder running.
 */
const failureSchema = z.object({
  request: buildRequested.schema,
  failedStage: imageBuildFailed.buildStage,
  error: z
    .object({ Error: z.string().min(1), Cause: z.string().optional() })
    .catch(UNEXPECTED)
    .default(UNEXPECTED),
  build: z
    .object({ family: z.string().min(1), version: z.string().min(1) })
    .optional()
    .catch(undefined),
});

/** Build state machine, every failure path: image failed, builders terminated, `Image Build Failed`. */
export const handler = asStep(
  'FailBuild',
  createHandlerWithoutIdempotency({
    name: 'fail-build',
    event: failureSchema,
    correlationIdPath: 'request.correlationId',
    useCase: ({ request, failedStage, error, build }) =>
      failBuild(
        { request, stage: failedStage, error, image: build },
        { ...home, catalog: catalog(), compute: compute(), events: events() },
      ),
  }),
);
