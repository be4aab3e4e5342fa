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
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AmictlDeps } from './amictl';
import { buildStateMachineFromEnv, sfnBuildTracker } from './aws-builds';
import { awsRetentionPorts, stateMachineFromEnv } from './aws-retention';
import { sqsDeadLetterReader } from './dead-letter-commands';
import { describeTarget, type Target } from './errors';
import {
  type NotificationsPort,
  NotificationsTopicError,
  RECIPIENTS_ATTRIBUTE,
  type TopicSubscription,
} from './notify-commands';
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

/** The notifications topic of the stage whose bus is `busName` (`ami-lifecycle-<stage>`), as serverless.yml names it. */
export const notificationsTopicName = (busName: string): string => `${busName}-notifications`;

/** Pages of a listing (ListTopics, ListSubscriptionsByTopic: 100 each) read at most. */
const MAX_LIST_PAGES = 1000;

/** The email protocols `notify test` reads the subscriptions of. */
const EMAIL_PROTOCOLS = new Set(['email', 'email-json']);

/** How ListSubscriptionsByTopic lists a subscription without an ARN yet, and one being deleted. */
const PENDING = /^pending ?confirmation$/i;
const DELETED = 'Deleted';

/**
 * `AmictlDeps.notifications` over SNS: the topic given (`NOTIFY_TOPIC_ARN`) or found by its name with
 * ListTopics (once, when first needed), its email subscriptions read with ListSubscriptionsByTopic and,
 * confirmed ones, GetSubscriptionAttributes (filter policy and scope), and Publish with the `recipients`
 * String.Array message attribute. A topic that is not there, and a refusal by its policy or its KMS key,
 * are a `NotificationsTopicError` naming the topic, the stage and what to check (exit 3).
 */
export const snsNotifications = (
  client: SNSClient,
  topic: { arn: string } | { name: string; busName: string },
  target: Target,
): NotificationsPort => {
  const where = describeTarget(target);
  const given = 'arn' in topic;
  const stage = given ? undefined : /^ami-lifecycle-(.+)$/.exec(topic.busName)?.[1];
  const whose = given
    ? 'NOTIFY_TOPIC_ARN'
    : stage === undefined
      ? `the stage of EVENT_BUS_NAME=${topic.busName}`
      : `stage ${stage}`;
  /** SNS's refusals of a call about the topic, in amictl's words; anything else is left as it is. */
  const translated = (error: unknown, action: string, arn: string): unknown => {
    const name = (error as { name?: unknown })?.name;
    const words = error instanceof Error ? error.message : String(error);
    if (name === 'NotFoundException')
      return new NotificationsTopicError(
        `no SNS topic ${arn} (${whose}) in ${where}: ${words}`,
        given
          ? 'check NOTIFY_TOPIC_ARN (unset it for the stage topic <EVENT_BUS_NAME>-notifications), AWS_REGION and AWS_ENDPOINT_URL'
          : 'deploy the stage (serverless.yml declares its notifications topic), or set NOTIFY_TOPIC_ARN; check EVENT_BUS_NAME, AWS_REGION and AWS_ENDPOINT_URL',
        { cause: error },
      );
    if (name === 'AuthorizationErrorException')
      return new NotificationsTopicError(
        `${where} refused ${action} on ${arn}: ${words}`,
        "the credentials work but may not do this: the topic's policy must let the role in use (AWS_PROFILE) list the topic's subscriptions and publish to it",
        { cause: error },
      );
    if (typeof name === 'string' && name.startsWith('KMS'))
      return new NotificationsTopicError(
        `${where} could not encrypt the message for ${arn} with the topic's KMS key: ${name}: ${words}`,
        "the topic's KMS key must let the role in use (AWS_PROFILE) use it (kms:GenerateDataKey*, kms:Decrypt)",
        { cause: error },
      );
    return error;
  };
  const find = async (name: string): Promise<string> => {
    let next: string | undefined;
    for (let pages = 0; pages < MAX_LIST_PAGES; pages += 1) {
      let listed: { Topics?: { TopicArn?: string }[]; NextToken?: string };
      try {
        listed = await client.send(new ListTopicsCommand(next === undefined ? {} : { NextToken: next }));
      } catch (error) {
        throw translated(error, 'sns:ListTopics', `topics in ${target.region}`);
      }
      const arn = listed.Topics?.map((t) => t.TopicArn).find((a) => a?.split(':').pop() === name);
      if (arn !== undefined) return arn;
      next = listed.NextToken;
      if (next === undefined) break;
    }
    throw new NotificationsTopicError(
      `no SNS topic named ${name} for ${whose} in ${where}`,
      'deploy the stage (serverless.yml declares its notifications topic), or set NOTIFY_TOPIC_ARN; check EVENT_BUS_NAME, AWS_REGION and AWS_ENDPOINT_URL',
    );
  };
  let found: Promise<string> | undefined;
  return {
    topicArn: () => {
      if ('arn' in topic) return Promise.resolve(topic.arn);
      // A failed look-up is not kept: the next call asks again.
      found ??= find(topic.name).catch((error: unknown) => {
        found = undefined;
        throw error;
      });
      return found;
    },
    async subscriptions(topicArn, addresses) {
      const wanted = new Set(addresses.map((a) => a.toLowerCase()));
      const listed: { arn: string | undefined; protocol: string; endpoint: string }[] = [];
      let next: string | undefined;
      try {
        for (let pages = 0; pages < MAX_LIST_PAGES; pages += 1) {
          const page = await client.send(
            new ListSubscriptionsByTopicCommand({
              TopicArn: topicArn,
              ...(next === undefined ? {} : { NextToken: next }),
            }),
          );
          for (const s of page.Subscriptions ?? []) {
            const protocol = s.Protocol ?? '';
            const endpoint = s.Endpoint ?? '';
            if (!EMAIL_PROTOCOLS.has(protocol) || !wanted.has(endpoint.toLowerCase())) continue;
            if (s.SubscriptionArn === undefined || s.SubscriptionArn === DELETED) continue;
            listed.push({
              arn: PENDING.test(s.SubscriptionArn) ? undefined : s.SubscriptionArn,
              protocol,
              endpoint,
            });
          }
          next = page.NextToken;
          if (next === undefined) break;
        }
      } catch (error) {
        throw translated(error, 'sns:ListSubscriptionsByTopic', topicArn);
      }
      const described = await Promise.all(
        listed.map(async (s): Promise<TopicSubscription | undefined> => {
          if (s.arn === undefined) return s;
          try {
            const { Attributes = {} } = await client.send(
              new GetSubscriptionAttributesCommand({ SubscriptionArn: s.arn }),
            );
            // Confirmed when listed with its ARN; one that went pending again says so.
            if (Attributes.PendingConfirmation === 'true') return { ...s, arn: undefined };
            return {
              ...s,
              filterPolicy: Attributes.FilterPolicy,
              filterPolicyScope: Attributes.FilterPolicyScope,
            };
          } catch (error) {
            // Unsubscribed since it was listed: it is not there.
            if ((error as { name?: unknown })?.name === 'NotFoundException') return undefined;
            throw translated(error, 'sns:GetSubscriptionAttributes', s.arn);
          }
        }),
      );
      return described.filter((s): s is TopicSubscription => s !== undefined);
    },
    async publish(topicArn, message) {
      try {
        const { MessageId } = await client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: message.subject,
            Message: message.body,
            MessageAttributes: {
              [RECIPIENTS_ATTRIBUTE]: {
                DataType: 'String.Array',
                StringValue: JSON.stringify(message.recipients),
              },
            },
          }),
        );
        if (MessageId === undefined) throw new Error(`SNS answered no message id for ${topicArn}`);
        return MessageId;
      } catch (error) {
        throw translated(error, 'sns:Publish', topicArn);
      }
    },
  };
};

const realSleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

/**
 * amictl's deps as `main.ts` wires them from the environment: DynamoDB, EventBridge, Step Functions,
 * Inspector, SQS, SNS and, per region, EC2 and SSM, all with the same region, endpoint and credentials.
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
    notifications: snsNotifications(
      new SNSClient(options),
      env.NOTIFY_TOPIC_ARN?.trim()
        ? { arn: env.NOTIFY_TOPIC_ARN.trim() }
        : { name: notificationsTopicName(busName), busName },
      { endpoint: options.endpoint, region },
    ),
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
