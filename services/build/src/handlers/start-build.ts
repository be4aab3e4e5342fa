import { buildRequested } from '@ami-lifecycle/contracts';
import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { launchBuild } from '../use-cases/launch-build';
import { catalog } from '../wiring/catalog';
import { compute } from '../wiring/compute';
import { home } from '../wiring/home';
import { images } from '../wiring/images';

/** Build state machine, first step: the execution's input is the `Build Requested` detail. */
export const handler = asStep(
  'StartBuild',
  createHandlerWithoutIdempotency({
    name: 'start-build',
    event: z.object({ request: buildRequested.schema }),
    correlationIdPath: 'request.correlationId',
    useCase: ({ request }) =>
      launchBuild(request, { ...home, catalog: catalog(), compute: compute(), images: images() }),
  }),
);
