import type {
  Clock,
  CommandInvocation,
  CommandPort,
  CommandStatus,
  InstanceState,
  RunCommandsRequest,
  SentCommandRef,
} from '@ami-lifecycle/core';
import { ResourceNotFoundError } from '../errors';

/** How a script ends: what `finishCommand` sets and what a `respond` hook answers. */
export interface CommandOutcome {
  status: Extract<CommandStatus, 'success' | 'failed' | 'timed-out' | 'cancelled'>;
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  /** Simulated seconds the script runs before it ends (default: what the script's `sleep`s add up to). */
  seconds?: number;
}

export interface SentCommand extends RunCommandsRequest {
  commandId: string;
  requestedAt: Date;
}

export interface MemoryCommandsOptions {
  clock: Clock;
  /** The state of an instance, to refuse ones that are not running managed nodes; any id is accepted when absent. */
  instanceState?: (instanceId: string) => InstanceState | undefined;
  /** Scripted outcomes; when it answers undefined the script is interpreted (see `interpretScript`). */
  respond?: (request: RunCommandsRequest) => CommandOutcome | undefined;
}

/** SSM Run Command's own code for a script killed at its execution timeout (SIGKILL). */
const KILLED_EXIT_CODE = 137;
/** Simulated seconds between SendCommand and the agent picking the script up (the local cloud's 1). */
const DELIVERY_SECONDS = 1;

/**
 * A small stand-in for the local cloud's shell: `echo TEXT` writes a line to stdout, `sleep N` takes N
 * seconds, `exit N` ends the script with N; any other line succeeds at once.
 */
export const interpretScript = (commands: readonly string[]): CommandOutcome => {
  let stdout = '';
  let seconds = 0;
  for (const line of commands) {
    const [word, ...rest] = line.trim().split(/\s+/);
    if (word === 'echo') stdout += `${rest.join(' ')}\n`;
    else if (word === 'sleep') seconds += Number(rest[0] ?? 0);
    else if (word === 'exit') {
      const exitCode = Number(rest[0] ?? 0);
      return { status: exitCode === 0 ? 'success' : 'failed', exitCode, stdout, seconds };
    }
  }
  return { status: 'success', exitCode: 0, stdout, seconds };
};

interface Invocation {
  sent: SentCommand;
  outcome: CommandOutcome;
  /** Delivery, and the end of the script (or its kill at the timeout), on the injected clock. */
  startMs: number;
  endMs: number;
  forced?: boolean;
}

/**
 * `CommandPort` in memory with `SsmCommands`' semantics: an invocation is `pending` until delivered
 * (one simulated second), `in-progress` while its script runs on the injected clock, then ends as the
 * script says, or `timed-out` (exit 137) when it outlives `timeoutSeconds`. Unknown invocations read
 * as `pending`, as AWS answers for a moment after SendCommand.
 */
export class MemoryCommands implements CommandPort {
  private readonly clock: Clock;
  private readonly invocations = new Map<string, Invocation>();
  private counter = 0;
  instanceState: ((instanceId: string) => InstanceState | undefined) | undefined;
  respond: ((request: RunCommandsRequest) => CommandOutcome | undefined) | undefined;

  constructor(options: MemoryCommandsOptions) {
    this.clock = options.clock;
    this.instanceState = options.instanceState;
    this.respond = options.respond;
  }

  async runCommands(request: RunCommandsRequest): Promise<{ commandId: string }> {
    if (this.instanceState && this.instanceState(request.instanceId) !== 'running')
      throw new ResourceNotFoundError('managed instance', request.instanceId);
    this.counter += 1;
    const commandId = `00000000-0000-4000-8000-${this.counter.toString(16).padStart(12, '0')}`;
    const now = this.clock.now();
    const outcome = this.respond?.(request) ?? interpretScript(request.commands);
    const startMs = now.getTime() + DELIVERY_SECONDS * 1000;
    const runMs = (outcome.seconds ?? 0) * 1000;
    const timeoutMs = request.timeoutSeconds * 1000;
    const killed = runMs > timeoutMs;
    this.invocations.set(commandId, {
      sent: { ...request, commands: [...request.commands], commandId, requestedAt: now },
      outcome: killed
        ? { status: 'timed-out', exitCode: KILLED_EXIT_CODE, stdout: outcome.stdout ?? '', stderr: '' }
        : outcome,
      startMs,
      endMs: startMs + (killed ? timeoutMs : runMs),
    });
    return { commandId };
  }

  async getInvocation(commandId: string, instanceId: string): Promise<CommandInvocation> {
    const inv = this.invocations.get(commandId);
    if (!inv || inv.sent.instanceId !== instanceId) return { status: 'pending', stdout: '', stderr: '' };
    const nowMs = this.clock.now().getTime();
    if (!inv.forced && nowMs < inv.startMs) return { status: 'pending', stdout: '', stderr: '' };
    if (!inv.forced && nowMs < inv.endMs) return { status: 'in-progress', stdout: '', stderr: '' };
    const { status, exitCode, stdout, stderr } = inv.outcome;
    return {
      status,
      ...(exitCode !== undefined && exitCode >= 0 ? { exitCode } : {}),
      stdout: stdout ?? '',
      stderr: stderr ?? '',
    };
  }

  async findCommands(instanceId: string, comment: string): Promise<SentCommandRef[]> {
    return [...this.invocations.values()]
      .filter((i) => i.sent.instanceId === instanceId && i.sent.comment === comment)
      .reverse()
      .map((i) => ({ commandId: i.sent.commandId, requestedAt: i.sent.requestedAt.toISOString() }));
  }

  // --- test controls -------------------------------------------------------------------------------

  /** Ends an invocation now with the given outcome, whatever its script said. */
  finishCommand(commandId: string, outcome: Omit<CommandOutcome, 'seconds'>): void {
    const inv = this.invocations.get(commandId);
    if (!inv) throw new ResourceNotFoundError('command', commandId);
    inv.outcome = outcome;
    inv.forced = true;
  }

  /** Every command sent, in order: what a service test asserts on. */
  sent(): SentCommand[] {
    return [...this.invocations.values()].map((i) => structuredClone(i.sent));
  }
}
