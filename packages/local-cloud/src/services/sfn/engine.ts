import type { RunOptions } from 'aws-local-stepfunctions';
import { AwsError } from '../../errors';
import { LambdaTimeoutError } from '../../lambda/runtime';
import type { SimClock, TimerHandle } from '../../sim-clock';
import {
  type CompiledDefinition,
  type LambdaTarget,
  type Retrier,
  SIMULATED_CONTEXT_KEY,
  type StateInfo,
} from './definition';
import { ExecutionHistory, type HistoryEvent, jsonText, untruncated } from './history';
import {
  CONTEXT_CLOCK,
  ExecutionError,
  evaluatePayloadTemplate,
  StateMachine,
  stateContext,
  type TaskOverride,
} from './interpreter';
import { readReferencePath } from './reference-path';

/**
 * Runs one execution with `aws-local-stepfunctions` (as `interpreter.ts` corrects it) and keeps it on the
 * simulated clock.
 *
 * The library runs the states (Choice, Pass, Map, Parallel, data flow, Catch). The emulator takes over
 * what must follow the simulated clock or reach the rest of the local cloud, through the library's
 * per-state Task overrides (`definition.ts` turns every Task and Wait into an overridden Task):
 * - Lambda tasks call `invokeLambda` in-process, with `Retry` and `TimeoutSeconds` applied here on the
 *   simulated clock and `Parameters` evaluated for each attempt, recording the Lambda (or `lambda:invoke`
 *   Task) events AWS records;
 * - Wait states wait on the simulated clock;
 * - Map and Parallel retries, which the library performs, are paced by a gate at the start of each run.
 * The library's event log supplies the state events, translated into AWS's history event types.
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The error name Step Functions gives a Lambda function's unhandled error, a timeout among them. */
export const LAMBDA_UNHANDLED_ERROR = 'Lambda.Unknown';

export type InvokeLambda = (functionArn: string, payload: unknown) => Promise<unknown>;

type JSONValue = Parameters<StateMachine['run']>[0];
type EngineEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type TaskHandlers = Record<string, TaskOverride>;
/** The context object of one run (the execution, a Map iteration or a Parallel branch), as the engine has it. */
type RunContext = Parameters<TaskOverride>[1];

export interface ExecutionSpec {
  arn: string;
  name: string;
  stateMachineArn: string;
  stateMachineName: string;
  accountId: string;
  region: string;
  roleArn: string;
  /** The input as the caller sent it (validated JSON text). */
  input: string;
  definition: CompiledDefinition;
}

/** A closed execution as a state file keeps it: its outcome and its whole history. */
export interface ClosedExecutionRecord {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  startDate: number;
  stopDate: number;
  history: HistoryEvent[];
}

/** What an execution needs from its service. */
export interface ExecutionHost {
  clock: SimClock;
  invokeLambda: InvokeLambda;
  /** Called when the execution starts and when it closes (for the EventBridge status-change event). */
  onStatusChange(execution: Execution): void;
}

/** An error the emulator hands to the engine: its name is the ASL error name, its message the cause. */
class StateError extends Error {
  // The engine reads these two to decide whether Retry and Catch may match the error.
  readonly isRetryable: boolean;
  readonly isCatchable: boolean;

  constructor(name: string, cause: string, opts: { catchable?: boolean } = {}) {
    super(cause);
    this.name = name;
    this.isCatchable = opts.catchable ?? true;
    this.isRetryable = this.isCatchable;
  }
}

/** `States.Runtime` is neither retried nor caught in AWS, not even by `States.ALL`. */
const runtimeError = (cause: string): StateError =>
  new StateError('States.Runtime', cause, { catchable: false });

/**
 * Ends a handler whose execution has closed, or whose Map iteration or Parallel branch the engine has
 * abandoned (a sibling failed): it must neither call Lambda again nor be caught by anything.
 */
const endedError = (): StateError =>
  runtimeError('the execution, iteration or branch this state ran in has ended');

interface TaskFailure {
  name: string;
  cause: string;
  timedOut?: boolean;
}

/**
 * The engine tells `States.Timeout` from other task failures by its own error class (`States.TaskFailed`
 * matches every task error except a timeout, in AWS and in the engine), and does not export the class.
 * One throwaway run with a timeout of a microsecond hands over an instance; the factory then makes
 * timeouts the emulator detects on the simulated clock look exactly like the engine's own.
 */
let timeoutErrorFactory: Promise<(cause: string) => Error> | undefined;

const statesTimeoutError = (): Promise<(cause: string) => Error> => {
  timeoutErrorFactory ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: {
          Probe: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:probe',
            TimeoutSeconds: 0.000001,
            End: true,
          },
        },
      },
      { validationOptions: { noValidate: true } },
    );
    const run = probe.run(null, {
      overrides: { taskResourceLocalHandlers: { Probe: () => new Promise(() => {}) } },
    });
    try {
      await run.result;
    } catch (e) {
      const inner = e instanceof ExecutionError ? e.cause : undefined;
      if (inner instanceof Error && inner.name === 'States.Timeout') {
        const TimeoutError = inner.constructor as new () => Error;
        return (cause: string) => Object.assign(new TimeoutError(), { message: cause });
      }
    }
    return (cause: string) => new StateError('States.Timeout', cause);
  })();
  return timeoutErrorFactory;
};

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A number in [0, 1) from a string, so `JitterStrategy: FULL` is the same on every run. */
const stableFraction = (seed: string): number => {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
};

/** The pause before retry number `attempt + 1`, as AWS computes it. */
export const retryDelayMs = (retrier: Retrier, attempt: number, seed: string): number => {
  let seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') seconds *= stableFraction(seed);
  return Math.round(seconds * 1000);
};

/** Whether a retrier or catcher's `ErrorEquals` matches an error, with AWS's wildcard rules. */
export const errorMatches = (errorEquals: readonly string[], name: string): boolean =>
  errorEquals.includes(name) ||
  (name !== 'States.Runtime' &&
    (errorEquals.includes('States.ALL') ||
      (errorEquals.includes('States.TaskFailed') && name !== 'States.Timeout')));

interface PendingWait {
  at: number;
  containers: readonly string[];
  timer: TimerHandle | undefined;
  reject(error: Error): void;
}

interface LambdaCall {
  functionArn: string;
  payload: unknown;
  /** The Task's effective input: the function's payload, or the `lambda:invoke` parameters. */
  parameters: unknown;
  target: LambdaTarget;
  asynchronous: boolean;
  /** The Task's result from the function's: `lambda:invoke` wraps it as the Lambda API answers. */
  shape(result: unknown): JSONValue;
}

const CONTAINER_TYPES = new Set(['Map', 'Parallel']);
const ABORTABLE_TYPES = new Set(['Task', 'Wait', 'Map', 'Parallel']);

export class Execution {
  status: ExecutionStatus = 'RUNNING';
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  stopDate: number | undefined;
  readonly startDate: number;
  readonly history = new ExecutionHistory();
  /** Resolves once the execution has closed. */
  readonly done: Promise<void>;

  private markDone!: () => void;
  private rejectClosed!: (e: Error) => void;
  /** Rejects when the execution closes, so handlers waiting on a Lambda let go. */
  private readonly closed: Promise<never>;
  private readonly clock: SimClock;
  private readonly states: ReadonlyMap<string, StateInfo>;
  private readonly inputValue: JSONValue;
  private readonly context: Record<string | symbol, unknown>;
  private readonly waits = new Set<PendingWait>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Task handlers that have been called but not yet called Lambda: the clock must not move meanwhile. */
  private busy = 0;
  private abortEngine: (() => void) | undefined;
  private timeoutTimer: TimerHandle | undefined;
  /** Map and Parallel states running now (a count: a nested one can run in several iterations). */
  private readonly activeContainers = new Map<string, number>();
  private readonly failedContainers = new Set<string>();
  /** When a retried Map or Parallel may start again (epoch ms on the simulated clock). */
  private readonly retryGates = new Map<string, number>();
  /** Top-level states entered and not left, for the `...StateAborted` events of a stop or timeout. */
  private readonly openStates = new Map<string, number>();
  private lastFailState: StateInfo | undefined;
  /**
   * Map states with a failed iteration in their current run, and the iterations the engine starts after
   * that anyway (it keeps feeding MaxConcurrency's queue): AWS starts no iteration once one has failed.
   */
  private readonly mapsWithFailedIteration = new Set<string>();
  private readonly lateIterations = new Map<string, Set<number>>();
  /** Map iterations started and not yet ended, per Map: aborted (in the history) when their Map fails. */
  private readonly openIterations = new Map<string, Set<number>>();

  constructor(
    readonly spec: ExecutionSpec,
    private readonly host: ExecutionHost,
    /** A closed execution's record from a state file: the execution is created closed, and never runs. */
    restored?: ClosedExecutionRecord,
  ) {
    this.clock = host.clock;
    this.states = spec.definition.states;
    this.startDate = restored?.startDate ?? this.clock.nowMillis();
    this.inputValue = JSON.parse(spec.input) as JSONValue;
    this.done = new Promise((resolve) => {
      this.markDone = resolve;
    });
    this.closed = new Promise<never>((_, reject) => {
      this.rejectClosed = reject;
    });
    this.closed.catch(() => undefined);
    const startTime = new Date(this.startDate).toISOString();
    this.context = {
      Execution: {
        Id: spec.arn,
        Name: spec.name,
        RoleArn: spec.roleArn,
        StartTime: startTime,
        Input: this.inputValue,
        RedriveCount: 0,
        [SIMULATED_CONTEXT_KEY]: { StartTime: startTime, Input: this.inputValue },
      },
      StateMachine: { Id: spec.stateMachineArn, Name: spec.stateMachineName },
      // `$$.State.EnteredTime` is read from the simulated clock.
      [CONTEXT_CLOCK]: () => this.clock.nowMillis(),
    };
    void statesTimeoutError();
    if (restored) {
      this.status = restored.status;
      this.output = restored.output;
      this.error = restored.error;
      this.cause = restored.cause;
      this.stopDate = restored.stopDate;
      this.history.restore(restored.history);
      this.rejectClosed(endedError());
      this.markDone();
    }
  }

  /** Records `ExecutionStarted` and sets the engine going; the caller's request returns meanwhile. */
  start(): void {
    this.history.add('ExecutionStarted', this.startDate, {
      executionStartedEventDetails: {
        input: this.spec.input,
        inputDetails: untruncated,
        roleArn: this.spec.roleArn,
      },
    });
    this.host.onStatusChange(this);
    const timeout = this.spec.definition.timeoutSeconds;
    if (timeout !== undefined) {
      this.timeoutTimer = this.clock.after(timeout * 1000, () =>
        this.close('TIMED_OUT', { error: 'States.Timeout', cause: undefined }),
      );
    }
    const run = this.spec.definition.engine.run(this.inputValue, {
      overrides: this.overrides(),
      context: this.context,
      noThrowOnAbort: true,
    });
    this.abortEngine = run.abort;
    const consumed = this.consume(run.eventLogs);
    void run.result
      .then(
        (output) => ({ ok: true as const, output }),
        (error: unknown) => ({ ok: false as const, error }),
      )
      .then(async (outcome) => {
        // The log lags the result by a few microtasks: record every state event before the last one.
        await consumed;
        if (outcome.ok) this.close('SUCCEEDED', { output: jsonText(outcome.output) });
        else this.close('FAILED', this.describeFailure(outcome.error));
      });
  }

  /** StopExecution: ABORTED at once, as in AWS; work in flight is abandoned. */
  stop(error: string | undefined, cause: string | undefined): void {
    this.close('ABORTED', { error, cause });
  }

  /** When the earliest simulated-clock wait of this execution is due, if it has one. */
  nextWakeAt(): number | undefined {
    let next: number | undefined;
    for (const w of this.waits) if (next === undefined || w.at < next) next = w.at;
    return next;
  }

  /**
   * Lets work already under way reach its next wait: a few turns of the event loop, and Lambda calls in
   * flight (bounded in real time, since a call may itself wait on the simulated clock).
   */
  async settle(realBoundMs: number): Promise<void> {
    for (let i = 0; i < 3; i++) await nextMacrotask();
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, realBoundMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    for (let i = 0; i < 3; i++) await nextMacrotask();
  }

  /** The states the execution is in now, for messages about an execution that does not end. */
  currentStates(): string[] {
    return [...this.openStates.keys()];
  }

  private close(
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    fields: { output?: string; error?: string | undefined; cause?: string | undefined },
  ): void {
    if (this.status !== 'RUNNING') return;
    const now = this.clock.nowMillis();
    this.status = status;
    this.stopDate = now;
    this.output = fields.output;
    this.error = fields.error;
    this.cause = fields.cause;
    this.timeoutTimer?.cancel();
    const errorDetails = {
      ...(fields.error !== undefined ? { error: fields.error } : {}),
      ...(fields.cause !== undefined ? { cause: fields.cause } : {}),
    };
    if (status === 'ABORTED' || status === 'TIMED_OUT') {
      for (const name of this.openStates.keys()) {
        const info = this.states.get(name);
        if (info && ABORTABLE_TYPES.has(info.type)) {
          this.history.add(`${info.type}StateAborted`, now, { stateExitedEventDetails: { name } });
        }
      }
    }
    switch (status) {
      case 'SUCCEEDED':
        this.history.add('ExecutionSucceeded', now, {
          executionSucceededEventDetails: { output: fields.output, outputDetails: untruncated },
        });
        break;
      case 'FAILED':
        this.history.add('ExecutionFailed', now, { executionFailedEventDetails: errorDetails });
        break;
      case 'ABORTED':
        this.history.add('ExecutionAborted', now, { executionAbortedEventDetails: errorDetails });
        break;
      case 'TIMED_OUT':
        this.history.add('ExecutionTimedOut', now, { executionTimedOutEventDetails: errorDetails });
        break;
    }
    // Everything still waiting must settle now: the engine races each Task against a real timer that is
    // cleared only when the task settles, and abandoned iterations would otherwise wait forever.
    const ended = endedError();
    for (const w of this.waits) {
      w.timer?.cancel();
      w.reject(ended);
    }
    this.waits.clear();
    this.rejectClosed(ended);
    this.abortEngine?.();
    this.host.onStatusChange(this);
    this.markDone();
  }

  private describeFailure(e: unknown): { error: string | undefined; cause: string | undefined } {
    const inner = e instanceof ExecutionError && e.cause instanceof Error ? e.cause : e;
    if (!(inner instanceof Error)) return { error: 'States.Runtime', cause: String(inner) };
    const fail = this.lastFailState;
    if (fail && inner.constructor.name === 'FailStateError') {
      // A Fail state without Error or Cause fails the execution without them, as in AWS (the engine
      // fills in a placeholder of its own).
      return {
        error: 'Error' in fail.def || 'ErrorPath' in fail.def ? inner.name : undefined,
        cause: 'Cause' in fail.def || 'CausePath' in fail.def ? inner.message : undefined,
      };
    }
    return { error: inner.name, cause: inner.message };
  }

  private overrides(): RunOptions['overrides'] {
    const handlers: TaskHandlers = {};
    for (const info of this.states.values()) {
      if (info.retryGateOf !== undefined) handlers[info.name] = (input) => this.passRetryGate(info, input);
      else if (info.type === 'Wait') handlers[info.name] = (input, run) => this.runWait(info, input, run);
      else if (info.type === 'Task')
        handlers[info.name] = (input, run) => this.runLambdaTask(info, input, run);
    }
    return {
      taskResourceLocalHandlers: handlers,
      // The gate (see `passRetryGate`) does the pausing, on the simulated clock.
      retryIntervalOverrides: Object.fromEntries(
        this.spec.definition.retriedContainers.map((name) => [name, 0]),
      ),
    };
  }

  // ---- the engine's event log -> AWS history ----

  private async consume(events: AsyncGenerator<EngineEvent>): Promise<void> {
    for await (const event of events) {
      if (this.status === 'RUNNING') this.record(event);
    }
  }

  private record(event: EngineEvent): void {
    const now = this.clock.nowMillis();
    switch (event.type) {
      case 'StateEntered': {
        const info = this.visibleState(event.state.name, event.index);
        if (!info) return;
        if (info.containers.length === 0)
          this.openStates.set(info.name, (this.openStates.get(info.name) ?? 0) + 1);
        if (info.type === 'Fail') this.lastFailState = info;
        this.history.add(`${info.type}StateEntered`, now, {
          stateEnteredEventDetails: {
            name: info.name,
            input: jsonText(event.state.input),
            inputDetails: untruncated,
          },
        });
        if (CONTAINER_TYPES.has(info.type)) this.containerStarted(info, event.state.input, now);
        return;
      }
      case 'StateExited': {
        const info = this.visibleState(event.state.name, event.index);
        if (!info) return;
        const open = (this.openStates.get(info.name) ?? 0) - 1;
        if (open > 0) this.openStates.set(info.name, open);
        else this.openStates.delete(info.name);
        if (CONTAINER_TYPES.has(info.type)) {
          // A container that failed and was caught is already inactive and already has its Failed event.
          if (!this.failedContainers.delete(info.name)) {
            this.adjustActive(info.name, -1);
            this.history.add(`${info.type}StateSucceeded`, now);
          }
        }
        this.history.add(`${info.type}StateExited`, now, {
          stateExitedEventDetails: {
            name: info.name,
            output: jsonText(event.state.output),
            outputDetails: untruncated,
          },
        });
        return;
      }
      case 'StateFailed': {
        // Task failures are recorded by the task handler, other states' by the execution's failure.
        const info = this.visibleState(event.state.name, event.index);
        if (!info || !CONTAINER_TYPES.has(info.type)) return;
        this.adjustActive(info.name, -1);
        this.failedContainers.add(info.name);
        if (info.type === 'Map' && !this.isActive(info.name)) this.abortOpenIterations(info.name, now);
        this.history.add(`${info.type}StateFailed`, now);
        this.abandonWaitsIn(info.name);
        return;
      }
      case 'StateRetried': {
        const info = this.visibleState(event.state.name, event.index);
        if (!info || !CONTAINER_TYPES.has(info.type)) return;
        const delay = retryDelayMs(
          event.retry.retrier,
          event.retry.attempt - 1,
          `${this.spec.arn}:${info.name}:${event.retry.attempt}`,
        );
        this.retryGates.set(info.name, now + delay);
        this.failedContainers.delete(info.name);
        this.containerStarted(info, event.state.input, now);
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const owner = this.states.get(event.parentState.name);
        if (!owner || this.abandoned(owner)) return;
        // The failing iteration's own event may arrive just after its Map has failed; the others not.
        if (!this.isActive(owner.name) && event.type !== 'MapIterationFailed') return;
        const late = this.lateIterations.get(owner.name);
        if (late?.has(event.index)) return;
        if (event.type === 'MapIterationStarted' && this.mapsWithFailedIteration.has(owner.name)) {
          if (late) late.add(event.index);
          else this.lateIterations.set(owner.name, new Set([event.index]));
          return;
        }
        if (event.type === 'MapIterationFailed') this.mapsWithFailedIteration.add(owner.name);
        const open = this.openIterations.get(owner.name) ?? new Set<number>();
        this.openIterations.set(owner.name, open);
        if (event.type === 'MapIterationStarted') open.add(event.index);
        else open.delete(event.index);
        const phase = event.type.slice('MapIteration'.length);
        this.history.add(event.type, now, {
          [`mapIteration${phase}EventDetails`]: { name: owner.name, index: event.index },
        });
        return;
      }
      default:
        // ExecutionStarted/Succeeded/Failed/... are recorded by the execution itself; Parallel branch
        // events, StateCaught and StateRetried of tasks have no AWS history event of their own.
        return;
    }
  }

  /** AWS aborts the iterations still running when one fails; later events from them are dropped. */
  private abortOpenIterations(map: string, now: number): void {
    const open = this.openIterations.get(map);
    if (!open) return;
    const late = this.lateIterations.get(map) ?? new Set<number>();
    this.lateIterations.set(map, late);
    for (const index of [...open].sort((a, b) => a - b)) {
      this.history.add('MapIterationAborted', now, { mapIterationAbortedEventDetails: { name: map, index } });
      late.add(index);
    }
    this.openIterations.delete(map);
  }

  private containerStarted(info: StateInfo, rawInput: unknown, now: number): void {
    this.adjustActive(info.name, +1);
    this.mapsWithFailedIteration.delete(info.name);
    this.lateIterations.delete(info.name);
    this.openIterations.delete(info.name);
    if (info.type === 'Map') {
      this.history.add('MapStateStarted', now, {
        mapStateStartedEventDetails: { length: this.mapLength(info, rawInput) },
      });
    } else {
      this.history.add('ParallelStateStarted', now);
    }
  }

  /** The number of items a Map state iterates over, for `MapStateStarted` (0 when paths do not resolve). */
  private mapLength(info: StateInfo, rawInput: unknown): number {
    try {
      let value = rawInput;
      const inputPath = info.def.InputPath;
      if (inputPath === null) value = {};
      else if (typeof inputPath === 'string') value = readReferencePath(inputPath, value, this.context);
      const itemsPath = info.def.ItemsPath;
      if (typeof itemsPath === 'string') value = readReferencePath(itemsPath, value, this.context);
      return Array.isArray(value) ? value.length : 0;
    } catch {
      return 0;
    }
  }

  /**
   * The state, unless the emulator added it or it runs in an iteration or branch the engine abandoned.
   * `index` is the Map iteration the engine says the event comes from.
   */
  private visibleState(name: string, index?: number): StateInfo | undefined {
    const info = this.states.get(name);
    if (!info || info.retryGateOf !== undefined || this.abandoned(info)) return undefined;
    const innermost = info.containers[0];
    if (index !== undefined && innermost !== undefined && this.lateIterations.get(innermost)?.has(index))
      return undefined;
    return info;
  }

  private isActive(container: string): boolean {
    return (this.activeContainers.get(container) ?? 0) > 0;
  }

  private adjustActive(container: string, by: number): void {
    const n = Math.max(0, (this.activeContainers.get(container) ?? 0) + by);
    if (n === 0) this.activeContainers.delete(container);
    else this.activeContainers.set(container, n);
  }

  /**
   * True when a state's Map iteration or Parallel branch no longer counts: the engine does not stop
   * iterations still running (or still queued under MaxConcurrency) when a sibling fails.
   */
  private abandoned(info: StateInfo): boolean {
    return info.containers.some((c) => !this.isActive(c));
  }

  private abandonWaitsIn(container: string): void {
    // With the container running elsewhere too (nested in another iteration), which waits belong to the
    // failed run is unknown: leave them, the handlers check again when they wake.
    if (this.isActive(container)) return;
    const ended = endedError();
    for (const w of this.waits) {
      if (!w.containers.includes(container)) continue;
      this.waits.delete(w);
      w.timer?.cancel();
      w.reject(ended);
    }
  }

  private assertLive(info: StateInfo): void {
    if (this.status !== 'RUNNING' || this.abandoned(info)) throw endedError();
  }

  // ---- the simulated clock ----

  /**
   * Waits `ms` on the simulated clock. The clock runs the wake-up as one of its tasks and does not move
   * on until what the wake-up set off has run at this instant (see `quiesce`).
   */
  private sleep(ms: number, info: StateInfo): { promise: Promise<void>; cancel(): void } {
    let wait: PendingWait | undefined;
    const promise = new Promise<void>((resolve, reject) => {
      const entry: PendingWait = {
        at: this.clock.nowMillis() + Math.max(0, ms),
        containers: info.containers,
        timer: undefined,
        reject,
      };
      entry.timer = this.clock.at(entry.at, async () => {
        if (!this.waits.delete(entry)) return;
        resolve();
        await this.quiesce();
      });
      wait = entry;
    });
    const entry = wait!;
    this.waits.add(entry);
    return {
      promise,
      cancel: () => {
        if (this.waits.delete(entry)) entry.timer?.cancel();
      },
    };
  }

  /**
   * Lets the engine run what follows a wake-up (Choice, Pass, the next Task's start) before the clock
   * moves again, so those happen, and are stamped, at the instant of the wake-up. Bounded: a Lambda call
   * itself is not waited for (it may wait on this very clock).
   */
  private async quiesce(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      await nextMacrotask();
      if (this.busy === 0) return;
    }
  }

  private holdClock(): { release(): void } {
    this.busy++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.busy--;
      },
    };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  // ---- state handlers (the engine's Task overrides) ----

  /**
   * The context object the emulator reads paths in: its own (the simulated start time, the execution's
   * input, also inside Map iterations) with the `$$.State` of the run the state is in.
   */
  private pathContext(run: RunContext): Record<string, unknown> {
    const state = stateContext(run);
    return state ? { ...this.context, State: state } : this.context;
  }

  private async runWait(info: StateInfo, input: JSONValue, run: RunContext): Promise<JSONValue> {
    if (this.status !== 'RUNNING') throw endedError();
    const ms = this.waitMs(info, input, this.pathContext(run));
    if (ms > 0) {
      await this.sleep(ms, info).promise;
      this.assertLive(info);
    }
    return input;
  }

  private waitMs(info: StateInfo, input: JSONValue, context: Record<string, unknown>): number {
    const def = info.def;
    const now = this.clock.nowMillis();
    const timestampMs = (value: unknown, where: string): number => {
      const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(t)) throw runtimeError(`${where} does not hold an ISO 8601 timestamp`);
      return t - now;
    };
    if (typeof def.Seconds === 'number') return def.Seconds * 1000;
    if (typeof def.Timestamp === 'string') return timestampMs(def.Timestamp, 'Timestamp');
    try {
      if (typeof def.SecondsPath === 'string') {
        const seconds = readReferencePath(def.SecondsPath, input, context);
        if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
          throw runtimeError(`SecondsPath "${def.SecondsPath}" does not point to a non-negative integer`);
        }
        return seconds * 1000;
      }
      if (typeof def.TimestampPath === 'string') {
        return timestampMs(
          readReferencePath(def.TimestampPath, input, context),
          `TimestampPath "${def.TimestampPath}"`,
        );
      }
    } catch (e) {
      throw e instanceof StateError ? e : runtimeError((e as Error).message);
    }
    return 0;
  }

  private async passRetryGate(info: StateInfo, input: JSONValue): Promise<JSONValue> {
    // The retry's StateRetried event sets the gate; it reaches the log a few microtasks after this call.
    await nextMacrotask();
    this.assertLive(info);
    const until = this.retryGates.get(info.retryGateOf!) ?? 0;
    const ms = until - this.clock.nowMillis();
    if (ms > 0) {
      await this.sleep(ms, info).promise;
      this.assertLive(info);
    }
    return input;
  }

  private async runLambdaTask(info: StateInfo, input: JSONValue, run: RunContext): Promise<JSONValue> {
    const hold = this.holdClock();
    try {
      // The engine called this right after entering the state; the entry reaches the history a few
      // microtasks later, and the Lambda events must follow it.
      await nextMacrotask();
      this.assertLive(info);
      const retriers = (info.def.Retry as Retrier[] | undefined) ?? [];
      const attempts = retriers.map(() => 0);
      let retries = 0;
      let parameters = this.taskParameters(info, input, run, retries);
      const timeoutSeconds = this.taskTimeoutSeconds(info, parameters, run);
      for (;;) {
        const call = this.lambdaCall(info, parameters);
        this.recordTask(call, 'Scheduled', timeoutSeconds);
        this.recordTask(call, 'Started');
        const invocation = this.track(this.host.invokeLambda(call.functionArn, call.payload));
        hold.release();
        const outcome = await this.awaitInvocation(call, invocation, timeoutSeconds, info);
        this.assertLive(info);
        if (outcome.ok) {
          const result = call.shape(outcome.value);
          this.recordTask(call, 'Succeeded', result);
          return result;
        }
        const failure = outcome.failure;
        this.recordTask(call, failure.timedOut ? 'TimedOut' : 'Failed', failure);
        const retry = this.nextRetry(info, retriers, attempts, failure.name);
        if (retry === undefined) {
          throw failure.timedOut
            ? (await statesTimeoutError())(failure.cause)
            : new StateError(failure.name, failure.cause);
        }
        if (retry > 0) await this.sleep(retry, info).promise;
        this.assertLive(info);
        parameters = this.taskParameters(info, input, run, ++retries);
      }
    } finally {
      hold.release();
    }
  }

  /**
   * The Task's effective input for one attempt: its `Parameters` (the engine runs the Task without them)
   * evaluated in the run's context object, whose `$$.State.RetryCount` is this attempt's, as in AWS. The
   * count stays for the state's `ResultSelector`.
   */
  private taskParameters(info: StateInfo, input: JSONValue, run: RunContext, retryCount: number): JSONValue {
    const state = stateContext(run);
    if (state) state.RetryCount = retryCount;
    if (info.parameters === undefined) return input;
    return evaluatePayloadTemplate(info.parameters, input, run ?? this.context);
  }

  /** The pause before the next attempt, or undefined when no retrier allows one (AWS: first match decides). */
  private nextRetry(
    info: StateInfo,
    retriers: Retrier[],
    attempts: number[],
    errorName: string,
  ): number | undefined {
    const i = retriers.findIndex((r) => errorMatches(r.ErrorEquals, errorName));
    const retrier = retriers[i];
    if (!retrier || attempts[i]! >= (retrier.MaxAttempts ?? 3)) return undefined;
    const delay = retryDelayMs(retrier, attempts[i]!, `${this.spec.arn}:${info.name}:${i}:${attempts[i]}`);
    attempts[i]!++;
    return delay;
  }

  private taskTimeoutSeconds(info: StateInfo, input: JSONValue, run: RunContext): number | undefined {
    if (typeof info.def.TimeoutSeconds === 'number') return info.def.TimeoutSeconds;
    const path = info.def.TimeoutSecondsPath;
    if (typeof path !== 'string') return undefined;
    let seconds: unknown;
    try {
      seconds = readReferencePath(path, input, this.pathContext(run));
    } catch (e) {
      throw runtimeError((e as Error).message);
    }
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) {
      throw runtimeError(`TimeoutSecondsPath "${path}" does not point to a positive integer`);
    }
    return seconds;
  }

  private lambdaCall(info: StateInfo, input: JSONValue): LambdaCall {
    const target = info.lambda!;
    if (target.kind === 'function') {
      return {
        functionArn: target.functionArn,
        payload: input,
        parameters: input,
        target,
        asynchronous: false,
        shape: (result) => (result ?? null) as JSONValue,
      };
    }
    if (!isObject(input) || typeof input.FunctionName !== 'string') {
      throw runtimeError("The field 'FunctionName' is required but was missing");
    }
    const qualifier = typeof input.Qualifier === 'string' ? input.Qualifier : undefined;
    const asynchronous = input.InvocationType === 'Event';
    return {
      functionArn: this.functionArn(input.FunctionName, qualifier),
      // Lambda hands a function `{}` when it is invoked without a payload.
      payload: 'Payload' in input ? input.Payload : {},
      parameters: input,
      target,
      asynchronous,
      shape: (result) =>
        ({
          ExecutedVersion: qualifier ?? '$LATEST',
          Payload: asynchronous ? '' : ((result ?? null) as JSONValue),
          SdkHttpMetadata: { HttpStatusCode: asynchronous ? 202 : 200 },
          SdkResponseMetadata: { RequestId: `${this.spec.name}-${info.name}` },
          StatusCode: asynchronous ? 202 : 200,
        }) as JSONValue,
    };
  }

  /** `FunctionName` may be a name, a partial ARN (`account:function:name`) or a full ARN, as in Lambda. */
  private functionArn(name: string, qualifier: string | undefined): string {
    let arn: string;
    if (name.startsWith('arn:')) arn = name;
    else if (/^\d{12}:function:/.test(name)) arn = `arn:aws:lambda:${this.spec.region}:${name}`;
    else arn = `arn:aws:lambda:${this.spec.region}:${this.spec.accountId}:function:${name}`;
    return qualifier !== undefined && arn.split(':').length === 7 ? `${arn}:${qualifier}` : arn;
  }

  private async awaitInvocation(
    call: LambdaCall,
    invocation: Promise<unknown>,
    timeoutSeconds: number | undefined,
    info: StateInfo,
  ): Promise<{ ok: true; value: unknown } | { ok: false; failure: TaskFailure }> {
    if (call.asynchronous) {
      // InvocationType Event: Lambda queues the call and answers 202 at once; the function's outcome is
      // not the task's.
      invocation.catch(() => undefined);
      return { ok: true, value: '' };
    }
    const timeout = timeoutSeconds !== undefined ? this.sleep(timeoutSeconds * 1000, info) : undefined;
    try {
      return await Promise.race([
        invocation.then(
          (value) => ({ ok: true as const, value }),
          (e: unknown) => ({ ok: false as const, failure: lambdaFailure(e) }),
        ),
        ...(timeout
          ? [
              timeout.promise.then(() => ({
                ok: false as const,
                failure: {
                  name: 'States.Timeout',
                  cause: `Task timed out after ${timeoutSeconds} seconds`,
                  timedOut: true,
                },
              })),
            ]
          : []),
        this.closed,
      ]);
    } finally {
      timeout?.cancel();
    }
  }

  private recordTask(call: LambdaCall, phase: 'Scheduled' | 'Started', timeoutSeconds?: number): void;
  private recordTask(call: LambdaCall, phase: 'Succeeded', result: JSONValue): void;
  private recordTask(call: LambdaCall, phase: 'Failed' | 'TimedOut', failure: TaskFailure): void;
  private recordTask(call: LambdaCall, phase: string, extra?: unknown): void {
    const now = this.clock.nowMillis();
    const failure = extra as TaskFailure;
    if (call.target.kind === 'function') {
      const type = `LambdaFunction${phase}`;
      switch (phase) {
        case 'Scheduled':
          this.history.add(type, now, {
            lambdaFunctionScheduledEventDetails: {
              resource: call.functionArn,
              input: jsonText(call.payload),
              inputDetails: untruncated,
              ...(typeof extra === 'number' ? { timeoutInSeconds: extra } : {}),
            },
          });
          return;
        case 'Started':
          this.history.add(type, now);
          return;
        case 'Succeeded':
          this.history.add(type, now, {
            lambdaFunctionSucceededEventDetails: { output: jsonText(extra), outputDetails: untruncated },
          });
          return;
        default:
          this.history.add(type, now, {
            [phase === 'Failed' ? 'lambdaFunctionFailedEventDetails' : 'lambdaFunctionTimedOutEventDetails']:
              {
                error: failure.name,
                cause: failure.cause,
              },
          });
          return;
      }
    }
    const resource = { resourceType: 'lambda', resource: 'invoke' };
    const type = `Task${phase}`;
    switch (phase) {
      case 'Scheduled':
        this.history.add(type, now, {
          taskScheduledEventDetails: {
            ...resource,
            region: this.spec.region,
            parameters: jsonText(call.parameters),
            ...(typeof extra === 'number' ? { timeoutInSeconds: extra } : {}),
          },
        });
        return;
      case 'Started':
        this.history.add(type, now, { taskStartedEventDetails: resource });
        return;
      case 'Succeeded':
        this.history.add(type, now, {
          taskSucceededEventDetails: { ...resource, output: jsonText(extra), outputDetails: untruncated },
        });
        return;
      default:
        this.history.add(type, now, {
          [phase === 'Failed' ? 'taskFailedEventDetails' : 'taskTimedOutEventDetails']: {
            ...resource,
            error: failure.name,
            cause: failure.cause,
          },
        });
    }
  }
}

/**
 * A failed invocation as Step Functions reports it: a Lambda API error (`AwsError`, e.g. the function does
 * not exist) is `Lambda.<code>`; an error the function threw is its type, with the runtime's JSON cause.
 * A function that ran past its own timeout is `Lambda.Unknown`, as the Step Functions developer guide
 * documents for Lambda's unhandled errors (timeouts, out of memory), with Lambda's error payload as the
 * cause: `States.TaskFailed` and `States.ALL` match it, `States.Timeout` (the Task's own
 * `TimeoutSeconds`) does not.
 */
const lambdaFailure = (e: unknown): TaskFailure => {
  if (e instanceof AwsError) return { name: `Lambda.${e.code}`, cause: e.message };
  if (e instanceof LambdaTimeoutError) {
    return {
      name: LAMBDA_UNHANDLED_ERROR,
      cause: JSON.stringify({ errorType: e.errorType, errorMessage: e.errorMessage }),
    };
  }
  if (e instanceof Error) {
    const name = e.name || 'Error';
    return {
      name,
      cause: JSON.stringify({ errorType: name, errorMessage: e.message, trace: (e.stack ?? '').split('\n') }),
    };
  }
  return { name: 'Error', cause: JSON.stringify({ errorType: 'Error', errorMessage: String(e), trace: [] }) };
};
