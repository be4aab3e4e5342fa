import { MAX_COMMAND_COMMENT_CHARS, ValidationError } from '@ami-lifecycle/core';
import { BuilderNotReadyError } from '../errors';
import { type BuildProgress, maxChecksFor } from './build-progress';
import { type BuildStep, loadBuildSteps } from './build-steps';
import { requireBuildingImage } from './building-image';
import { requireOwnBuilder } from './check-builder';
import type { BuildDeps } from './deps';

/**
 * The SSM comment a component's command is sent with, and found again by: one per build and step. Built
 * from the build id and the step of the config version recorded on the image, so every attempt of the
 * step derives the same one.
 */
export const buildStepComment = (buildId: string, stepIndex: number, step: Pick<BuildStep, 'name'>): string =>
  `ami-lifecycle ${buildId} step ${stepIndex}: ${step.name}`.slice(0, MAX_COMMAND_COMMENT_CHARS);

/**
 * Sends the component at `stepIndex` to the builder as one SSM command, with the component's timeout as
 * the script's run-time limit, and resets the polling counter for it. A builder SSM does not manage yet
 * (booting, agent not registered) is `BuilderNotReadyError`, which the machine retries after a pause.
 *
 * Sent once per build and step: the command carries `buildStepComment`, and a retried step (its first
 * SendCommand accepted, the answer lost) finds that command and follows it instead of running the
 * component a second time, concurrently with the first. Only an instance tagged as this build's managed
 * builder is sent anything (`BuilderNotOwnedError` otherwise).
 */
export const runBuildStep = async (
  progress: BuildProgress,
  deps: Pick<BuildDeps, 'catalog' | 'commands' | 'compute'>,
): Promise<BuildProgress> => {
  const image = await requireBuildingImage(progress, deps.catalog);
  const steps = await loadBuildSteps(deps.catalog, image.family, image.configVersion);
  const step = steps[progress.stepIndex];
  if (step === undefined) {
    throw new ValidationError(`build progress of ${progress.family}@${progress.version}`, [
      { path: 'stepIndex', message: `is ${progress.stepIndex}, but the build has ${steps.length} steps` },
    ]);
  }
  await requireOwnBuilder(image, progress.instanceId, deps);
  const comment = buildStepComment(image.buildId!, progress.stepIndex, step);
  // Newest first; there is at most one unless something else sent with our comment.
  const [sent] = await deps.commands.findCommands(progress.instanceId, comment);
  let commandId: string;
  if (sent !== undefined) {
    commandId = sent.commandId;
  } else {
    try {
      ({ commandId } = await deps.commands.runCommands({
        instanceId: progress.instanceId,
        commands: step.commands,
        timeoutSeconds: step.timeoutSeconds,
        comment,
      }));
    } catch (err) {
      // SSM answers "not a valid instance" for a node it does not manage yet; anything else stands.
      if (err instanceof Error && err.name === 'ResourceNotFoundError')
        throw new BuilderNotReadyError(progress.instanceId, { cause: err });
      throw err;
    }
  }
  const { reason: _previous, ...rest } = progress;
  return {
    ...rest,
    stepCount: steps.length,
    stepName: step.name,
    commandId,
    stepStatus: 'running',
    checks: 0,
    maxChecks: maxChecksFor(step.timeoutSeconds),
  };
};
