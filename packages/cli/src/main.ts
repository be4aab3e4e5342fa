// `npm run amictl -- ...`: the CLI against AWS, or the local cloud when AWS_ENDPOINT_URL points at it.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { createClients, Ec2Images, EventBridgePublisher, SsmParameters } from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { systemClock } from '@ami-lifecycle/core';
import type { RegionalPorts } from '@ami-lifecycle/publish-service';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { runAmictl } from './amictl';
import { awsRetentionPorts, stateMachineFromEnv } from './aws-retention';
import { sqsDeadLetterReader } from './dead-letter-commands';

/** EC2 and SSM of each region, with one set of clients per region, made when first needed. */
const regionalPorts = (): RegionalPorts => {
  const ports = new Map<string, ReturnType<RegionalPorts>>();
  return (region) => {
    let regional = ports.get(region);
    if (regional === undefined) {
      const clients = createClients({ region });
      regional = {
        images: new Ec2Images(clients.ec2, clients.ssm),
        parameters: new SsmParameters(clients.ssm),
      };
      ports.set(region, regional);
    }
    return regional;
  };
};

/**
 * A yes/no question on the terminal (on stderr, so that stdout stays the answer). Only "y" or "yes" is
 * yes; Ctrl-C and Ctrl-D are no.
 */
const askOnTerminal = async (question: string): Promise<boolean> => {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  const asked = new AbortController();
  terminal.on('SIGINT', () => asked.abort());
  terminal.on('close', () => asked.abort());
  try {
    const answer = await terminal.question(`${question} [y/N] `, { signal: asked.signal });
    return /^\s*y(es)?\s*$/i.test(answer);
  } catch (error) {
    if (asked.signal.aborted) {
      process.stderr.write('\n');
      return false;
    }
    throw error;
  } finally {
    terminal.close();
  }
};

/** The events dead-letter queue: `EVENTS_DEAD_LETTER_QUEUE_URL`, or `<bus>-events-dlq` found by name. */
const deadLetterReader = (region: string, busName: string) => {
  const client = new SQSClient({ region, useQueueUrlAsEndpoint: false });
  return sqsDeadLetterReader(client, async () => {
    const given = process.env.EVENTS_DEAD_LETTER_QUEUE_URL;
    if (given !== undefined && given !== '') return given;
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: `${busName}-events-dlq` }));
    if (QueueUrl === undefined) throw new Error(`SQS named no URL for ${busName}-events-dlq`);
    return QueueUrl;
  });
};

const main = async () => {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'eu-west-1';
  const catalogTable = process.env.CATALOG_TABLE ?? 'ami-lifecycle-local';
  const clients = createClients({ region });
  const busName = process.env.EVENT_BUS_NAME ?? 'ami-lifecycle-local';
  const code = await runAmictl(process.argv.slice(2), {
    catalog: new DynamoDbCatalog({
      tableName: catalogTable,
      client: createDocumentClient({ region }),
    }),
    events: new EventBridgePublisher(busName, clients.eventBridge),
    clock: systemClock,
    region,
    regions: regionalPorts(),
    decommission: awsRetentionPorts({
      home: region,
      stateMachine: stateMachineFromEnv(process.env, catalogTable),
    }),
    // Only a terminal can be asked; without one, retention apply needs --yes.
    ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
    deadLetters: deadLetterReader(region, busName),
    readFile: (path) => readFileSync(path, 'utf8'),
    user: process.env.USER ?? userInfo().username,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
  process.exitCode = code;
};

// runAmictl answers every failure it can name with its exit code; what is left is unexpected (exit 4).
main().catch((error: unknown) => {
  console.error(error instanceof Error ? `amictl: ${error.name}: ${error.message}` : error);
  process.exitCode = 4;
});
