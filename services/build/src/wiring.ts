import { createClients, Ec2Compute, Ec2Images, EventBridgePublisher, SsmCommands } from '@ami-lifecycle/aws';
import { DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { lambdaClock, loadEnv } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { StepFunctionsBuildExecutions } from './adapters/step-functions-executions';
import type { BuildDeps, BuildExecutionsPort } from './use-cases/deps';

/**
 * The build service's wiring, once per container: typed environment (fails at cold start naming what is
 * missing), one SDK client per service, the adapters over them, and the Lambda clock (the simulated one
 * on the local cloud). Every handler of the service imports it; nothing else builds clients.
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

const clients = createClients({ region: env.AWS_REGION });

export const buildDeps: BuildDeps = {
  catalog: new DynamoDbCatalog({ tableName: env.CATALOG_TABLE }),
  compute: new Ec2Compute(clients.ec2),
  images: new Ec2Images(clients.ec2, clients.ssm),
  // SendCommand without SDK retries: a retried step looks the command up first, an SDK retry would not.
  commands: new SsmCommands(clients.ssm, createClients({ region: env.AWS_REGION, maxAttempts: 1 }).ssm),
  events: new EventBridgePublisher(env.EVENT_BUS_NAME, clients.eventBridge),
  clock: lambdaClock,
  region: env.AWS_REGION,
};

export const buildExecutions: BuildExecutionsPort = new StepFunctionsBuildExecutions(
  env.BUILD_STATE_MACHINE_ARN,
  clients.sfn,
);
