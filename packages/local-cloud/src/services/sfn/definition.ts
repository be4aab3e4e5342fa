import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { AwsError } from '../../errors';
import { StateMachine } from './interpreter';

/**
 * Definition checks and the rewrite the engine runs. `CreateStateMachine` refuses what AWS refuses
 * (through the library's ASL validator) and, in addition, what the embedded engine cannot run, naming
 * the problem and where it is, so a definition that the local cloud accepts runs the same way in AWS.
 *
 * The rewrite hands the parts that must follow the simulated clock to the emulator: every Task and Wait
 * becomes a Task whose resource is overridden by an in-process handler (see `engine.ts`), Task `Retry`
 * moves into that handler, and the engine's real-time timers are pushed out of reach.
 */

export const STATE_TYPES = ['Task', 'Pass', 'Choice', 'Wait', 'Succeed', 'Fail', 'Map', 'Parallel'] as const;
export type StateType = (typeof STATE_TYPES)[number];

export type AslState = { Type: string } & Record<string, unknown>;
interface AslScope extends Record<string, unknown> {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/** How a Task reaches Lambda: a function ARN as its resource, or the `lambda:invoke` integration. */
export type LambdaTarget = { kind: 'function'; functionArn: string } | { kind: 'invoke' };

export interface StateInfo {
  name: string;
  type: StateType;
  /** The state as the caller defined it. */
  def: AslState;
  /** The Map and Parallel states around it, innermost first. */
  containers: string[];
  lambda?: LambdaTarget;
  /**
   * A Task's `Parameters`, with the context paths rewritten: the emulator's handler evaluates them for
   * each attempt (each has its own `$$.State.RetryCount`), so the engine runs the Task without them.
   */
  parameters?: unknown;
  /** Set for states the rewrite adds: they run, but never appear in the execution history. */
  retryGateOf?: string;
}

export interface CompiledDefinition {
  /** The definition text as the caller sent it (DescribeStateMachine returns it unchanged). */
  text: string;
  states: ReadonlyMap<string, StateInfo>;
  /** The library's machine over the rewritten definition; `run` is independent per execution. */
  engine: StateMachine;
  /** The execution's `TimeoutSeconds`, enforced on the simulated clock. */
  timeoutSeconds?: number;
  /** Map and Parallel states with a `Retry`: the engine retries them, the emulator paces the retries. */
  retriedContainers: string[];
}

/**
 * The engine races every Task against a real `setTimeout` of its `TimeoutSeconds` (60 s by default). The
 * emulator enforces task timeouts on the simulated clock instead, so it gives the engine the largest
 * delay `setTimeout` honours (2^31-1 ms; above that Node fires after 1 ms).
 */
export const ENGINE_TASK_TIMEOUT_SECONDS = 2_147_483;

/** A resource string for rewritten states: never called, because a local handler overrides each one. */
const OVERRIDDEN_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:local-cloud-overridden';

/**
 * Where the emulator keeps the context values the engine would otherwise get wrong: the library sets
 * `$$.Execution.StartTime` from the real clock and `$$.Execution.Input` to a Map iteration's own input.
 */
export const SIMULATED_CONTEXT_KEY = 'LocalCloudSimulated';

const GATE_PREFIX = 'LocalCloudRetryGate:';

const LAMBDA_FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::(?:\$LATEST|[A-Za-z0-9_-]+))?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

/** Fields that belong to JSONata or to variables, which the engine does not implement. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  Assign: 'variables ("Assign")',
  Arguments: 'JSONata "Arguments"',
  Output: 'JSONata "Output"',
  Items: 'JSONata "Items"',
  Credentials: 'cross-account task "Credentials"',
};

const DISTRIBUTED_MAP_FIELDS = [
  'ItemReader',
  'ItemBatcher',
  'ResultWriter',
  'ToleratedFailurePercentage',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCount',
  'ToleratedFailureCountPath',
  'Label',
];

const invalidDefinition = (problems: string[]): AwsError =>
  new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${problems.join(', ')}'`);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses, validates and compiles a definition; every refusal is `InvalidDefinition` naming the problem. */
export const compileDefinition = (text: string): CompiledDefinition => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalidDefinition([`INVALID_JSON_DESCRIPTION: ${(e as Error).message}`]);
  }
  if (!isObject(parsed))
    throw invalidDefinition(['SCHEMA_VALIDATION_FAILED: the definition must be a JSON object']);

  const states = new Map<string, StateInfo>();
  const problems: string[] = [];
  checkScope(parsed, '', [], states, problems);
  if (problems.length > 0) throw invalidDefinition(problems);

  const libraryProblems = validateWithLibrary(text, parsed);
  if (libraryProblems.length > 0) throw invalidDefinition(libraryProblems);

  const machine = parsed as AslScope & { TimeoutSeconds?: number };
  const retriedContainers: string[] = [];
  const rewritten = rewriteScope(machine, states, retriedContainers);
  delete rewritten.TimeoutSeconds;
  const engineDefinition = rewriteContextPaths(rewritten) as unknown as StateMachineDefinition;
  return {
    text,
    states,
    // Validated above, in its original form; the rewrite only adds states the validator would not know.
    engine: new StateMachine(engineDefinition, { validationOptions: { noValidate: true } }),
    ...(typeof machine.TimeoutSeconds === 'number' ? { timeoutSeconds: machine.TimeoutSeconds } : {}),
    retriedContainers,
  };
};

/**
 * The library's validator (asl-validator): schema, transitions, reachability, JSONPaths and ARNs. It
 * builds a fresh JSON-schema compiler on every call (about half a second), so verdicts are remembered by
 * definition text: the same definition is typically created in several accounts and regions, and again
 * on every idempotent CreateStateMachine.
 */
const libraryVerdicts = new Map<string, string[]>();
const MAX_REMEMBERED_VERDICTS = 256;

const validateWithLibrary = (text: string, parsed: Record<string, unknown>): string[] => {
  const known = libraryVerdicts.get(text);
  if (known) return known;
  let problems: string[] = [];
  try {
    // On a copy: the validator writes a default QueryLanguage into every state it checks.
    new StateMachine(structuredClone(parsed) as unknown as StateMachineDefinition);
  } catch (e) {
    problems = (e as Error).message
      .replace(/^State machine definition is invalid, see error\(s\) below:\s*/, '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
  }
  if (libraryVerdicts.size >= MAX_REMEMBERED_VERDICTS)
    libraryVerdicts.delete(libraryVerdicts.keys().next().value!);
  libraryVerdicts.set(text, problems);
  return problems;
};

const checkScope = (
  scope: Record<string, unknown>,
  path: string,
  containers: string[],
  states: Map<string, StateInfo>,
  problems: string[],
): void => {
  if (scope.QueryLanguage === 'JSONata') {
    problems.push(
      `UNSUPPORTED_FEATURE: JSONata is not supported by the local cloud's engine (JSONPath only) at ${path}/QueryLanguage`,
    );
  }
  if (!isObject(scope.States)) return; // the library's validator names the missing field
  for (const [name, state] of Object.entries(scope.States)) {
    const at = `${path}/States/${name}`;
    if (!isObject(state)) {
      problems.push(`SCHEMA_VALIDATION_FAILED: a state must be a JSON object at ${at}`);
      continue;
    }
    const type = state.Type;
    if (typeof type !== 'string' || !(STATE_TYPES as readonly string[]).includes(type)) {
      problems.push(
        `SCHEMA_VALIDATION_FAILED: ${JSON.stringify(type ?? null)} is not a valid state type (one of ${STATE_TYPES.join(', ')}) at ${at}/Type`,
      );
      continue;
    }
    // The engine keys Task and Wait overrides by state name, in every branch and iteration at once.
    if (states.has(name)) {
      problems.push(
        `SCHEMA_VALIDATION_FAILED: the state name "${name}" is used more than once; names must be unique in the whole state machine at ${at}`,
      );
      continue;
    }
    const info: StateInfo = { name, type: type as StateType, def: state as AslState, containers };
    states.set(name, info);

    for (const [field, what] of Object.entries(UNSUPPORTED_FIELDS)) {
      if (field in state)
        problems.push(
          `UNSUPPORTED_FEATURE: ${what} is not supported by the local cloud's engine at ${at}/${field}`,
        );
    }
    if (state.QueryLanguage === 'JSONata') {
      problems.push(
        `UNSUPPORTED_FEATURE: JSONata is not supported by the local cloud's engine at ${at}/QueryLanguage`,
      );
    }

    if (type === 'Task') checkTask(info, at, problems);
    if (type === 'Map') {
      for (const field of DISTRIBUTED_MAP_FIELDS) {
        if (field in state)
          problems.push(
            `UNSUPPORTED_FEATURE: Distributed Map ("${field}") is not supported by the local cloud's engine at ${at}/${field}`,
          );
      }
      const processorField = 'ItemProcessor' in state ? 'ItemProcessor' : 'Iterator';
      const processor = state[processorField];
      if (isObject(processor)) {
        const config = processor.ProcessorConfig;
        if (isObject(config) && config.Mode === 'DISTRIBUTED') {
          problems.push(
            `UNSUPPORTED_FEATURE: Distributed Map is not supported by the local cloud's engine (inline Map only) at ${at}/${processorField}/ProcessorConfig/Mode`,
          );
        }
        checkScope(processor, `${at}/${processorField}`, [name, ...containers], states, problems);
      }
    }
    if (type === 'Parallel' && Array.isArray(state.Branches)) {
      state.Branches.forEach((branch, i) => {
        if (isObject(branch))
          checkScope(branch, `${at}/Branches[${i}]`, [name, ...containers], states, problems);
      });
    }
  }
};

const checkTask = (info: StateInfo, at: string, problems: string[]): void => {
  const resource = info.def.Resource;
  if (typeof resource !== 'string') return; // the library's validator reports it
  if (resource.endsWith('.waitForTaskToken') || resource.endsWith('.sync') || resource.endsWith('.sync:2')) {
    problems.push(
      `UNSUPPORTED_FEATURE: "${resource}" (callback and run-a-job patterns) is not supported by the local cloud's engine at ${at}/Resource`,
    );
    return;
  }
  if (LAMBDA_FUNCTION_ARN.test(resource)) {
    info.lambda = { kind: 'function', functionArn: resource };
    return;
  }
  if (LAMBDA_INVOKE.test(resource)) {
    info.lambda = { kind: 'invoke' };
    const params = info.def.Parameters;
    if (!isObject(params) || !('FunctionName' in params || 'FunctionName.$' in params)) {
      problems.push(
        `SCHEMA_VALIDATION_FAILED: The field 'FunctionName' is required but was missing at ${at}/Parameters`,
      );
    }
    return;
  }
  problems.push(
    `UNSUPPORTED_FEATURE: the resource "${resource}" is not supported by the local cloud's engine, which runs Lambda tasks only (a function ARN or arn:aws:states:::lambda:invoke) at ${at}/Resource`,
  );
};

const rewriteScope = (
  scope: AslScope,
  states: Map<string, StateInfo>,
  retriedContainers: string[],
): AslScope => {
  const out: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(scope.States)) {
    out[name] = rewriteState(name, state, states, retriedContainers);
  }
  return { ...scope, States: out };
};

const rewriteState = (
  name: string,
  original: AslState,
  states: Map<string, StateInfo>,
  retriedContainers: string[],
): AslState => {
  const state = withoutRootResultPath(original);
  const transition = (s: AslState) => ({
    ...('Next' in s ? { Next: s.Next } : {}),
    ...('End' in s ? { End: s.End } : {}),
  });
  switch (state.Type) {
    case 'Task': {
      // Retries and timeouts run in the emulator's handler, on the simulated clock; heartbeats do not
      // apply to Lambda tasks.
      const task: AslState = { ...state, TimeoutSeconds: ENGINE_TASK_TIMEOUT_SECONDS };
      for (const field of [
        'Retry',
        'Parameters',
        'TimeoutSecondsPath',
        'HeartbeatSeconds',
        'HeartbeatSecondsPath',
      ])
        delete task[field];
      const info = states.get(name);
      if (info && 'Parameters' in state)
        info.parameters = rewriteContextPaths(state.Parameters, 'Parameters');
      return task;
    }
    case 'Wait':
      // A Task with the same data flow (InputPath, OutputPath, no result): its handler waits on the
      // simulated clock and returns its input, which is exactly what a Wait state outputs.
      return {
        Type: 'Task',
        Resource: OVERRIDDEN_RESOURCE,
        TimeoutSeconds: ENGINE_TASK_TIMEOUT_SECONDS,
        ...('InputPath' in state ? { InputPath: state.InputPath } : {}),
        ...('OutputPath' in state ? { OutputPath: state.OutputPath } : {}),
        ...transition(state),
      };
    case 'Map': {
      const field = 'ItemProcessor' in state ? 'ItemProcessor' : 'Iterator';
      let processor = rewriteScope(state[field] as AslScope, states, retriedContainers);
      if (Array.isArray(state.Retry) && state.Retry.length > 0) {
        retriedContainers.push(name);
        processor = withRetryGate(processor, name, 0, states);
      }
      return { ...state, [field]: processor };
    }
    case 'Parallel': {
      const retried = Array.isArray(state.Retry) && state.Retry.length > 0;
      if (retried) retriedContainers.push(name);
      const branches = (state.Branches as AslScope[]).map((branch, i) => {
        const b = rewriteScope(branch, states, retriedContainers);
        return retried ? withRetryGate(b, name, i, states) : b;
      });
      return { ...state, Branches: branches };
    }
    default:
      return state;
  }
};

/**
 * `ResultPath: "$"`, on a state or a catcher, puts the result (or the error output) in place of the input.
 * That is what an absent ResultPath means, and the engine implements that one; it would write `"$"` as a
 * field name, and fail on an input that is not an object.
 */
const withoutRootResultPath = (state: AslState): AslState => {
  const isRoot = (v: unknown): boolean => isObject(v) && v.ResultPath === '$';
  if (!isRoot(state) && !(Array.isArray(state.Catch) && state.Catch.some(isRoot))) return state;
  const withoutResultPath = <T extends Record<string, unknown>>(v: T): T => {
    const { ResultPath: _, ...rest } = v;
    return rest as T;
  };
  const out = isRoot(state) ? withoutResultPath(state) : { ...state };
  if (Array.isArray(state.Catch))
    out.Catch = state.Catch.map((c: unknown) =>
      isRoot(c) ? withoutResultPath(c as Record<string, unknown>) : c,
    );
  return out;
};

/**
 * The engine retries a Map or Parallel state at once (its pause can only be overridden by a fixed real
 * delay), so the emulator puts a gate at the start of each iteration and branch: a pass-through Task
 * whose handler holds the retried run until the retry's interval has passed on the simulated clock.
 */
const withRetryGate = (
  scope: AslScope,
  owner: string,
  branch: number,
  states: Map<string, StateInfo>,
): AslScope => {
  let name = `${GATE_PREFIX}${owner}:${branch}`;
  while (states.has(name)) name = `${name}'`;
  const def: AslState = { Type: 'Task', Resource: OVERRIDDEN_RESOURCE, Next: scope.StartAt };
  const container = states.get(owner);
  states.set(name, {
    name,
    type: 'Task',
    def,
    containers: [owner, ...(container?.containers ?? [])],
    retryGateOf: owner,
  });
  return {
    ...scope,
    StartAt: name,
    States: { [name]: { ...def, TimeoutSeconds: ENGINE_TASK_TIMEOUT_SECONDS }, ...scope.States },
  };
};

const CONTEXT_FIELDS = /\$\$\.Execution\.(StartTime|Input)(?![A-Za-z0-9_])/g;

/**
 * Points `$$.Execution.StartTime` and `$$.Execution.Input` at the emulator's copies (see
 * `SIMULATED_CONTEXT_KEY`) in every field that holds a path. Literal data (`Result`, `Comment`) is left
 * alone, so a Pass state that outputs the text "$$.Execution.Input" still does.
 */
const rewriteContextPaths = (value: unknown, key = ''): unknown => {
  if (typeof value === 'string') {
    const holdsPath = key.endsWith('.$') || key.endsWith('Path') || key === 'Variable';
    return holdsPath ? value.replace(CONTEXT_FIELDS, `$$$$.Execution.${SIMULATED_CONTEXT_KEY}.$1`) : value;
  }
  if (Array.isArray(value)) return value.map((v) => rewriteContextPaths(v, key));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'Result' || k === 'Comment' ? v : rewriteContextPaths(v, k);
    }
    return out;
  }
  return value;
};
