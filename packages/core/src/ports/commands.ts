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
}

/** True once an invocation will not change any more. */
export const isCommandFinished = (status: CommandStatus): boolean =>
  status !== 'pending' && status !== 'in-progress';
