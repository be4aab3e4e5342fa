import { sfnClient } from '@ami-lifecycle/aws';
import { lazy, loadEnv } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { StepFunctionsPublicationStarter } from '../adapters/step-functions-publication-starter';
import type { PublicationStarter } from '../use-cases/deps';
import { env } from './env';

/**
 * The starter of the publish state machine, for the function that starts it; only it is given
 * `PUBLISH_STATE_MACHINE_ARN`, so it is read when that function's module loads (calling this at module
 * scope), not for every function of the service. Its Step Functions client is built on first use.
 */
export const publicationStarter = (): PublicationStarter => {
  const { PUBLISH_STATE_MACHINE_ARN } = loadEnv(
    z.object({
      PUBLISH_STATE_MACHINE_ARN: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/,
          'must be a state machine ARN',
        ),
    }),
  );
  const starter = lazy(
    () =>
      new StepFunctionsPublicationStarter(PUBLISH_STATE_MACHINE_ARN, sfnClient({ region: env.AWS_REGION })),
  );
  return { start: (request) => starter().start(request) };
};
