import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { createBuildImage } from '../use-cases/create-build-image';
import { catalog } from '../wiring/catalog';
import { compute } from '../wiring/compute';
import { home } from '../wiring/home';
import { images } from '../wiring/images';

/** Build state machine, last step: CreateImage from the stopped builder, AMI id recorded in the catalog. */
export const handler = asStep(
  'CreateImage',
  createHandlerWithoutIdempotency({
    name: 'create-image',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) =>
      createBuildImage(progress, { ...home, catalog: catalog(), compute: compute(), images: images() }),
  }),
);
