import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { LambdaRuntime } from '../lambda/runtime';
import type { CloudServices } from '../services';
import { functionLogicalId, resolveIntrinsics } from './cloudformation';
import { ServerlessConfigError } from './serverless-config';
import type { ResourceSpec, RuleSpec, ServerlessModel } from './serverless-model';

export interface DeployTarget {
  accountId: string;
  region: string;
  services: CloudServices;
  runtime: LambdaRuntime;
  /** The edge, for DynamoDB tables; undefined when the cloud runs without DynamoDB. */
  dynamodb?: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } } | undefined;
}

export interface DeployResult {
  tables: string[];
  buses: string[];
  /** Queue ARNs. */
  queues: string[];
  /** Bus policy statements put: `<logical id> (<statement id>)`. */
  busPolicies: string[];
  /** SNS topic ARNs. */
  topics: string[];
  /**
   * SNS subscriptions, from AWS::SNS::Subscription and a topic's `Subscription` list, by ARN (an email
   * subscription stays pending until its recipient confirms it: `POST /_local/sns/confirm`).
   */
  subscriptions: string[];
  /** AWS::SNS::TopicPolicy resources applied, by logical id. */
  topicPolicies: string[];
  functions: string[];
  stateMachines: string[];
  rules: string[];
  /** Resources the local cloud does not emulate (by logical id and type): deployed nowhere, named here. */
  skipped: string[];
}

/** Runs an emulator call for a resource, naming the resource in what it refuses. */
const withPath = <T>(path: string, run: () => T): T => {
  try {
    return run();
  } catch (e) {
    if (e instanceof ServerlessConfigError) throw e;
    throw new ServerlessConfigError(path, (e as Error).message);
  }
};

const tableInput = (props: Record<string, unknown>): CreateTableCommandInput => {
  // CloudFormation-only properties (PITR, deletion protection, tags as CFN writes them) are not CreateTable's.
  const {
    PointInTimeRecoverySpecification,
    DeletionProtectionEnabled,
    Tags,
    TimeToLiveSpecification,
    ...rest
  } = props;
  return rest as unknown as CreateTableCommandInput;
};

/** The SQS queue attributes CloudFormation's AWS::SQS::Queue properties set, as CreateQueue takes them. */
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'SqsManagedSseEnabled',
];
const queueAttributes = (props: Record<string, unknown>, path: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === 'QueueName' || k === 'Tags') continue;
    if (!QUEUE_ATTRIBUTES.includes(k) || typeof v === 'object') {
      throw new ServerlessConfigError(`${path}.${k}`, 'is not a queue property the local cloud deploys');
    }
    out[k] = String(v);
  }
  return out;
};

/** What a CloudFormation property holds, as the SNS API takes it: JSON documents as text, the rest as strings. */
const attributeValue = (v: unknown): string =>
  typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);

/** AWS::SNS::Topic properties, as CreateTopic attributes and tags, and its inline subscriptions. */
const TOPIC_ATTRIBUTES = [
  'DisplayName',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'DeliveryPolicy',
];
const topicInput = (props: Record<string, unknown>, path: string) => {
  const attributes: Record<string, string> = {};
  const tags: Record<string, string> = {};
  const subscriptions: { Protocol: string; Endpoint: string }[] = [];
  for (const [k, v] of Object.entries(props)) {
    if (k === 'TopicName' || (k === 'FifoTopic' && (v === false || v === 'false'))) continue;
    if (k === 'Tags' && Array.isArray(v)) {
      for (const t of v as { Key?: unknown; Value?: unknown }[]) tags[String(t.Key)] = String(t.Value ?? '');
    } else if (k === 'Subscription' && Array.isArray(v)) {
      v.forEach((sub: { Protocol?: unknown; Endpoint?: unknown }, i) => {
        if (typeof sub?.Protocol !== 'string' || typeof sub.Endpoint !== 'string') {
          throw new ServerlessConfigError(`${path}.Subscription[${i}]`, 'needs a Protocol and an Endpoint');
        }
        subscriptions.push({ Protocol: sub.Protocol, Endpoint: sub.Endpoint });
      });
    } else if (TOPIC_ATTRIBUTES.includes(k)) {
      attributes[k] = attributeValue(v);
    } else {
      throw new ServerlessConfigError(`${path}.${k}`, 'is not a topic property the local cloud deploys');
    }
  }
  return { attributes, tags, subscriptions };
};

/** AWS::SNS::Subscription properties: the subscription, and the attributes Subscribe takes. */
const SUBSCRIPTION_ATTRIBUTES = [
  'FilterPolicy',
  'FilterPolicyScope',
  'RawMessageDelivery',
  'RedrivePolicy',
  'DeliveryPolicy',
];
const subscriptionInput = (props: Record<string, unknown>, path: string, region: string) => {
  const { TopicArn, Protocol, Endpoint, Region, ...rest } = props;
  if (typeof TopicArn !== 'string' || typeof Protocol !== 'string' || typeof Endpoint !== 'string') {
    throw new ServerlessConfigError(path, 'an SNS subscription needs TopicArn, Protocol and Endpoint');
  }
  if (Region !== undefined && Region !== region) {
    throw new ServerlessConfigError(
      `${path}.Region`,
      `the local cloud deploys subscriptions in ${region} only`,
    );
  }
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (!SUBSCRIPTION_ATTRIBUTES.includes(k)) {
      throw new ServerlessConfigError(
        `${path}.${k}`,
        'is not a subscription property the local cloud deploys',
      );
    }
    attributes[k] = attributeValue(v);
  }
  return { TopicArn, Protocol, Endpoint, attributes };
};

/** Rule names allow 64 characters of `.-_A-Za-z0-9`; the spec id is long but readable, so shorten it. */
const ruleName = (model: ServerlessModel, rule: RuleSpec) =>
  `${model.service}-${model.stage}-${rule.id.replace(/^(functions|stepFunctions\.stateMachines)\./, '')}`
    .replace(/[^.\-_A-Za-z0-9]/g, '-')
    .slice(0, 64);

/**
 * Deploys what serverless.yml declares onto the local cloud: DynamoDB tables, event buses, functions (in
 * process), state machines, and each function's and state machine's rules and schedules with their
 * targets. Nothing is listed twice: serverless.yml is the one source.
 */
export const deployServerless = async (
  target: DeployTarget,
  model: ServerlessModel,
): Promise<DeployResult> => {
  const scope = { accountId: target.accountId, region: target.region };
  const result: DeployResult = {
    tables: [],
    buses: [],
    queues: [],
    busPolicies: [],
    topics: [],
    subscriptions: [],
    topicPolicies: [],
    functions: [],
    stateMachines: [],
    rules: [],
    skipped: [],
  };

  // A resource's intrinsics (`!Ref`, `!GetAtt`, `!Sub` with pseudo parameters) resolved as CloudFormation
  // would, for the resources deployed here; anything unresolvable is an error naming where it is.
  const propertiesOf = (r: ResourceSpec) =>
    resolveIntrinsics(
      r.properties,
      model.cloudFormation,
      `resources.Resources.${r.logicalId}.Properties`,
    ) as Record<string, unknown>;

  for (const raw of model.resources) {
    const deployed = [
      'AWS::DynamoDB::Table',
      'AWS::Events::EventBus',
      'AWS::SQS::Queue',
      'AWS::SNS::Topic',
    ].includes(raw.type);
    const r = deployed ? { ...raw, properties: propertiesOf(raw) } : raw;
    if (r.type === 'AWS::DynamoDB::Table' && target.dynamodb) {
      const client = new DynamoDBClient({
        endpoint: target.dynamodb.endpoint,
        region: target.region,
        credentials: target.dynamodb.credentials,
      });
      try {
        let created = true;
        try {
          await client.send(new CreateTableCommand(tableInput(r.properties)));
        } catch (e) {
          if (!(e instanceof ResourceInUseException)) throw e;
          created = false;
        }
        // CloudFormation turns TTL on with the table; CreateTable cannot, so it is a second call.
        const ttl = r.properties.TimeToLiveSpecification as
          | { AttributeName?: string; Enabled?: boolean }
          | undefined;
        if (created && ttl?.Enabled && ttl.AttributeName) {
          await client.send(
            new UpdateTimeToLiveCommand({
              TableName: String(r.properties.TableName),
              TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
            }),
          );
        }
      } finally {
        client.destroy();
      }
      result.tables.push(String(r.properties.TableName));
    } else if (r.type === 'AWS::Events::EventBus') {
      const name = String(r.properties.Name);
      try {
        target.services.events.createEventBus(scope, { Name: name });
      } catch (e) {
        if ((e as { code?: string }).code !== 'ResourceAlreadyExistsException') throw e;
      }
      result.buses.push(name);
    } else if (r.type === 'AWS::SQS::Queue') {
      const queue = target.services.sqs.createQueue(
        scope,
        String(r.properties.QueueName ?? `${model.service}-${model.stage}-${r.logicalId}`),
        queueAttributes(r.properties, `resources.Resources.${r.logicalId}.Properties`),
      );
      result.queues.push(queue.arn);
    } else if (r.type === 'AWS::SNS::Topic') {
      const path = `resources.Resources.${r.logicalId}.Properties`;
      const { attributes, tags, subscriptions } = topicInput(r.properties, path);
      const topic = withPath(path, () =>
        target.services.sns.declareTopic(
          scope,
          String(r.properties.TopicName ?? `${model.service}-${model.stage}-${r.logicalId}`),
          attributes,
          tags,
        ),
      );
      result.topics.push(topic.arn);
      subscriptions.forEach((sub, i) => {
        const s = withPath(`${path}.Subscription[${i}]`, () =>
          target.services.sns.subscribeAs(
            scope,
            topic.arn,
            sub.Protocol,
            sub.Endpoint,
            {},
            { declared: true },
          ),
        );
        result.subscriptions.push(s.arn);
      });
    } else if (
      r.type === 'AWS::Events::EventBusPolicy' ||
      r.type === 'AWS::SNS::TopicPolicy' ||
      r.type === 'AWS::SNS::Subscription'
    ) {
      // After every bus, topic and queue exists: below.
    } else {
      result.skipped.push(`${r.logicalId} (${r.type})`);
    }
  }

  // After every bus exists; they name their bus by `!Ref` (its name) and their resource by `!GetAtt <Bus>.Arn`.
  for (const r of model.resources) {
    if (r.type !== 'AWS::Events::EventBusPolicy') continue;
    const path = `resources.Resources.${r.logicalId}.Properties`;
    const props = propertiesOf(r);
    const { EventBusName, StatementId, Statement, ...rest } = props;
    if (Object.keys(rest).length > 0 || typeof StatementId !== 'string' || typeof Statement !== 'object') {
      throw new ServerlessConfigError(
        path,
        'the local cloud deploys a bus policy given as EventBusName, StatementId and Statement',
      );
    }
    try {
      target.services.events.putBusPolicyStatement(
        scope,
        typeof EventBusName === 'string' ? EventBusName : 'default',
        { ...(Statement as Record<string, unknown>), Sid: StatementId },
      );
    } catch (e) {
      throw new ServerlessConfigError(`${path}.Statement`, (e as Error).message);
    }
    result.busPolicies.push(`${r.logicalId} (${StatementId})`);
  }

  // After every topic exists; they name their topics by `!Ref <Topic>` (its ARN).
  for (const r of model.resources) {
    const path = `resources.Resources.${r.logicalId}.Properties`;
    if (r.type === 'AWS::SNS::TopicPolicy') {
      const { Topics, PolicyDocument, ...rest } = propertiesOf(r);
      if (
        Object.keys(rest).length > 0 ||
        !Array.isArray(Topics) ||
        Topics.some((t) => typeof t !== 'string') ||
        typeof PolicyDocument !== 'object' ||
        PolicyDocument === null
      ) {
        throw new ServerlessConfigError(
          path,
          'the local cloud deploys a topic policy given as Topics and PolicyDocument',
        );
      }
      // As CloudFormation: the document replaces each topic's whole policy.
      for (const [i, arn] of (Topics as string[]).entries()) {
        withPath(`${path}.Topics[${i}]`, () =>
          target.services.sns.setTopicPolicy(arn, JSON.stringify(PolicyDocument)),
        );
      }
      result.topicPolicies.push(r.logicalId);
    } else if (r.type === 'AWS::SNS::Subscription') {
      const sub = subscriptionInput(propertiesOf(r), path, target.region);
      const s = withPath(path, () =>
        target.services.sns.subscribeAs(scope, sub.TopicArn, sub.Protocol, sub.Endpoint, sub.attributes, {
          declared: true,
        }),
      );
      result.subscriptions.push(s.arn);
    }
  }

  const functionArns = new Map<string, string>();
  for (const f of model.functions) {
    const arn = target.runtime.register(f);
    functionArns.set(functionLogicalId(f.key), arn);
    result.functions.push(f.name);
  }

  const putRules = (rules: RuleSpec[], targetArn: string, roleArn?: string) => {
    for (const rule of rules) {
      const name = ruleName(model, rule);
      target.services.events.putRule(scope, {
        Name: name,
        EventBusName: rule.eventBus,
        ...(rule.pattern ? { EventPattern: JSON.stringify(rule.pattern) } : {}),
        ...(rule.schedule ? { ScheduleExpression: rule.schedule } : {}),
        State: rule.enabled ? 'ENABLED' : 'DISABLED',
      });
      const out = target.services.events.putTargets(scope, {
        Rule: name,
        EventBusName: rule.eventBus,
        Targets: [
          {
            Id: 'target-1',
            Arn: targetArn,
            ...(roleArn ? { RoleArn: roleArn } : {}),
            ...(rule.input !== undefined ? { Input: JSON.stringify(rule.input) } : {}),
            ...(rule.inputPath ? { InputPath: rule.inputPath } : {}),
            ...(rule.inputTransformer
              ? {
                  InputTransformer: {
                    InputTemplate: rule.inputTransformer.inputTemplate,
                    ...(rule.inputTransformer.inputPathsMap
                      ? { InputPathsMap: rule.inputTransformer.inputPathsMap }
                      : {}),
                  },
                }
              : {}),
            ...(rule.retryPolicy
              ? {
                  RetryPolicy: {
                    ...(rule.retryPolicy.maximumRetryAttempts !== undefined
                      ? { MaximumRetryAttempts: rule.retryPolicy.maximumRetryAttempts }
                      : {}),
                    ...(rule.retryPolicy.maximumEventAge !== undefined
                      ? { MaximumEventAgeInSeconds: rule.retryPolicy.maximumEventAge }
                      : {}),
                  },
                }
              : {}),
            ...(rule.deadLetterQueueArn ? { DeadLetterConfig: { Arn: rule.deadLetterQueueArn } } : {}),
          },
        ],
      }) as { FailedEntryCount?: number; FailedEntries?: unknown[] };
      if (out.FailedEntryCount) {
        throw new ServerlessConfigError(rule.id, `target refused: ${JSON.stringify(out.FailedEntries)}`);
      }
      result.rules.push(name);
    }
  };

  for (const f of model.functions) putRules(f.rules, functionArns.get(functionLogicalId(f.key))!);

  const sfnRole = `arn:aws:iam::${target.accountId}:role/${model.service}-${model.stage}-states`;
  for (const m of model.stateMachines) {
    // The model resolved its intrinsics (`!GetAtt <Fn>LambdaFunction.Arn` -> the function's ARN).
    const definition = m.definition;
    const { stateMachineArn } = target.services.sfn.createStateMachine(
      target.accountId,
      target.region,
      m.name,
      definition as object,
      sfnRole,
    );
    result.stateMachines.push(m.name);
    putRules(
      m.rules,
      stateMachineArn,
      `arn:aws:iam::${target.accountId}:role/${model.service}-${model.stage}-events`,
    );
  }
  return result;
};
