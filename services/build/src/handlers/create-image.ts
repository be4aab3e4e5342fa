import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { buildProgressSchema } from '../use-cases/build-progress';
import { createBuildImage } from '../use-cases/create-build-image';
import { buildDeps } from '../wiring';

/** Build state machine, last step: CreateImage from the stopped builder, AMI id recorded in the catalog. */
export const handler = asStep(
  'CreateImage',
  createHandler({
    name: 'create-image',
    event: buildProgressSchema,
    correlationIdPath: 'correlationId',
    useCase: (progress) => createBuildImage(progress, buildDeps),
  }),
);
