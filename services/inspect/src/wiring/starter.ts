import { sfnClient } from '@ami-lifecycle/aws';
import { lazy, loadEnv } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { StepFunctionsInspectionStarter } from '../adapters/step-functions-inspection-starter';
import type { InspectionStarter } from '../use-cases/deps';
import { env } from './env';

/**
 * The starter of the inspect state machine, for the functions that start it; only they are given
 * `INSPECT_STATE_MACHINE_ARN`, so it is read when such a function's module loads (calling this at module
 * scope), not for every function of the service. Its Step Functions client is built on first use.
 */
export const inspectionStarter = (): InspectionStarter => {
  const { INSPECT_STATE_MACHINE_ARN } = loadEnv(
    z.object({
      INSPECT_STATE_MACHINE_ARN: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/,
          'must be a state machine ARN',
        ),
    }),
  );
  const starter = lazy(
    () =>
      new StepFunctionsInspectionStarter(INSPECT_STATE_MACHINE_ARN, sfnClient({ region: env.AWS_REGION })),
  );
  return { start: (request) => starter().start(request) };
};
