export const COMMAND_STATUSES = [
  'pending',
  'in-progress',
  'success',
  'failed',
  'timed-out',
  'cancelled',
] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export interface RunCommandsRequest {
  instanceId: string;
  /** Shell lines, run as one script. */
  commands: readonly string[];
  /** How long the script may run before it is killed (`timed-out`). */
  timeoutSeconds: number;
  /**
   * A label stored with the command (SSM SendCommand's `Comment`, at most 100 characters), which
   * `findCommands` looks commands up by: a caller that must not send the same script twice gives it a
   * stable one and looks before it sends.
   */
  comment?: string;
}

/** The longest `comment` SSM accepts. */
export const MAX_COMMAND_COMMENT_CHARS = 100;

/** A command found by its comment. */
export interface SentCommandRef {
  commandId: string;
  /** ISO-8601, when SSM accepted it. */
  requestedAt: string;
}

export interface CommandInvocation {
  status: CommandStatus;
  /** Present once the script ended. */
  exitCode?: number;
  stdout: string;
  stderr: string;
}

/** Runs shell scripts on managed instances (builder components, inspection tests). */
export interface CommandPort {
  runCommands(request: RunCommandsRequest): Promise<{ commandId: string }>;
  getInvocation(commandId: string, instanceId: string): Promise<CommandInvocation>;
  /**
   * The commands sent to `instanceId` with exactly this `comment`, newest first (SSM keeps them 30
   * days); empty when there are none.
   */
  findCommands(instanceId: string, comment: string): Promise<SentCommandRef[]>;
}

/** True once an invocation will not change any more. */
export const isCommandFinished = (status: CommandStatus): boolean =>
  status !== 'pending' && status !== 'in-progress';
