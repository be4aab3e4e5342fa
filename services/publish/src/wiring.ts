/**
 * The one place the publish handlers' adapters are built: once per container, at module scope, from the
 * typed environment (a missing variable fails the cold start, naming it). Regional clients are built on
 * first use of a region and kept.
 */
import { createClients, Ec2Images, EventBridgePublisher, SsmParameters } from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { lambdaClock, loadEnv } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { StepFunctionsPublicationStarter } from './adapters/step-functions-publication-starter';
import type { PublicationStarter, PublishDeps, RegionalPorts } from './use-cases/deps';

const env = loadEnv(
  z.object({
    CATALOG_TABLE: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1),
  }),
);

const clients = createClients({ region: env.AWS_REGION });

/** EC2 and SSM of each region the family publishes to, one set of clients per region. */
export const regionalPorts = (home: ReturnType<typeof createClients>): RegionalPorts => {
  const cache = new Map<string, ReturnType<RegionalPorts>>();
  return (region) => {
    let ports = cache.get(region);
    if (ports === undefined) {
      const c = region === env.AWS_REGION ? home : createClients({ region });
      ports = { images: new Ec2Images(c.ec2, c.ssm), parameters: new SsmParameters(c.ssm) };
      cache.set(region, ports);
    }
    return ports;
  };
};

export const deps: PublishDeps = {
  catalog: new DynamoDbCatalog({
    tableName: env.CATALOG_TABLE,
    client: createDocumentClient({ region: env.AWS_REGION }),
  }),
  events: new EventBridgePublisher(env.EVENT_BUS_NAME, clients.eventBridge),
  regions: regionalPorts(clients),
  // The host's clock when there is one (the local cloud's simulated time), the system clock on Lambda.
  clock: lambdaClock,
  region: env.AWS_REGION,
};

/**
 * The starter of the publish state machine, for the function that starts it; only it is given
 * `PUBLISH_STATE_MACHINE_ARN`, so it is read when that function's module loads, not here.
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
  return new StepFunctionsPublicationStarter(PUBLISH_STATE_MACHINE_ARN, clients.sfn);
};

export { asStep } from '@ami-lifecycle/lambda-kit';
