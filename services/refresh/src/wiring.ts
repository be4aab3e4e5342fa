/**
 * The one place the refresh handlers' adapters are built: once per container, at module scope, from the
 * typed environment (a missing or malformed variable fails the cold start, naming it).
 */
import { EventBridgePublisher } from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { lambdaClock, loadEnv } from '@ami-lifecycle/lambda-kit';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import { DEFAULT_MAX_BUILDS_PER_TRIGGER, type RefreshDeps } from './use-cases/deps';

const env = loadEnv(
  z.object({
    CATALOG_TABLE: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1),
    REFRESH_MAX_BUILDS_PER_TRIGGER: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1: a cap of 0 would refuse every rebuild')
      .max(1000)
      .default(DEFAULT_MAX_BUILDS_PER_TRIGGER),
  }),
);

export const deps: RefreshDeps = {
  catalog: new DynamoDbCatalog({
    tableName: env.CATALOG_TABLE,
    client: createDocumentClient({ region: env.AWS_REGION }),
  }),
  events: new EventBridgePublisher(env.EVENT_BUS_NAME, new EventBridgeClient({ region: env.AWS_REGION })),
  // The host's clock when there is one (the local cloud's simulated time), the system clock on Lambda.
  clock: lambdaClock,
  region: env.AWS_REGION,
  maxBuildsPerTrigger: env.REFRESH_MAX_BUILDS_PER_TRIGGER,
};
