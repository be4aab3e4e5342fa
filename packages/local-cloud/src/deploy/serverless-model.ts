import { z } from 'zod';
import {
  type CloudFormationScope,
  DEFAULT_ROLE_LOGICAL_ID,
  defaultRoleName,
  functionLogicalId,
  functionRoleLogicalId,
  functionRoleName,
  normalizedName,
  type ResolvedResource,
  resolveIntrinsics,
  resolveIntrinsicsLeniently,
} from './cloudformation';
import { loadServerlessConfig, type ResolveOptions, ServerlessConfigError } from './serverless-config';

/** What an EventBridge rule of a function or state machine says, normalised from serverless.yml. */
export interface RuleSpec {
  /** Stable id for the rule: `<owner>-rule-<n>`. */
  id: string;
  eventBus: string;
  pattern?: Record<string, unknown>;
  schedule?: string;
  enabled: boolean;
  input?: unknown;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAge?: number };
  deadLetterQueueArn?: string;
}

export interface FunctionSpec {
  key: string;
  /** The deployed function name: `<service>-<stage>-<key>`. */
  name: string;
  /** `services/build/src/handlers/launch-builder.handler` -> module path and export name. */
  handler: { module: string; exportName: string };
  environment: Record<string, string>;
  timeoutSeconds: number;
  rules: RuleSpec[];
  /**
   * The actions its role's Allow statements name, as written: its `iamRoleStatements` and, when it
   * inherits them, the provider's `iam.role.statements` (serverless-iam-roles-per-function); the
   * provider's alone when it has the provider's default role.
   */
  allowedActions: string[];
  /**
   * The name of its execution role: its own (`<service>-<stage>-<key>-<region>-lambdaRole`, or its
   * `iamRoleStatementsName`) with serverless-iam-roles-per-function and `iamRoleStatements`, otherwise the
   * provider's default role that every such function shares. Absent: named as its own role would be.
   */
  roleName?: string;
  /**
   * How Lambda handles its asynchronous invocations (EventBridge's): retries of a function error
   * (`maximumRetryAttempts`, 0 to 2, default 2), the age past which an event is dropped
   * (`maximumEventAge`, 60 to 21600 seconds, default 21600), and where a failed one goes
   * (`destinations.onFailure`, an SQS queue ARN here). Lambda's defaults when absent.
   */
  async?: AsyncInvokeConfig;
}

export interface AsyncInvokeConfig {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  onFailure?: string;
}

/** Lambda's defaults for asynchronous invocation. */
export const DEFAULT_ASYNC_INVOKE_CONFIG: AsyncInvokeConfig = {
  maximumRetryAttempts: 2,
  maximumEventAgeSeconds: 21_600,
};

export interface StateMachineSpec {
  key: string;
  name: string;
  definition: Record<string, unknown>;
  rules: RuleSpec[];
}

export interface ResourceSpec {
  logicalId: string;
  type: string;
  properties: Record<string, unknown>;
}

export interface ServerlessModel {
  service: string;
  stage: string;
  region: string;
  /** The `plugins` the file lists, in order. */
  plugins: string[];
  /**
   * How `osls package` packages the functions: one zip each (`package.individually`), built by
   * serverless-esbuild with `custom.esbuild`. The local cloud runs the handlers' sources in process
   * instead; it reads these to refuse what it could not stand in for.
   */
  packaging: { individually: boolean; bundler?: 'serverless-esbuild'; esbuild?: EsbuildOptions };
  functions: FunctionSpec[];
  stateMachines: StateMachineSpec[];
  resources: ResourceSpec[];
  /** What CloudFormation fills in for this deployment's intrinsics, for the resources deploy resolves. */
  cloudFormation: CloudFormationScope;
}

/** The serverless-esbuild options of `custom.esbuild` the project uses (others are kept as written). */
export interface EsbuildOptions {
  bundle?: boolean;
  minify?: boolean;
  keepNames?: boolean;
  sourcemap?: boolean | 'inline' | 'external' | 'linked' | 'both';
  target?: string;
  platform?: 'node';
  exclude?: string[];
  external?: string[];
  [option: string]: unknown;
}

/** The plugins whose meaning the local cloud reproduces. */
const PLUGINS = {
  esbuild: 'serverless-esbuild',
  stepFunctions: 'serverless-step-functions',
  rolesPerFunction: 'serverless-iam-roles-per-function',
} as const;

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const eventBridgeEvent = z.object({
  eventBus: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  pattern: z.record(z.string(), z.unknown()).optional(),
  schedule: z.string().optional(),
  enabled: z.boolean().optional(),
  input: z.unknown().optional(),
  inputPath: z.string().optional(),
  inputTransformer: z
    .object({ inputPathsMap: z.record(z.string(), z.string()).optional(), inputTemplate: z.string() })
    .optional(),
  retryPolicy: z
    .object({ maximumRetryAttempts: z.number().optional(), maximumEventAge: z.number().optional() })
    .optional(),
  deadLetterQueueArn: z.string().optional(),
});
const scheduleEvent = z.union([
  z.string(),
  z.object({
    rate: z.union([z.string(), z.array(z.string())]),
    enabled: z.boolean().optional(),
    input: z.unknown().optional(),
  }),
]);
const statements = z.array(z.unknown());
const functionEvent = z.union([
  z.object({ eventBridge: eventBridgeEvent }),
  z.object({ schedule: scheduleEvent }),
]);
const functionSchema = z.object({
  handler: z.string().regex(/^[\w./-]+\.\w+$/, 'must be <path>.<export>'),
  name: z.string().optional(),
  environment: stringMap.optional(),
  timeout: z.number().positive().optional(),
  events: z.array(functionEvent).optional(),
  // Read leniently: only the Allow statements' actions are kept; Resource and Condition are not evaluated.
  iamRoleStatements: statements.optional(),
  iamRoleStatementsName: z.string().min(1).max(64).optional(),
  iamRoleStatementsInherit: z.boolean().optional(),
  maximumRetryAttempts: z.number().int().min(0).max(2).optional(),
  maximumEventAge: z.number().int().min(60).max(21_600).optional(),
  destinations: z
    .strictObject({
      // An ARN, or `{ type, arn }` (the form an ARN from an intrinsic takes).
      onFailure: z
        .union([
          z.string(),
          z.strictObject({
            type: z.literal('sqs', { error: 'the local cloud sends failures to SQS queues only' }),
            arn: z.string(),
          }),
        ])
        .transform((d) => (typeof d === 'string' ? d : d.arn))
        .pipe(
          z
            .string()
            .regex(
              /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,80}$/,
              'the local cloud sends failures to SQS queues only',
            ),
        )
        .optional(),
      onSuccess: z.never({ error: 'the local cloud has no onSuccess destinations' }).optional(),
    })
    .optional(),
});
const stateMachineSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  definition: z.record(z.string(), z.unknown()),
  events: z.array(functionEvent).optional(),
});
const esbuildOptions = z
  .object({
    bundle: z.boolean().optional(),
    minify: z.boolean().optional(),
    keepNames: z.boolean().optional(),
    sourcemap: z.union([z.boolean(), z.enum(['inline', 'external', 'linked', 'both'])]).optional(),
    target: z.string().optional(),
    platform: z.literal('node', { error: 'Lambda runs the bundles on Node' }).optional(),
    exclude: z.array(z.string()).optional(),
    external: z.array(z.string()).optional(),
  })
  .catchall(z.unknown());
const configSchema = z.object({
  service: z.union([z.string(), z.object({ name: z.string() })]),
  plugins: z.array(z.string()).optional(),
  package: z
    .object({
      individually: z.boolean().optional(),
      patterns: z.array(z.string()).optional(),
    })
    .optional(),
  provider: z.object({
    name: z.literal('aws'),
    stage: z.string(),
    region: z.string(),
    timeout: z.number().optional(),
    environment: stringMap.optional(),
    iam: z
      .object({
        role: z.object({ name: z.string().optional(), statements: statements.optional() }).optional(),
      })
      .optional(),
    // Serverless v2's spelling of `iam.role.statements`, which serverless-iam-roles-per-function still reads.
    iamRoleStatements: statements.optional(),
  }),
  custom: z
    .object({
      esbuild: esbuildOptions.optional(),
      'serverless-iam-roles-per-function': z.object({ defaultInherit: z.boolean().optional() }).optional(),
    })
    .nullish(),
  // Serverless v3 takes a map, or a list of maps (one `${file(...)}` per service) merged in order.
  functions: z
    .union([z.record(z.string(), functionSchema), z.array(z.record(z.string(), functionSchema).nullish())])
    .nullish(),
  stepFunctions: z.object({ stateMachines: z.record(z.string(), stateMachineSchema).nullish() }).nullish(),
  resources: z
    .object({
      Resources: z
        .record(
          z.string(),
          z.object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()).optional() }),
        )
        .optional(),
    })
    .nullish(),
});

const busName = (bus: unknown): string => {
  if (bus === undefined) return 'default';
  if (typeof bus === 'string') return bus.includes(':event-bus/') ? bus.split(':event-bus/')[1]! : bus;
  // `{ Ref: EventBus }` / `{ Fn::GetAtt: [EventBus, Arn] }`: resolved against resources by the caller.
  return JSON.stringify(bus);
};

const rulesOf = (
  owner: string,
  events: z.infer<typeof functionEvent>[] | undefined,
  resources: ResourceSpec[],
): RuleSpec[] =>
  (events ?? []).flatMap((e, i): RuleSpec[] => {
    if ('eventBridge' in e) {
      const eb = e.eventBridge;
      if (!eb.pattern && !eb.schedule) {
        throw new ServerlessConfigError(`${owner}.events[${i}].eventBridge`, 'needs a pattern or a schedule');
      }
      return [
        {
          id: `${owner}-rule-${i + 1}`,
          eventBus: resolveBusRef(eb.eventBus, resources, `${owner}.events[${i}]`),
          enabled: eb.enabled ?? true,
          ...(eb.pattern ? { pattern: eb.pattern } : {}),
          ...(eb.schedule ? { schedule: eb.schedule } : {}),
          ...(eb.input !== undefined ? { input: eb.input } : {}),
          ...(eb.inputPath ? { inputPath: eb.inputPath } : {}),
          ...(eb.inputTransformer ? { inputTransformer: eb.inputTransformer } : {}),
          ...(eb.retryPolicy ? { retryPolicy: eb.retryPolicy } : {}),
          ...(eb.deadLetterQueueArn ? { deadLetterQueueArn: eb.deadLetterQueueArn } : {}),
        },
      ];
    }
    const s = e.schedule;
    const spec =
      typeof s === 'string'
        ? { rate: [s], enabled: true }
        : { ...s, rate: Array.isArray(s.rate) ? s.rate : [s.rate] };
    return spec.rate.map((rate, j) => ({
      id: `${owner}-schedule-${i + 1}${spec.rate.length > 1 ? `-${j + 1}` : ''}`,
      eventBus: 'default',
      schedule: rate,
      enabled: spec.enabled ?? true,
      ...('input' in spec && spec.input !== undefined ? { input: spec.input } : {}),
    }));
  });

const resolveBusRef = (bus: unknown, resources: ResourceSpec[], path: string): string => {
  if (bus === undefined || typeof bus === 'string') return busName(bus);
  const ref = (bus as { Ref?: string }).Ref ?? ((bus as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'] ?? [])[0];
  const res = resources.find((r) => r.logicalId === ref && r.type === 'AWS::Events::EventBus');
  if (!res || typeof res.properties.Name !== 'string') {
    throw new ServerlessConfigError(
      `${path}.eventBridge.eventBus`,
      `refers to ${JSON.stringify(bus)}, which is not an event bus of resources`,
    );
  }
  return res.properties.Name;
};

/** The actions of the `Effect: Allow` statements (`Action` a string or a list). */
const allowedActionsOf = (statements: unknown[] | undefined): string[] => {
  const actions = new Set<string>();
  for (const st of statements ?? []) {
    if (typeof st !== 'object' || st === null) continue;
    const { Effect, Action } = st as { Effect?: unknown; Action?: unknown };
    if (Effect !== 'Allow') continue;
    for (const a of Array.isArray(Action) ? Action : [Action]) if (typeof a === 'string') actions.add(a);
  }
  return [...actions];
};

/** The functions of a map or of a list of maps; a key defined twice is refused, not overridden. */
const functionEntries = <F>(
  functions: Record<string, F> | (Record<string, F> | null | undefined)[] | null | undefined,
): [string, F][] => {
  if (!Array.isArray(functions)) return Object.entries(functions ?? {});
  const seen = new Map<string, number>();
  return functions.flatMap((group, i) =>
    Object.entries(group ?? {}).map(([key, f]): [string, F] => {
      const first = seen.get(key);
      if (first !== undefined) {
        throw new ServerlessConfigError(
          `functions[${i}].${key}`,
          `is already defined by functions[${first}]`,
        );
      }
      seen.set(key, i);
      return [key, f];
    }),
  );
};

/** Maps each function of a map or a list of maps, keeping the shape. */
const mapFunctions = (
  functions: unknown,
  fn: (key: string, f: Record<string, unknown>) => Record<string, unknown>,
): unknown => {
  const mapGroup = (group: unknown) =>
    typeof group === 'object' && group !== null
      ? Object.fromEntries(
          Object.entries(group).map(([key, f]) => [
            key,
            typeof f === 'object' && f !== null ? fn(key, f as Record<string, unknown>) : f,
          ]),
        )
      : group;
  return Array.isArray(functions) ? functions.map(mapGroup) : mapGroup(functions);
};

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/**
 * An issue as a person reads it: a union (a map or a list of maps of functions; an ARN or `{ type, arn }`)
 * that fits no branch is told by the branch that got furthest, not as "Invalid input".
 */
const describeIssue = (issue: Issue, prefix: PropertyKey[] = []): string[] => {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors?.length) {
    const depth = (branch: Issue[]) => Math.max(...branch.map((i) => i.path.length));
    const furthest = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    return furthest.flatMap((i) => describeIssue(i, path));
  }
  return [`${path.map(String).join('.') || '(root)'}: ${issue.message}`];
};

const schemaError = (error: z.ZodError): ServerlessConfigError =>
  new ServerlessConfigError('(schema)', error.issues.flatMap((i) => describeIssue(i as Issue)).join('; '));

/** Enough of the file to know what its intrinsics can name, before they are resolved. */
const functionShape = z.object({
  name: z.string().optional(),
  iamRoleStatements: z.unknown().optional(),
  iamRoleStatementsName: z.string().optional(),
});
const shapeSchema = z.object({
  service: z.union([z.string(), z.object({ name: z.string() })]),
  plugins: z.array(z.string()).optional(),
  provider: z.object({
    stage: z.string(),
    region: z.string(),
    iam: z.object({ role: z.object({ name: z.unknown().optional() }).optional() }).optional(),
  }),
  functions: z
    .union([z.record(z.string(), functionShape), z.array(z.record(z.string(), functionShape).nullish())])
    .nullish(),
  stepFunctions: z
    .object({
      stateMachines: z
        .record(z.string(), z.object({ id: z.string().optional(), name: z.string().optional() }))
        .nullish(),
    })
    .nullish(),
  resources: z
    .object({
      Resources: z
        .record(
          z.string(),
          z.object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()).optional() }),
        )
        .optional(),
    })
    .nullish(),
});
type Shape = z.infer<typeof shapeSchema>;

interface Naming {
  service: string;
  stage: string;
  region: string;
  accountId: string;
  rolesPerFunction: boolean;
  defaultRole: string;
}

/** The role a function's calls act as (see `FunctionSpec.roleName`). */
const roleOf = (
  naming: Naming,
  key: string,
  f: z.infer<typeof functionShape>,
): { own: boolean; name: string } =>
  naming.rolesPerFunction && f.iamRoleStatements !== undefined
    ? {
        own: true,
        name:
          f.iamRoleStatementsName ??
          functionRoleName(naming.service, naming.stage, key, naming.region, `functions.${key}`),
      }
    : { own: false, name: naming.defaultRole };

/**
 * What the deployment's intrinsics can name: the resources of `resources` the local cloud knows the
 * answers of (queues, topics, buses, tables, roles), each function (`<Key>LambdaFunction`) and its role
 * (`<Key>IamRoleLambdaExecution`, or the provider's `IamRoleLambdaExecution`), and each state machine
 * (its `id`, else its name, as serverless-step-functions names it).
 */
const cloudFormationScope = (shape: Shape, naming: Naming): CloudFormationScope => {
  const { accountId, region, service, stage } = naming;
  const resources = new Map<string, ResolvedResource>();
  const base: CloudFormationScope = {
    accountId,
    region,
    partition: 'aws',
    stackName: `${service}-${stage}`,
    resources,
  };
  const roleArn = (name: string) => `arn:aws:iam::${accountId}:role/${name}`;
  for (const [logicalId, r] of Object.entries(shape.resources?.Resources ?? {})) {
    // Names may be intrinsics themselves (`!Sub '${AWS::StackName}-dlq'`): pseudo parameters only.
    const props = resolveIntrinsicsLeniently(r.Properties ?? {}, base) as Record<string, unknown>;
    const named = (k: string) => (typeof props[k] === 'string' ? (props[k] as string) : undefined);
    const type = r.Type;
    if (type === 'AWS::SQS::Queue') {
      const name = named('QueueName') ?? `${service}-${stage}-${logicalId}`;
      const url = `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
      resources.set(logicalId, {
        type,
        ref: url,
        attributes: { Arn: `arn:aws:sqs:${region}:${accountId}:${name}`, QueueName: name, QueueUrl: url },
      });
    } else if (type === 'AWS::SNS::Topic') {
      // CloudFormation names an unnamed topic `<stack>-<logical id>-<random suffix>`; the local cloud
      // leaves the suffix out, so the name is the same on every deploy.
      const name = named('TopicName') ?? `${service}-${stage}-${logicalId}`;
      const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
      resources.set(logicalId, { type, ref: arn, attributes: { TopicArn: arn, TopicName: name } });
    } else if (type === 'AWS::Events::EventBus' && named('Name')) {
      const name = named('Name')!;
      resources.set(logicalId, {
        type,
        ref: name,
        attributes: { Arn: `arn:aws:events:${region}:${accountId}:event-bus/${name}`, Name: name },
      });
    } else if (type === 'AWS::DynamoDB::Table' && named('TableName')) {
      const name = named('TableName')!;
      resources.set(logicalId, {
        type,
        ref: name,
        attributes: { Arn: `arn:aws:dynamodb:${region}:${accountId}:table/${name}` },
      });
    } else if (type === 'AWS::IAM::Role' && named('RoleName')) {
      const name = named('RoleName')!;
      resources.set(logicalId, { type, ref: name, attributes: { Arn: roleArn(name) } });
    }
  }
  resources.set(DEFAULT_ROLE_LOGICAL_ID, {
    type: 'AWS::IAM::Role',
    ref: naming.defaultRole,
    attributes: { Arn: roleArn(naming.defaultRole) },
  });
  for (const [key, f] of functionEntries(shape.functions)) {
    const name = f.name ?? `${service}-${stage}-${key}`;
    resources.set(functionLogicalId(key), {
      type: 'AWS::Lambda::Function',
      ref: name,
      attributes: { Arn: `arn:aws:lambda:${region}:${accountId}:function:${name}` },
    });
    const role = roleOf(naming, key, f);
    if (role.own) {
      resources.set(functionRoleLogicalId(key), {
        type: 'AWS::IAM::Role',
        ref: role.name,
        attributes: { Arn: roleArn(role.name) },
      });
    }
  }
  for (const [key, m] of Object.entries(shape.stepFunctions?.stateMachines ?? {})) {
    const name = m.name ?? `${service}-${stage}-${key}`;
    const custom = m.id ?? m.name;
    const arn = `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
    resources.set(custom ? normalizedName(custom) : `${normalizedName(key)}StepFunctionsStateMachine`, {
      type: 'AWS::StepFunctions::StateMachine',
      ref: arn,
      attributes: { Arn: arn, Name: name },
    });
  }
  return base;
};

/**
 * Reads serverless.yml into what the local cloud deploys: functions with their handler modules, rules
 * and roles, state machines with their definitions and rules, and CloudFormation resources. Intrinsics
 * (`!Sub` with pseudo parameters, `!GetAtt`, `!Ref`) are resolved as CloudFormation would for this
 * account and region wherever the local cloud reads them. A file that does not fit is refused with the
 * path of every problem.
 */
export const loadServerlessModel = (file: string, opts: ResolveOptions = {}): ServerlessModel => {
  const raw = loadServerlessConfig(file, opts);
  const shaped = shapeSchema.safeParse(raw);
  if (!shaped.success) {
    const full = configSchema.safeParse(raw);
    throw schemaError(full.success ? shaped.error : full.error);
  }
  const shape = shaped.data;
  const service = typeof shape.service === 'string' ? shape.service : shape.service.name;
  const { stage, region } = shape.provider;
  const plugins = shape.plugins ?? [];
  const naming: Naming = {
    service,
    stage,
    region,
    accountId: opts.accountId ?? '000000000000',
    rolesPerFunction: plugins.includes(PLUGINS.rolesPerFunction),
    defaultRole:
      typeof shape.provider.iam?.role?.name === 'string'
        ? shape.provider.iam.role.name
        : defaultRoleName(service, stage, region),
  };
  const scope = cloudFormationScope(shape, naming);

  // Strictly where the local cloud reads the values; IAM statements only for their actions.
  const strict = (value: unknown, path: string) => resolveIntrinsics(value, scope, path);
  const rawConfig = raw as Record<string, unknown>;
  const provider = rawConfig.provider as Record<string, unknown>;
  const resolved = {
    ...rawConfig,
    provider: {
      ...(resolveIntrinsicsLeniently(provider, scope) as Record<string, unknown>),
      environment: strict(provider.environment, 'provider.environment'),
    },
    functions: mapFunctions(rawConfig.functions, (key, f) => ({
      ...(resolveIntrinsicsLeniently(f, scope) as Record<string, unknown>),
      environment: strict(f.environment, `functions.${key}.environment`),
      destinations: strict(f.destinations, `functions.${key}.destinations`),
      events: strict(f.events, `functions.${key}.events`),
    })),
    stepFunctions: strict(rawConfig.stepFunctions, 'stepFunctions'),
  };
  const parsed = configSchema.safeParse(resolved);
  if (!parsed.success) throw schemaError(parsed.error);
  const c = parsed.data;
  if (c.stepFunctions?.stateMachines && Object.keys(c.stepFunctions.stateMachines).length > 0) {
    if (!plugins.includes(PLUGINS.stepFunctions)) {
      throw new ServerlessConfigError(
        'stepFunctions',
        `state machines need the ${PLUGINS.stepFunctions} plugin in plugins, or osls deploys none`,
      );
    }
  }
  const esbuild = c.custom?.esbuild;
  if (esbuild && !plugins.includes(PLUGINS.esbuild)) {
    throw new ServerlessConfigError(
      'custom.esbuild',
      `is read by ${PLUGINS.esbuild}, which plugins does not list`,
    );
  }
  const resources: ResourceSpec[] = Object.entries(c.resources?.Resources ?? {}).map(([logicalId, r]) => ({
    logicalId,
    type: r.Type,
    properties: r.Properties ?? {},
  }));
  const providerStatements = c.provider.iam?.role?.statements ?? c.provider.iamRoleStatements ?? [];
  const defaultInherit = c.custom?.['serverless-iam-roles-per-function']?.defaultInherit ?? false;
  const functions = functionEntries(c.functions).map(([key, f]): FunctionSpec => {
    const dot = f.handler.lastIndexOf('.');
    const role = roleOf(naming, key, f);
    const inherits = f.iamRoleStatementsInherit ?? defaultInherit;
    const statements = role.own
      ? [...(f.iamRoleStatements ?? []), ...(inherits ? providerStatements : [])]
      : providerStatements;
    return {
      key,
      name: f.name ?? `${service}-${stage}-${key}`,
      handler: { module: f.handler.slice(0, dot), exportName: f.handler.slice(dot + 1) },
      environment: { ...(c.provider.environment ?? {}), ...(f.environment ?? {}) },
      timeoutSeconds: f.timeout ?? c.provider.timeout ?? 6,
      rules: rulesOf(`functions.${key}`, f.events, resources),
      allowedActions: allowedActionsOf(statements),
      roleName: role.name,
      async: {
        maximumRetryAttempts: f.maximumRetryAttempts ?? DEFAULT_ASYNC_INVOKE_CONFIG.maximumRetryAttempts,
        maximumEventAgeSeconds: f.maximumEventAge ?? DEFAULT_ASYNC_INVOKE_CONFIG.maximumEventAgeSeconds,
        ...(f.destinations?.onFailure ? { onFailure: f.destinations.onFailure } : {}),
      },
    };
  });
  const stateMachines = Object.entries(c.stepFunctions?.stateMachines ?? {}).map(
    ([key, m]): StateMachineSpec => ({
      key,
      name: m.name ?? `${service}-${stage}-${key}`,
      definition: m.definition,
      rules: rulesOf(`stepFunctions.stateMachines.${key}`, m.events, resources),
    }),
  );
  return {
    service,
    stage,
    region,
    plugins,
    packaging: {
      individually: c.package?.individually ?? false,
      ...(plugins.includes(PLUGINS.esbuild) ? { bundler: PLUGINS.esbuild } : {}),
      ...(esbuild ? { esbuild } : {}),
    },
    functions,
    stateMachines,
    resources,
    cloudFormation: scope,
  };
};
