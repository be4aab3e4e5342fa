import { loadEnv } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';

/**
 * The build service's typed environment. Every handler reads it when its module loads, through the
 * modules of this folder it imports: a missing or malformed variable fails the cold start, naming it,
 * whichever adapters the function takes.
 */
export const env = loadEnv(
  z.object({
    CATALOG_TABLE: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
    BUILD_STATE_MACHINE_ARN: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/,
        'Expected a state machine ARN',
      ),
    AWS_REGION: z.string().min(1),
  }),
);
