import { loadEnv } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';

/**
 * The inspect service's typed environment. Every handler reads it when its module loads, through the
 * modules of this folder it imports: a missing or malformed variable fails the cold start, naming it,
 * whichever adapters the function takes.
 */
export const env = loadEnv(
  z.object({
    CATALOG_TABLE: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1),
  }),
);
