import { type CommandInvocation, isCommandFinished, ValidationError } from '@ami-lifecycle/core';
import type { BuildProgress } from './build-progress';
import type { BuildDeps } from './deps';

/** How much of stderr a failure reason quotes: the end is where scripts say what went wrong. */
const STDERR_TAIL_CHARS = 500;

/**
 * One look at the running component's command: `running` while SSM has it pending or in progress;
 * `succeeded` moves `stepIndex` to the next component; anything else is `failed` with a reason naming
 * the component, SSM's status, the exit code and the tail of stderr. Counts the look either way.
 */
export const pollBuildStep = async (
  progress: BuildProgress,
  deps: Pick<BuildDeps, 'commands'>,
): Promise<BuildProgress> => {
  if (progress.commandId === undefined) {
    throw new ValidationError(`build progress of ${progress.family}@${progress.version}`, [
      { path: 'commandId', message: 'is missing: no component was sent to the builder' },
    ]);
  }
  const invocation = await deps.commands.getInvocation(progress.commandId, progress.instanceId);
  const checks = progress.checks + 1;
  if (!isCommandFinished(invocation.status)) return { ...progress, stepStatus: 'running', checks };
  if (invocation.status === 'success') {
    return { ...progress, stepStatus: 'succeeded', stepIndex: progress.stepIndex + 1, checks };
  }
  return { ...progress, stepStatus: 'failed', reason: failureReason(progress, invocation), checks };
};

const failureReason = (progress: BuildProgress, invocation: CommandInvocation): string => {
  const component = progress.stepName ?? `step ${progress.stepIndex + 1}`;
  const exit = invocation.exitCode === undefined ? 'no exit code' : `exit code ${invocation.exitCode}`;
  const stderr = invocation.stderr.trim();
  const tail = stderr.length > STDERR_TAIL_CHARS ? `…${stderr.slice(-STDERR_TAIL_CHARS)}` : stderr;
  return `component ${component} ${invocation.status} (${exit})${tail ? `: ${tail}` : ''}`;
};
