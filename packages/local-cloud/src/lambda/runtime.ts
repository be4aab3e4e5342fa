import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { DEFAULT_ASYNC_INVOKE_CONFIG, type FunctionSpec } from '../deploy/serverless-model';
import type { SimClock, TimerHandle } from '../sim-clock';
import { functionContext, type UndeclaredAction, undeclaredActions } from './aws-calls';

/** How a handler failed, in the shape Lambda reports it (and Step Functions matches `ErrorEquals` on). */
export class LambdaInvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
    options?: { cause?: unknown },
  ) {
    super(errorMessage, options);
    // Step Functions and EventBridge see the handler's error name, as with a real Lambda.
    this.name = errorType;
  }
}

/** The `errorType` of a timed-out invocation's payload, as Lambda sends it. */
export const LAMBDA_TIMEOUT_ERROR_TYPE = 'Sandbox.Timedout';

/**
 * An invocation that ran past its function's timeout on the simulated clock, answered as Lambda answers
 * it: a function error whose payload is `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id>
 * Error: Task timed out after 60.00 seconds"}`.
 */
export class LambdaTimeoutError extends LambdaInvocationError {
  constructor(
    functionName: string,
    readonly requestId: string,
    readonly timeoutSeconds: number,
  ) {
    super(
      functionName,
      LAMBDA_TIMEOUT_ERROR_TYPE,
      `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
    );
  }
}

export class UnknownFunctionError extends Error {
  constructor(readonly ref: string) {
    super(`Function not found: ${ref}`);
    this.name = 'ResourceNotFoundException';
  }
}

export interface InvocationRecord {
  functionName: string;
  requestId: string;
  at: string;
  /** `timed-out`: the simulated clock passed the function's timeout before the handler finished. */
  outcome: 'succeeded' | 'failed' | 'timed-out';
  /** Wall-clock time the handler took in this process (real milliseconds, not simulated). */
  durationMs: number;
  /** Simulated time from the start to the outcome: the timeout itself for a timed-out invocation. */
  simulatedMs: number;
  /** `<errorType>: <errorMessage>` of a failed or timed-out invocation. */
  error?: string;
}

/** Why Lambda gave up on an asynchronous invocation, as its failure record's `condition` says. */
export type AsyncFailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/**
 * The record Lambda sends to a function's `onFailure` destination for an asynchronous invocation it gave
 * up on (the shape its developer guide documents for destinations).
 */
export interface AsyncFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: AsyncFailureCondition;
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string };
}

/** An asynchronous invocation that failed for good, kept whether or not the function has a destination. */
export interface AsyncFailure {
  functionName: string;
  record: AsyncFailureRecord;
  /** Where the record went; undefined without a destination (on Lambda it is then only in the logs). */
  destination?: string;
  /** Why the destination did not take it (a queue that does not exist). */
  destinationError?: string;
}

/** Lambda's waits before the second and the third attempt of an asynchronous invocation. */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

/**
 * The registered symbol under which handlers look for their host's clock (`lambdaClock` of
 * `@ami-lifecycle/lambda-kit`): in process, they read the simulated time, as they would read the real
 * time on Lambda.
 */
export const HOST_CLOCK = Symbol.for('ami-lifecycle.host-clock');

type Handler = (event: unknown, context: Record<string, unknown>) => unknown;

/**
 * Runs the functions of serverless.yml in this process: each invocation calls the very handler module
 * that would run on Lambda, with a Lambda-shaped context. Environment variables are applied to
 * `process.env` before a function's module is loaded and before every invocation, since handlers read
 * their typed config at cold start; functions of one process therefore share one environment, which
 * holds for this project (every function gets the provider's environment).
 */
export class LambdaRuntime {
  private readonly specs = new Map<string, FunctionSpec>();
  private readonly loaded = new Map<string, Handler>();
  private readonly log: InvocationRecord[] = [];
  /** Per function, the AWS actions (`<signing-service>:<Operation>`) its invocations called. */
  private readonly calls = new Map<string, Set<string>>();
  /** Variables of the function that ran last: removed before another runs, as each Lambda has its own. */
  private applied: string[] = [];

  constructor(
    private readonly opts: {
      /** The project root that handler module paths are relative to. */
      root: string;
      accountId: string;
      region: string;
      clock: SimClock;
      /** Endpoint and credential variables that point the handlers' SDK clients at the local cloud. */
      cloudEnv: Readonly<Record<string, string>>;
      /** Whether invocations time out on the simulated clock (see `enforceTimeouts`); off unless said. */
      enforceTimeouts?: boolean;
      /** Sends a failure record to an `onFailure` destination (an SQS queue ARN); throws when it cannot. */
      sendToDestination?: (arn: string, body: string) => void;
    },
  ) {
    this.enforceTimeouts = opts.enforceTimeouts ?? false;
  }

  /**
   * Whether an invocation fails when the simulated clock passes its function's timeout. Off by default:
   * a harness that moves the clock in steps longer than a function's timeout while the function does its
   * (real-time) work would time out functions that, on Lambda, finish in milliseconds. A test that means
   * to see a timeout (a function held by simulated latency) turns it on, and moves the clock in steps
   * shorter than the shortest timeout with the invocations in flight drained between them.
   */
  enforceTimeouts: boolean;

  register(spec: FunctionSpec): string {
    this.specs.set(spec.name, spec);
    return this.arnOf(spec.name);
  }

  arnOf(name: string): string {
    return `arn:aws:lambda:${this.opts.region}:${this.opts.accountId}:function:${name}`;
  }

  /**
   * The execution role a function's calls act as: its spec's `roleName` (its own role, as
   * serverless-iam-roles-per-function names it, or the provider's default role it shares). A spec without
   * one is named as its own role would be: `<function name>-<region>-lambdaRole`, without `-lambdaRole`
   * past IAM's 64 characters.
   */
  roleArnOf(name: string): string {
    const given = this.specs.get(name)?.roleName;
    const own = `${name}-${this.opts.region}-lambdaRole`;
    const role = given ?? (own.length <= 64 ? own : `${name}-${this.opts.region}`.slice(0, 64));
    return `arn:aws:iam::${this.opts.accountId}:role/${role}`;
  }

  /** Whether `name` is a function of this runtime. */
  has(name: string): boolean {
    return this.specs.has(name);
  }

  functions(): FunctionSpec[] {
    return [...this.specs.values()];
  }

  invocations(): readonly InvocationRecord[] {
    return this.log;
  }

  private readonly failedAsync: AsyncFailure[] = [];

  /** Asynchronous invocations that failed for good, oldest first. */
  asyncFailures(): readonly AsyncFailure[] {
    return this.failedAsync;
  }

  /**
   * `Invoke` with `InvocationType: Event`, as EventBridge calls a function (every attempt with the one
   * request id the failure record names): resolves once Lambda has
   * accepted the event (throws `ResourceNotFoundException` for an unknown function), then runs it on the
   * simulated clock. A function error is retried by Lambda, not by the caller: after one minute, then
   * after two more (up to the function's `maximumRetryAttempts`, and not past its `maximumEventAge`), and
   * an invocation that still fails is sent to its `onFailure` destination. Each attempt is a task on the
   * clock that awaits the handler, so an advance of the clock waits for it, as it waits for deliveries.
   */
  async invokeAsync(ref: string, payload: unknown): Promise<{ requestId: string }> {
    const name = this.resolveName(ref);
    const spec = this.specs.get(name)!;
    const config = spec.async ?? DEFAULT_ASYNC_INVOKE_CONFIG;
    const requestId = randomUUID();
    const clock = this.opts.clock;
    const acceptedAt = clock.nowMillis();
    const event = structuredClone(payload);
    let attempts = 0;
    const attempt = async (): Promise<void> => {
      attempts++;
      try {
        await this.invoke(name, event, requestId);
        return;
      } catch (error) {
        const retries = attempts - 1;
        const delay = ASYNC_RETRY_DELAYS_MS[Math.min(retries, ASYNC_RETRY_DELAYS_MS.length - 1)]!;
        if (retries < config.maximumRetryAttempts) {
          if (clock.nowMillis() + delay - acceptedAt <= config.maximumEventAgeSeconds * 1000) {
            clock.after(delay, attempt);
            return;
          }
          this.giveUp(spec, config, requestId, event, attempts, error, 'EventAgeExceeded');
          return;
        }
        this.giveUp(spec, config, requestId, event, attempts, error, 'RetriesExhausted');
      }
    };
    clock.after(0, attempt);
    return { requestId };
  }

  private giveUp(
    spec: FunctionSpec,
    config: NonNullable<FunctionSpec['async']>,
    requestId: string,
    event: unknown,
    attempts: number,
    error: unknown,
    condition: AsyncFailureCondition,
  ): void {
    const err = error instanceof LambdaInvocationError ? error : undefined;
    const record: AsyncFailureRecord = {
      version: '1.0',
      timestamp: this.opts.clock.now().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${this.arnOf(spec.name)}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: {
        errorType: err?.errorType ?? (error as Error)?.name ?? 'Error',
        errorMessage: err?.errorMessage ?? (error as Error)?.message ?? String(error),
      },
    };
    const failure: AsyncFailure = { functionName: spec.name, record };
    if (config.onFailure !== undefined) {
      failure.destination = config.onFailure;
      try {
        if (!this.opts.sendToDestination) throw new Error('the cloud has no destinations');
        this.opts.sendToDestination(config.onFailure, JSON.stringify(record));
      } catch (e) {
        failure.destinationError = e instanceof Error ? e.message : String(e);
      }
    }
    this.failedAsync.push(failure);
  }

  /** Records a call the edge saw from one of this runtime's functions (tagged by `invoke`). */
  recordCall(functionName: string, action: string): void {
    if (!this.specs.has(functionName)) return;
    const actions = this.calls.get(functionName) ?? new Set<string>();
    actions.add(action);
    this.calls.set(functionName, actions);
  }

  /** Per function, the AWS actions its invocations called (compare with `allowedActions`). */
  awsCalls(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.calls;
  }

  /** The calls so far that the calling function's `iamRoleStatements` do not allow. */
  undeclaredActions(): UndeclaredAction[] {
    return undeclaredActions({ lambda: this });
  }

  /** Accepts a name, a function ARN, or a qualified ARN (`…:function:name:$LATEST`). */
  resolveName(ref: string): string {
    const m = /^arn:aws:lambda:[^:]+:\d{12}:function:([^:]+)(:.+)?$/.exec(ref);
    const name = m ? m[1]! : ref;
    if (!this.specs.has(name)) throw new UnknownFunctionError(ref);
    return name;
  }

  /**
   * Invocations still running, and handlers still running after their invocation timed out; `drain`
   * waits for them when the cloud stops.
   */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** `requestId`: an asynchronous invocation's own, which Lambda keeps across its retries. */
  invoke(ref: string, payload: unknown, requestId?: string): Promise<unknown> {
    const run = this.run(ref, payload, requestId);
    this.track(run);
    return run;
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
  }

  /**
   * Waits for the invocations in flight to end, at most `maxMs` of real time: a handler cut off by the
   * edge closing under it would log connection errors that belong to no test, and a write it was making
   * would be half done.
   */
  async drain(maxMs = 5000): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }

  /**
   * Runs one invocation to its outcome: the handler's result or error, or `LambdaTimeoutError` once the
   * simulated clock reaches the function's timeout first. A timed-out handler cannot be stopped in this
   * process: it keeps running in the background, and whatever it returns or throws later is ignored (not
   * logged, not reported). Unlike on Lambda, the AWS calls it still makes do reach the cloud.
   *
   * The timeout is a task on the simulated clock that only settles the outcome and never waits for the
   * handler, so a clock advance that reaches the deadline does not wait for a handler held by simulated
   * latency on the same clock. An invocation awaited by a scheduled task (an EventBridge delivery) holds
   * the clock itself, so its timeout cannot fire until it returns: see `FaultInjector`.
   */
  private async run(ref: string, payload: unknown, givenRequestId?: string): Promise<unknown> {
    const name = this.resolveName(ref);
    const spec = this.specs.get(name)!;
    this.applyEnvironment(spec);
    const handler = this.load(spec);
    const requestId = givenRequestId ?? randomUUID();
    const clock = this.opts.clock;
    const startedAt = clock.nowMillis();
    const deadline = startedAt + spec.timeoutSeconds * 1000;
    const context = {
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arnOf(name),
      memoryLimitInMB: '512',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `local/${requestId}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - this.opts.clock.nowMillis()),
    };
    const at = clock.now().toISOString();
    const started = performance.now();
    const record = (outcome: InvocationRecord['outcome'], error?: string, endedAt = clock.nowMillis()) =>
      this.log.push({
        functionName: name,
        requestId,
        at,
        outcome,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        simulatedMs: endedAt - startedAt,
        ...(error === undefined ? {} : { error }),
      });

    let handlerRun: Promise<unknown>;
    try {
      // A copy, as Lambda deserialises its own: a handler that mutates its event must not reach back.
      // Run in the function's store, so the edge can tell which function each SDK request came from.
      handlerRun = Promise.resolve(
        functionContext().run({ functionName: name }, () => handler(structuredClone(payload), context)),
      );
    } catch (e) {
      handlerRun = Promise.reject(e);
    }
    type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown } | { timedOut: true };
    const settled = handlerRun.then(
      (value): Outcome => ({ ok: true, value }),
      (error: unknown): Outcome => ({ ok: false, error }),
    );
    let outcome: Outcome;
    if (!this.enforceTimeouts) outcome = await settled;
    else {
      let expire!: () => void;
      const timedOut = new Promise<Outcome>((resolve) => {
        expire = () => resolve({ timedOut: true });
      });
      const timer: TimerHandle = clock.at(deadline, async () => {
        expire();
        // What the timeout sets off (this invocation's record, a Step Functions task failing and scheduling
        // its retry) happens at the deadline, before the clock moves on. Bounded: never the handler.
        for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      });
      outcome = await Promise.race<Outcome>([settled, timedOut]);
      timer.cancel();
    }

    if ('timedOut' in outcome) {
      // Still running: kept for `drain`; its result or error, already handled by the race, is ignored.
      this.track(handlerRun);
      const error = new LambdaTimeoutError(name, requestId, spec.timeoutSeconds);
      record('timed-out', `${error.errorType}: ${error.errorMessage}`, deadline);
      throw error;
    }
    if (outcome.ok) {
      try {
        const result = outcome.value === undefined ? null : structuredClone(outcome.value);
        record('succeeded');
        return result;
      } catch (e) {
        // A result Lambda could not serialise is the function's error.
        outcome = { ok: false, error: e };
      }
    }
    const e = outcome.error;
    const err = e instanceof Error ? e : new Error(String(e));
    record('failed', `${err.name}: ${err.message}`);
    throw new LambdaInvocationError(name, err.name || 'Error', err.message, { cause: e });
  }

  private applyEnvironment(spec: FunctionSpec): void {
    // A variable only another function declares must not be visible to this one: on Lambda it is not,
    // and a handler that needs it would pass here and fail its cold start there.
    for (const key of this.applied) if (!(key in spec.environment)) delete process.env[key];
    this.applied = Object.keys(spec.environment);
    const clock = this.opts.clock;
    (globalThis as Record<symbol, unknown>)[HOST_CLOCK] = { now: () => clock.now() };
    // Powertools metrics go to CloudWatch as EMF lines on stdout; there is no CloudWatch here, so the
    // lines would only bury the logs. A function that sets the variable itself keeps its own value.
    Object.assign(
      process.env,
      { POWERTOOLS_METRICS_DISABLED: 'true' },
      this.opts.cloudEnv,
      spec.environment,
      {
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_REGION: this.opts.region,
        AWS_DEFAULT_REGION: this.opts.region,
      },
    );
  }

  private load(spec: FunctionSpec): Handler {
    const cached = this.loaded.get(spec.name);
    if (cached) return cached;
    const file = resolve(this.opts.root, spec.handler.module);
    // require, not import(): handler modules are TypeScript run through the test or tsx transform.
    const mod = require(file) as Record<string, unknown>;
    const handler = mod[spec.handler.exportName];
    if (typeof handler !== 'function') {
      throw new UnknownFunctionError(
        `${spec.name}: ${spec.handler.module} exports no function "${spec.handler.exportName}"`,
      );
    }
    this.loaded.set(spec.name, handler as Handler);
    return handler as Handler;
  }
}
