/**
 * The one place the inspect handlers' adapters are built: once per container, at module scope, from
 * the typed environment (a missing variable fails the cold start, naming it).
 */
import {
  createClients,
  Ec2Compute,
  EventBridgePublisher,
  InspectorFindings,
  SsmCommands,
} from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { lambdaClock, loadEnv } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { StepFunctionsInspectionStarter } from './adapters/step-functions-inspection-starter';
import type { InspectDeps, InspectionStarter } from './use-cases/deps';

const env = loadEnv(
  z.object({
    CATALOG_TABLE: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1),
  }),
);

const clients = createClients({ region: env.AWS_REGION });

export const deps: InspectDeps = {
  catalog: new DynamoDbCatalog({
    tableName: env.CATALOG_TABLE,
    client: createDocumentClient({ region: env.AWS_REGION }),
  }),
  compute: new Ec2Compute(clients.ec2),
  // SendCommand without SDK retries: a retried step looks the command up first, an SDK retry would not.
  commands: new SsmCommands(clients.ssm, createClients({ region: env.AWS_REGION, maxAttempts: 1 }).ssm),
  findings: new InspectorFindings(clients.inspector2),
  events: new EventBridgePublisher(env.EVENT_BUS_NAME, clients.eventBridge),
  // The host's clock when there is one (the local cloud's simulated time), the system clock on Lambda.
  clock: lambdaClock,
  region: env.AWS_REGION,
};

/**
 * The starter of the inspect state machine, for the functions that start it; only they are given
 * `INSPECT_STATE_MACHINE_ARN`, so it is read when such a function's module loads, not here.
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
  return new StepFunctionsInspectionStarter(INSPECT_STATE_MACHINE_ARN, clients.sfn);
};

// The steps' adapter from the kit's `DroppedEvent` to a thrown error lives in the kit, shared with the build service.
export { asStep, StepInputRejectedError } from '@ami-lifecycle/lambda-kit';
