/**
 * The starter of the decommission state machine, for the daily function alone: it needs one Step
 * Functions client, not the catalog, the bus and the regional EC2 clients the other functions build at
 * their cold start. `DECOMMISSION_STATE_MACHINE_ARN` is only this function's, so it is read here.
 */
import { clientOptionsFromEnv, startNamedExecution } from '@ami-lifecycle/aws';
import { loadEnv } from '@ami-lifecycle/lambda-kit';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import type { SweepStarter } from './use-cases/start-sweep';

export const sweepStarter = (): SweepStarter => {
  const { DECOMMISSION_STATE_MACHINE_ARN: arn } = loadEnv(
    z.object({
      DECOMMISSION_STATE_MACHINE_ARN: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/,
          'must be a state machine ARN',
        ),
    }),
  );
  const sfn = new SFNClient(clientOptionsFromEnv());
  return {
    start: async (input) => ({
      outcome: await startNamedExecution(sfn, arn, input.sweepId, input),
      executionName: input.sweepId,
    }),
  };
};
