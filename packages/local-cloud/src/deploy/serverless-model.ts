import { z } from 'zod';
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
  /** The actions its `iamRoleStatements` (serverless-iam-roles-per-function) allow, as written. */
  allowedActions: string[];
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
  functions: FunctionSpec[];
  stateMachines: StateMachineSpec[];
  resources: ResourceSpec[];
}

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
  iamRoleStatements: z.array(z.unknown()).optional(),
  maximumRetryAttempts: z.number().int().min(0).max(2).optional(),
  maximumEventAge: z.number().int().min(60).max(21_600).optional(),
  destinations: z
    .strictObject({
      onFailure: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,80}$/,
          'the local cloud sends failures to SQS queues only',
        )
        .optional(),
      onSuccess: z.never({ error: 'the local cloud has no onSuccess destinations' }).optional(),
    })
    .optional(),
});
const stateMachineSchema = z.object({
  name: z.string().optional(),
  definition: z.record(z.string(), z.unknown()),
  events: z.array(functionEvent).optional(),
});
const configSchema = z.object({
  service: z.union([z.string(), z.object({ name: z.string() })]),
  provider: z.object({
    name: z.literal('aws'),
    stage: z.string(),
    region: z.string(),
    timeout: z.number().optional(),
    environment: stringMap.optional(),
  }),
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

type FunctionConfig = z.infer<typeof functionSchema>;

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
const functionEntries = (
  functions:
    | Record<string, FunctionConfig>
    | (Record<string, FunctionConfig> | null | undefined)[]
    | null
    | undefined,
): [string, FunctionConfig][] => {
  if (!Array.isArray(functions)) return Object.entries(functions ?? {});
  const seen = new Map<string, number>();
  return functions.flatMap((group, i) =>
    Object.entries(group ?? {}).map(([key, f]): [string, FunctionConfig] => {
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

/**
 * Reads serverless.yml into what the local cloud deploys: functions with their handler modules and
 * rules, state machines with their definitions and rules, and CloudFormation resources. A file that
 * does not fit is refused with the path of every problem.
 */
export const loadServerlessModel = (file: string, opts: ResolveOptions = {}): ServerlessModel => {
  const raw = loadServerlessConfig(file, opts);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ServerlessConfigError('(schema)', first);
  }
  const c = parsed.data;
  const service = typeof c.service === 'string' ? c.service : c.service.name;
  const stage = c.provider.stage;
  const resources: ResourceSpec[] = Object.entries(c.resources?.Resources ?? {}).map(([logicalId, r]) => ({
    logicalId,
    type: r.Type,
    properties: r.Properties ?? {},
  }));
  const functions = functionEntries(c.functions).map(([key, f]): FunctionSpec => {
    const dot = f.handler.lastIndexOf('.');
    return {
      key,
      name: f.name ?? `${service}-${stage}-${key}`,
      handler: { module: f.handler.slice(0, dot), exportName: f.handler.slice(dot + 1) },
      environment: { ...(c.provider.environment ?? {}), ...(f.environment ?? {}) },
      timeoutSeconds: f.timeout ?? c.provider.timeout ?? 6,
      rules: rulesOf(`functions.${key}`, f.events, resources),
      allowedActions: allowedActionsOf(f.iamRoleStatements),
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
  return { service, stage, region: c.provider.region, functions, stateMachines, resources };
};
