/**
 * The one place the decommission handlers' adapters are built: once per container, at module scope, from
 * the typed environment (a missing variable fails the cold start, naming it). Regional clients are built
 * on first use of a region; another account's clients assume its role, refreshed before they expire.
 */
import {
  assumeRoleClients,
  createClients,
  Ec2Images,
  Ec2Inventory,
  Ec2Pacer,
  Ec2SharedUsage,
  EventBridgePublisher,
  pace,
} from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { lambdaClock, loadEnv } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import type { DecommissionDeps } from './use-cases/deps';

const env = loadEnv(
  z.object({
    CATALOG_TABLE: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1),
  }),
);

const home = createClients({ region: env.AWS_REGION });

const perKey = <T>(make: (key: string) => T): ((key: string) => T) => {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = make(key);
      cache.set(key, value);
    }
    return value;
  };
};

// EC2's request tokens are per account and region: one pacer for each, shared by every client that spends
// them, so the sweep waits for a token instead of provoking RequestLimitExceeded storms. Real time: on the
// local cloud a sweep's handful of calls never empties a bucket.
const pacerFor = perKey(() => new Ec2Pacer());
const clientsIn = perKey((region) => {
  const clients = region === env.AWS_REGION ? home : createClients({ region });
  pace(clients.ec2, pacerFor(`owner|${region}`));
  return clients;
});
const inventoryIn = perKey((region) => new Ec2Inventory(clientsIn(region).ec2));
const imagesIn = perKey((region) => new Ec2Images(clientsIn(region).ec2, clientsIn(region).ssm));
const sharedIn = perKey((key) => {
  const [accountId, region, roleArn] = key.split('|') as [string, string, string];
  const ec2 = assumeRoleClients(roleArn, { region, sts: home.sts, clock: lambdaClock }).ec2;
  pace(ec2, pacerFor(`${accountId}|${region}`));
  return new Ec2SharedUsage(ec2, accountId);
});

export const deps: DecommissionDeps = {
  catalog: new DynamoDbCatalog({
    tableName: env.CATALOG_TABLE,
    client: createDocumentClient({ region: env.AWS_REGION }),
  }),
  events: new EventBridgePublisher(env.EVENT_BUS_NAME, home.eventBridge),
  // The host's clock when there is one (the local cloud's simulated time), the system clock on Lambda.
  clock: lambdaClock,
  region: env.AWS_REGION,
  images: imagesIn,
  inventory: inventoryIn,
  sharedUsage: (account, region) => sharedIn(`${account.id}|${region}|${account.roleArn}`),
};

/** The regional EC2 images the hold use cases mirror protection through. */
export const holdRegions = (region: string) => ({ images: imagesIn(region) });
