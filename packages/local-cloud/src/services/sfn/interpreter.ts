import './polyfill';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as Library from 'aws-local-stepfunctions';

/**
 * `aws-local-stepfunctions` with its Amazon States Language semantics corrected where they differ from
 * AWS's. The package exports only `StateMachine` and its errors, so this module runs the package's own
 * CommonJS bundle (the file `require` would load, with the package's dependencies) and also takes out the
 * internal classes and functions the corrections replace or wrap:
 *
 * - a Pass state's `Result` is its result whatever its value (`false`, `0` and `""` included);
 * - Choice type tests (`IsNull`, `IsPresent`, `IsNumeric`, `IsString`, `IsBoolean`, `IsTimestamp`) with
 *   `false` match when the test fails;
 * - a Fail state's `ErrorPath` and `CausePath` may be intrinsic functions;
 * - the context object has `$$.State.Name`, `$$.State.EnteredTime` (on the execution's clock, see
 *   `CONTEXT_CLOCK`) and `$$.State.RetryCount`;
 * - `States.StringSplit` splits at every character of its splitter and leaves out empty strings;
 * - an intrinsic function that fails (`States.StringToJson` on text that is not JSON, among others) fails
 *   with `States.Runtime`, which neither Retry nor Catch matches.
 *
 * `ResultPath: "$"` is handled by the definition rewrite (`definition.ts`). The library's exports are
 * re-exported from here: everything in the emulator uses this copy, never the package directly.
 */

type Json = Parameters<Library.StateMachine['run']>[0];
type Context = Record<string | symbol, unknown>;
type StateDefinition = Record<string, unknown>;

interface ExecutionResult {
  stateResult: Json;
  nextState: string;
  isEndState: boolean;
}

interface StateAction {
  readonly stateDefinition: StateDefinition;
  readonly stateName: string;
  buildExecutionResult(result: Json): ExecutionResult;
}

/** A Task override as the engine calls it: with the context object of the run the state is in. */
export type TaskOverride = (input: Json, context?: Context) => Promise<Json>;

/** The internals of the bundle the corrections need, by their names in it. */
interface Internals {
  functions: Record<string, { funcDefinition: { name: string }; execute(...args: never[]): unknown }>;
  RuntimeError: abstract new (...args: never[]) => Error;
  StatesRuntimeError: new (message: string) => Error;
  FailStateError: new (name?: string, message?: string) => Error;
  StringConstraint: unknown;
  jsonPathQuery(path: string, json: Json, context: Context, options?: { constraints: unknown[] }): Json;
  evaluateIntrinsicFunction(expression: string, input: Json, context: Context): Json;
  processPayloadTemplate(template: unknown, json: Json, context: Context): Json;
  StateExecutor: {
    prototype: {
      readonly stateName: string;
      readonly retrierAttempts: number[];
      execute(input: Json, context: Context, options: unknown): Promise<unknown>;
    };
  };
  TaskStateAction: {
    prototype: {
      execute(
        input: Json,
        context: Context,
        options: { overrideFn?: TaskOverride },
      ): Promise<ExecutionResult>;
    };
  };
  PassStateAction: { prototype: StateAction & { execute(input: Json): Promise<ExecutionResult> } };
  ChoiceStateAction: {
    prototype: { testChoiceRule(rule: Record<string, unknown>, input: Json, context: Context): boolean };
  };
  FailStateAction: { prototype: StateAction & { execute(input: Json, context: Context): Promise<never> } };
}

const INTERNAL_NAMES: readonly (keyof Internals)[] = [
  'functions',
  'RuntimeError',
  'StatesRuntimeError',
  'FailStateError',
  'StringConstraint',
  'jsonPathQuery',
  'evaluateIntrinsicFunction',
  'processPayloadTemplate',
  'StateExecutor',
  'TaskStateAction',
  'PassStateAction',
  'ChoiceStateAction',
  'FailStateAction',
];

const load = (): { library: typeof Library; internals: Internals } => {
  const file = require.resolve('aws-local-stepfunctions');
  const dir = dirname(file);
  const bundle = { exports: {} as Record<string, unknown> };
  // The bundle's dependencies resolve from its own folder, through the running module system.
  const requireDependency = (id: string): unknown => require(require.resolve(id, { paths: [dir] }));
  let internals: Internals;
  try {
    const body = `${readFileSync(file, 'utf8')}\n;return { ${INTERNAL_NAMES.join(', ')} };`;
    const factory = new Function('exports', 'require', 'module', '__filename', '__dirname', body);
    internals = factory(bundle.exports, requireDependency, bundle, file, dir) as Internals;
  } catch (e) {
    throw new Error(
      `${file} is not a build of aws-local-stepfunctions the local cloud can adapt: ${(e as Error).message}`,
    );
  }
  const library = bundle.exports as unknown as typeof Library;
  const stringSplit = internals.functions['States.StringSplit'];
  const methods: [string, unknown][] = [
    ['StateMachine', library.StateMachine?.prototype?.run],
    ['StateExecutor.execute', internals.StateExecutor.prototype.execute],
    ['TaskStateAction.execute', internals.TaskStateAction.prototype.execute],
    ['PassStateAction.buildExecutionResult', internals.PassStateAction.prototype.buildExecutionResult],
    ['ChoiceStateAction.testChoiceRule', internals.ChoiceStateAction.prototype.testChoiceRule],
    ['FailStateAction.execute', internals.FailStateAction.prototype.execute],
    ['States.StringSplit', stringSplit?.execute],
    ["the intrinsic functions' call", stringSplit && intrinsicBase(stringSplit).call],
  ];
  const missing = methods.filter(([, method]) => typeof method !== 'function').map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(
      `${file} is not a build of aws-local-stepfunctions the local cloud can adapt: no ${missing.join(', ')}`,
    );
  }
  return { library, internals };
};

/** The class every intrinsic function extends (its `call` parses the arguments and runs `execute`). */
const intrinsicBase = (fn: object): { call: unknown } => Object.getPrototypeOf(Object.getPrototypeOf(fn));

const { library, internals } = load();

export const { StateMachine, ExecutionError } = library;
export type StateMachine = Library.StateMachine;
export type ExecutionError = Library.ExecutionError;

/**
 * Where the engine puts the execution's clock (epoch milliseconds) in the context object it passes to a
 * run: a symbol, so no path can reach it. `$$.State.EnteredTime` reads it; without it, real time.
 */
export const CONTEXT_CLOCK = Symbol('local-cloud.sfn.clock');

/** The `$$.State` object of the state a run is in: a Task handler sets the retry count of each attempt. */
export interface StateContext {
  Name: string;
  EnteredTime: string;
  RetryCount: number;
}

/** The context object's `State`, for a Task handler given the run's context. */
export const stateContext = (context: Context | undefined): StateContext | undefined =>
  context?.State as StateContext | undefined;

/** A payload template (Parameters, ResultSelector) evaluated as the engine evaluates it. */
export const evaluatePayloadTemplate = (template: unknown, input: Json, context: Context): Json =>
  internals.processPayloadTemplate(template, input, context);

const {
  functions,
  RuntimeError,
  StatesRuntimeError,
  FailStateError,
  StringConstraint,
  jsonPathQuery,
  evaluateIntrinsicFunction,
} = internals;

// ---- the context object's State ----

/** When each state run was entered: a retried Map or Parallel keeps its entry time. */
const enteredAt = new WeakMap<object, string>();
const executeState = internals.StateExecutor.prototype.execute;
internals.StateExecutor.prototype.execute = function (input, context, options) {
  const clock = context[CONTEXT_CLOCK];
  let entered = enteredAt.get(this);
  if (entered === undefined) {
    entered = new Date(typeof clock === 'function' ? (clock as () => number)() : Date.now()).toISOString();
    enteredAt.set(this, entered);
  }
  // The engine retries only Map and Parallel states itself (Task retries run in the emulator's handler,
  // which sets the count); it counts each retrier's attempts, raised before each retry.
  const retries = this.retrierAttempts.reduce((sum, n) => sum + n, 0);
  const state: StateContext = { Name: this.stateName, EnteredTime: entered, RetryCount: retries };
  context.State = state;
  return executeState.call(this, input, context, options);
};

// Task overrides get the run's context object too, so a handler can evaluate the state's Parameters for
// each attempt with that attempt's `$$.State.RetryCount`.
const executeTask = internals.TaskStateAction.prototype.execute;
internals.TaskStateAction.prototype.execute = function (input, context, options) {
  const override = options.overrideFn;
  return executeTask.call(
    this,
    input,
    context,
    override
      ? { ...options, overrideFn: (effectiveInput: Json) => override(effectiveInput, context) }
      : options,
  );
};

// ---- Pass ----

internals.PassStateAction.prototype.execute = async function (input) {
  const state = this.stateDefinition;
  return this.buildExecutionResult('Result' in state ? (structuredClone(state.Result) as Json) : input);
};

// ---- Choice ----

const TYPE_TESTS = ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];
const testChoiceRule = internals.ChoiceStateAction.prototype.testChoiceRule;
internals.ChoiceStateAction.prototype.testChoiceRule = function (rule, input, context) {
  // The engine implements each type test for `true` only: with `false`, the rule is its negation.
  const negated = TYPE_TESTS.find((test) => rule[test] === false);
  if (negated === undefined) return testChoiceRule.call(this, rule, input, context);
  return !testChoiceRule.call(this, { ...rule, [negated]: true }, input, context);
};

// ---- Fail ----

/** An `ErrorPath` or `CausePath`: a reference path, or an intrinsic function, to a string. */
const failField = (path: string, input: Json, context: Context): string => {
  if (path.startsWith('$')) {
    return jsonPathQuery(path, input, context, { constraints: [StringConstraint] }) as string;
  }
  const value = evaluateIntrinsicFunction(path, input, context);
  if (typeof value !== 'string') {
    throw new StatesRuntimeError(`The intrinsic function '${path}' did not return a string`);
  }
  return value;
};

internals.FailStateAction.prototype.execute = async function (input, context) {
  const state = this.stateDefinition;
  const error =
    typeof state.ErrorPath === 'string' ? failField(state.ErrorPath, input, context) : state.Error;
  const cause =
    typeof state.CausePath === 'string' ? failField(state.CausePath, input, context) : state.Cause;
  throw new FailStateError(error as string | undefined, cause as string | undefined);
};

// ---- intrinsic functions ----

const stringSplit = functions['States.StringSplit']!;
const base = intrinsicBase(stringSplit);

/** AWS splits at each of the splitter's characters and leaves out the empty strings between them. */
stringSplit.execute = ((text: string, splitter: string): string[] => {
  const parts: string[] = [];
  let part = '';
  for (const char of text) {
    if (!splitter.includes(char)) {
      part += char;
      continue;
    }
    if (part !== '') parts.push(part);
    part = '';
  }
  if (part !== '') parts.push(part);
  return parts;
}) as (typeof stringSplit)['execute'];

// Every intrinsic function fails with States.Runtime, as AWS reports intrinsic function errors: a
// JavaScript error (JSON.parse's in States.StringToJson, for one) would otherwise surface under its own
// name, and `States.ALL` would catch it.
const callIntrinsic = base.call as (this: { funcDefinition: { name: string } }, ...args: unknown[]) => Json;
base.call = function (this: { funcDefinition: { name: string } }, ...args: unknown[]): Json {
  try {
    return callIntrinsic.apply(this, args);
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new StatesRuntimeError(
      `The function ${this.funcDefinition.name} had the following error: ${(e as Error)?.message ?? String(e)}`,
    );
  }
};
