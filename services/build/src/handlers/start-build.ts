import { buildRequested } from '@ami-lifecycle/contracts';
import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { launchBuild } from '../use-cases/launch-build';
import { buildDeps } from '../wiring';

/** Build state machine, first step: the execution's input is the `Build Requested` detail. */
export const handler = asStep(
  'StartBuild',
  createHandler({
    name: 'start-build',
    event: z.object({ request: buildRequested.schema }),
    correlationIdPath: 'request.correlationId',
    useCase: ({ request }) => launchBuild(request, buildDeps),
  }),
);
