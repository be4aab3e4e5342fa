/**
 * The one place the refresh handlers' adapters are built: from the typed environment, read when a handler
 * module loads (a missing or malformed variable fails the cold start, naming it); each adapter once per
 * container, on first use. Every refresh function takes all of them: the catalog and the bus, no EC2.
 */
import { EventBridgePublisher, eventBridgeClient } from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { lambdaClock, lazy, loadEnv } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
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

const catalog = lazy(
  () =>
    new DynamoDbCatalog({
      tableName: env.CATALOG_TABLE,
      client: createDocumentClient({ region: env.AWS_REGION }),
    }),
);
const events = lazy(
  () => new EventBridgePublisher(env.EVENT_BUS_NAME, eventBridgeClient({ region: env.AWS_REGION })),
);

export const deps: RefreshDeps = {
  get catalog() {
    return catalog();
  },
  get events() {
    return events();
  },
  // The host's clock when there is one (the local cloud's simulated time), the system clock on Lambda.
  clock: lambdaClock,
  region: env.AWS_REGION,
  maxBuildsPerTrigger: env.REFRESH_MAX_BUILDS_PER_TRIGGER,
};
