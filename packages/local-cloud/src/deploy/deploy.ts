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
  functions: string[];
  stateMachines: string[];
  rules: string[];
  /** Resources the local cloud does not emulate (by logical id and type): deployed nowhere, named here. */
  skipped: string[];
}

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
    const deployed = ['AWS::DynamoDB::Table', 'AWS::Events::EventBus', 'AWS::SQS::Queue'].includes(raw.type);
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
    } else if (r.type === 'AWS::Events::EventBusPolicy') {
      // After every bus exists: below.
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
