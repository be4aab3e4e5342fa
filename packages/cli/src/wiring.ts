import { readFileSync, writeFileSync } from 'node:fs';
import {
  type ClientOptions,
  createClients,
  Ec2Images,
  EventBridgePublisher,
  InspectorFindings,
  SsmParameters,
} from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { type Clock, systemClock } from '@ami-lifecycle/core';
import type { RegionalPorts } from '@ami-lifecycle/publish-service';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AmictlDeps } from './amictl';
import { buildStateMachineFromEnv, sfnBuildTracker } from './aws-builds';
import { awsRetentionPorts, stateMachineFromEnv } from './aws-retention';
import { sqsDeadLetterReader } from './dead-letter-commands';
import { useColor } from './output';

type Env = Readonly<Record<string, string | undefined>>;

/** What the process gives amictl besides its environment: the terminal, the clock, who runs it. */
export interface ProcessIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether stdout is a terminal: colour only then. */
  stdoutIsTTY: boolean | undefined;
  /** A yes/no question on the terminal; only when stdin is one. */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  user: string | undefined;
  clock?: Clock;
  sleep?: (seconds: number) => Promise<void>;
}

/**
 * The client options of every AWS client amictl makes: the home region, and `AWS_ENDPOINT_URL` when set
 * (passed to each client, so the endpoint an error names is the one used), and the credentials of the
 * environment when it has them (the SDK's default chain takes over otherwise).
 */
export const clientOptionsOf = (env: Env): ClientOptions & { region: string } => {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'eu-west-1';
  const endpoint = env.AWS_ENDPOINT_URL?.trim() || undefined;
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {};
  return { region, ...(endpoint === undefined ? {} : { endpoint }), ...keys };
};

/** EC2 and SSM of each region, with one set of clients per region, made when first needed. */
const regionalPorts = (options: ClientOptions): RegionalPorts => {
  const ports = new Map<string, ReturnType<RegionalPorts>>();
  return (region) => {
    let regional = ports.get(region);
    if (regional === undefined) {
      const clients = createClients({ ...options, region });
      regional = {
        images: new Ec2Images(clients.ec2, clients.ssm),
        parameters: new SsmParameters(clients.ssm),
      };
      ports.set(region, regional);
    }
    return regional;
  };
};

/** The events dead-letter queue: `EVENTS_DEAD_LETTER_QUEUE_URL`, or `<bus>-events-dlq` found by name. */
const deadLetterReader = (options: ClientOptions, busName: string, env: Env) => {
  const client = new SQSClient({ ...options, useQueueUrlAsEndpoint: false });
  return sqsDeadLetterReader(client, async () => {
    const given = env.EVENTS_DEAD_LETTER_QUEUE_URL;
    if (given !== undefined && given !== '') return given;
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: `${busName}-events-dlq` }));
    if (QueueUrl === undefined) throw new Error(`SQS named no URL for ${busName}-events-dlq`);
    return QueueUrl;
  });
};

const realSleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

/**
 * amictl's deps as `main.ts` wires them from the environment: DynamoDB, EventBridge, Step Functions,
 * Inspector, SQS and, per region, EC2 and SSM, all with the same region, endpoint and credentials.
 */
export const amictlDepsFromEnv = (env: Env, io: ProcessIo): AmictlDeps => {
  const options = clientOptionsOf(env);
  const { region } = options;
  const catalogTable = env.CATALOG_TABLE ?? 'ami-lifecycle-local';
  const busName = env.EVENT_BUS_NAME ?? 'ami-lifecycle-local';
  const clients = createClients(options);
  const buildMachine = buildStateMachineFromEnv(env, catalogTable);
  return {
    catalog: new DynamoDbCatalog({ tableName: catalogTable, client: createDocumentClient(options) }),
    events: new EventBridgePublisher(busName, clients.eventBridge),
    clock: io.clock ?? systemClock,
    region,
    regions: regionalPorts(options),
    decommission: awsRetentionPorts({
      home: region,
      clientOptions: options,
      stateMachine: stateMachineFromEnv(env, catalogTable),
    }),
    ...(buildMachine === undefined
      ? {}
      : { builds: sfnBuildTracker({ clients, home: region, stateMachine: buildMachine }) }),
    findings: new InspectorFindings(clients.inspector2),
    // Only a terminal can be asked; without one, retention apply needs --yes.
    ...(io.confirm === undefined ? {} : { confirm: io.confirm }),
    deadLetters: deadLetterReader(options, busName, env),
    sleep: io.sleep ?? realSleep,
    color: useColor(env, io.stdoutIsTTY),
    endpoint: options.endpoint,
    readFile: (path) => readFileSync(path, 'utf8'),
    writeFile: (path, content) => writeFileSync(path, content, 'utf8'),
    user: io.user,
    out: io.out,
    err: io.err,
  };
};
