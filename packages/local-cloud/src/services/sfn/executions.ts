import { randomUUID } from 'node:crypto';
import { AwsError } from '../../errors';
import type { CloudContext } from '../../types';
import type { CompiledDefinition } from './definition';
import {
  type ClosedExecutionRecord,
  Execution,
  type ExecutionHost,
  type ExecutionSpec,
  type ExecutionStatus,
  type InvokeLambda,
} from './engine';
import type { HistoryEvent } from './history';
import type { Caller, StateMachineRecord, StateMachines } from './state-machines';
import { assertValidName, epochSeconds, executionArn, paginate, parseArn } from './wire';

/** Closed executions are kept, and their names taken, for 90 days (AWS's retention for STANDARD). */
export const EXECUTION_RETENTION_MS = 90 * 24 * 3600 * 1000;

/** AWS's limit on execution input, in UTF-8 bytes. */
const MAX_INPUT_BYTES = 256 * 1024;

const STATUSES: readonly string[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];

export interface StartExecutionInput {
  stateMachineArn: string;
  name?: string | undefined;
  input?: string | undefined;
}

export interface WaitOptions {
  /** How far the clock may be moved before giving up (default one day). */
  maxAdvanceSeconds?: number;
  /** The step when the execution waits on nothing of its own (a Lambda call, another service). */
  stepSeconds?: number;
  /** How long to wait, in real time, for Lambda calls in flight before moving the clock anyway. */
  lambdaSettleMs?: number;
}

/** The error and cause of an execution that was running when the cloud's state was saved. */
export const RESTART_ERROR = 'LocalCloud.Restarted';
export const RESTART_CAUSE =
  'The local cloud was stopped while this execution ran. Executions do not survive a restart: the state they were in lived in the stopped process.';

/** An execution as a state file holds it. */
export interface SavedExecution {
  seq: number;
  spec: Omit<ExecutionSpec, 'definition'>;
  /** The definition it ran, as text. */
  definition: string;
  status: ExecutionStatus;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  startDate: number;
  stopDate: number | undefined;
  history: HistoryEvent[];
}

interface Entry {
  execution: Execution;
  seq: number;
}

/** Executions per state machine: starting with AWS's name idempotency, describing, listing, stopping. */
export class Executions {
  private readonly byArn = new Map<string, Entry>();
  private seq = 0;
  private readonly host: ExecutionHost;

  constructor(
    private readonly ctx: CloudContext,
    private readonly machines: StateMachines,
    invokeLambda: InvokeLambda,
  ) {
    this.host = { clock: ctx.clock, invokeLambda, onStatusChange: (e) => this.emitStatusChange(e) };
  }

  /**
   * StartExecution. For STANDARD machines AWS answers a repeated call with the same name and input, while
   * that execution runs, with the same execution; a different input, or a name whose execution has
   * closed, is `ExecutionAlreadyExists` until the closed execution's 90 days have passed.
   */
  start(caller: Caller, request: StartExecutionInput): Execution {
    const machine = this.machines.get(caller, request.stateMachineArn);
    const name = request.name ?? randomUUID();
    assertValidName(name);
    const input = request.input ?? '{}';
    if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) {
      throw new AwsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: 'the input is larger than ${MAX_INPUT_BYTES} bytes'`,
      );
    }
    try {
      JSON.parse(input);
    } catch (e) {
      throw new AwsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(e as Error).message}'`,
      );
    }
    const arn = executionArn(machine.region, machine.accountId, machine.name, name);
    const existing = this.entry(arn);
    if (existing) {
      const previous = existing.execution;
      if (previous.status === 'RUNNING' && previous.spec.input === input) return previous;
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution = new Execution(
      {
        arn,
        name,
        stateMachineArn: machine.arn,
        stateMachineName: machine.name,
        accountId: machine.accountId,
        region: machine.region,
        roleArn: machine.roleArn,
        input,
        definition: machine.definition,
      },
      this.host,
    );
    this.byArn.set(arn, { execution, seq: ++this.seq });
    execution.start();
    return execution;
  }

  get(caller: Caller, arn: string): Execution {
    const parsed = parseArn(arn, 'execution');
    const entry = this.entry(arn);
    if (!entry || parsed.accountId !== caller.accountId || parsed.region !== caller.region) {
      throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    }
    return entry.execution;
  }

  describe(caller: Caller, arn: string): Record<string, unknown> {
    const e = this.get(caller, arn);
    return {
      executionArn: e.spec.arn,
      stateMachineArn: e.spec.stateMachineArn,
      name: e.spec.name,
      status: e.status,
      startDate: epochSeconds(e.startDate),
      ...(e.stopDate !== undefined ? { stopDate: epochSeconds(e.stopDate) } : {}),
      input: e.spec.input,
      inputDetails: { included: true },
      ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
      redriveCount: 0,
    };
  }

  /** Newest first, as AWS lists them. */
  list(
    caller: Caller,
    request: {
      stateMachineArn: string;
      statusFilter?: string | undefined;
      maxResults: number;
      nextToken?: string | undefined;
    },
  ): Record<string, unknown> {
    const machine = this.machines.get(caller, request.stateMachineArn);
    const filter = request.statusFilter;
    if (filter !== undefined && !STATUSES.includes(filter)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${filter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
      );
    }
    const entries = this.entriesOf(machine)
      .filter((x) => filter === undefined || x.execution.status === (filter as ExecutionStatus))
      .sort((a, b) => b.seq - a.seq);
    const { page, nextToken } = paginate(entries, (x) => x.seq, {
      listing: `executions:${machine.arn}:${filter ?? ''}`,
      maxResults: request.maxResults,
      nextToken: request.nextToken,
      descending: true,
    });
    return {
      executions: page.map(({ execution: e }) => ({
        executionArn: e.spec.arn,
        stateMachineArn: e.spec.stateMachineArn,
        name: e.spec.name,
        status: e.status,
        startDate: epochSeconds(e.startDate),
        ...(e.stopDate !== undefined ? { stopDate: epochSeconds(e.stopDate) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  history(
    caller: Caller,
    request: {
      executionArn: string;
      maxResults: number;
      nextToken?: string | undefined;
      reverseOrder: boolean;
      includeExecutionData: boolean;
    },
  ): Record<string, unknown> {
    const e = this.get(caller, request.executionArn);
    return e.history.page({ listing: `history:${e.spec.arn}`, ...request });
  }

  /** StopExecution; stopping an execution that has already closed changes nothing. */
  stop(
    caller: Caller,
    arn: string,
    error: string | undefined,
    cause: string | undefined,
  ): Record<string, unknown> {
    const e = this.get(caller, arn);
    e.stop(error, cause);
    return { stopDate: epochSeconds(e.stopDate!) };
  }

  /** Stops the machine's running executions and forgets all of them (DeleteStateMachine). */
  removeFor(machine: StateMachineRecord): void {
    for (const { execution } of this.entriesOf(machine)) {
      execution.stop('States.Runtime', 'The state machine was deleted.');
      this.byArn.delete(execution.spec.arn);
    }
  }

  /**
   * Moves the simulated clock in bounded steps until the execution closes: straight to the execution's
   * next wait when it has one, else by `stepSeconds`. Throws, naming the states it is in, when the
   * execution is still running after `maxAdvanceSeconds`.
   */
  async waitFor(arn: string, opts: WaitOptions = {}): Promise<Execution> {
    const parsed = parseArn(arn, 'execution');
    const execution = this.get(parsed, arn);
    const clock = this.ctx.clock;
    const maxAdvanceMs = (opts.maxAdvanceSeconds ?? 86_400) * 1000;
    const stepMs = (opts.stepSeconds ?? 1) * 1000;
    const limit = clock.nowMillis() + maxAdvanceMs;
    // Each turn either closes the execution, fires one of its waits or moves the clock a step: the count
    // only guards against a definition that loops forever on zero-second waits.
    for (let turn = 0; turn < 100_000; turn++) {
      await execution.settle(opts.lambdaSettleMs ?? 250);
      if (execution.status !== 'RUNNING') return execution;
      const now = clock.nowMillis();
      if (now >= limit) break;
      const wake = execution.nextWakeAt();
      const target = Math.min(limit, wake !== undefined ? Math.max(wake, now) : now + stepMs);
      await clock.advance((target - now) / 1000);
    }
    throw new Error(
      `execution ${arn} is still RUNNING (in ${execution.currentStates().join(', ') || 'no state'}) after the clock moved ${(clock.nowMillis() - (limit - maxAdvanceMs)) / 1000} s`,
    );
  }

  /** Stops every running execution: for shutting the cloud down without leaving timers behind. */
  stopAll(): void {
    for (const { execution } of this.byArn.values()) {
      execution.stop('States.Runtime', 'The local cloud stopped.');
    }
  }

  /**
   * Every execution still kept (closed ones until their 90 days are over), with its whole history, for a
   * state file. A running one is saved as it stands; `importState` ends it.
   */
  exportState(): { seq: number; executions: SavedExecution[] } {
    return {
      seq: this.seq,
      executions: [...this.byArn.values()].map(({ execution: e, seq }) => {
        const { definition, ...spec } = e.spec;
        return {
          seq,
          spec,
          definition: definition.text,
          status: e.status,
          output: e.output,
          error: e.error,
          cause: e.cause,
          startDate: e.startDate,
          stopDate: e.stopDate,
          history: [...e.history.list()],
        };
      }),
    };
  }

  /**
   * Replaces every execution with those of `exportState`, closed. One that was running when the state
   * was saved cannot go on (where it was, its waits and the Lambda calls it awaited lived in this
   * process): it is restored ABORTED now, with an `ExecutionAborted` event saying why. No status-change
   * event is sent for it.
   */
  importState(
    saved: ReturnType<Executions['exportState']>,
    compile: (text: string) => CompiledDefinition,
  ): void {
    const now = this.ctx.clock.nowMillis();
    const restored = saved.executions.map((x): Entry => {
      const spec = { ...x.spec, definition: compile(x.definition) };
      const history = [...x.history];
      let record: ClosedExecutionRecord;
      if (x.status === 'RUNNING' || x.stopDate === undefined) {
        const last = history.at(-1);
        const details = { error: RESTART_ERROR, cause: RESTART_CAUSE };
        history.push({
          id: (last?.id ?? 0) + 1,
          previousEventId: last?.id ?? 0,
          timestamp: Math.max(now, last?.timestamp ?? now),
          type: 'ExecutionAborted',
          details: { executionAbortedEventDetails: details },
        });
        record = {
          status: 'ABORTED',
          output: undefined,
          ...details,
          startDate: x.startDate,
          stopDate: now,
          history,
        };
      } else {
        record = {
          status: x.status,
          output: x.output,
          error: x.error,
          cause: x.cause,
          startDate: x.startDate,
          stopDate: x.stopDate,
          history,
        };
      }
      return { execution: new Execution(spec, this.host, record), seq: x.seq };
    });
    this.stopAll();
    this.byArn.clear();
    for (const entry of restored) this.byArn.set(entry.execution.spec.arn, entry);
    this.seq = saved.seq;
  }

  private entriesOf(machine: StateMachineRecord): Entry[] {
    return [...this.byArn.values()].filter(
      (x) => x.execution.spec.stateMachineArn === machine.arn && !this.expire(x),
    );
  }

  /** The entry, unless its retention has run out (then it is forgotten, and its name free again). */
  private entry(arn: string): Entry | undefined {
    const x = this.byArn.get(arn);
    return x && !this.expire(x) ? x : undefined;
  }

  private expire(x: Entry): boolean {
    const stop = x.execution.stopDate;
    if (stop === undefined || stop + EXECUTION_RETENTION_MS > this.ctx.clock.nowMillis()) return false;
    this.byArn.delete(x.execution.spec.arn);
    return true;
  }

  /** AWS sends these for STANDARD executions to the default bus, for EventBridge rules to match. */
  private emitStatusChange(e: Execution): void {
    this.ctx.events.emit({
      source: 'aws.states',
      detailType: 'Step Functions Execution Status Change',
      detail: {
        executionArn: e.spec.arn,
        stateMachineArn: e.spec.stateMachineArn,
        name: e.spec.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate ?? null,
        input: e.spec.input,
        output: e.output ?? null,
        inputDetails: { included: true },
        outputDetails: e.output !== undefined ? { included: true } : null,
        error: e.error ?? null,
        cause: e.cause ?? null,
      },
      accountId: e.spec.accountId,
      region: e.spec.region,
      resources: [e.spec.arn],
      time: this.ctx.clock.now().toISOString(),
    });
  }
}
