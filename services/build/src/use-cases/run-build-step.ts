import { ValidationError } from '@ami-lifecycle/core';
import { BuilderNotReadyError } from '../errors';
import { type BuildProgress, maxChecksFor } from './build-progress';
import { loadBuildSteps } from './build-steps';
import { requireBuildingImage } from './building-image';
import { requireOwnBuilder } from './check-builder';
import type { BuildDeps } from './deps';

/**
 * Sends the component at `stepIndex` to the builder as one SSM command, with the component's timeout as
 * the script's run-time limit, and resets the polling counter for it. A builder SSM does not manage yet
 * (booting, agent not registered) is `BuilderNotReadyError`, which the machine retries after a pause.
 * Only an instance tagged as this build's managed builder is sent anything (`BuilderNotOwnedError`
 * otherwise).
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
  let commandId: string;
  try {
    ({ commandId } = await deps.commands.runCommands({
      instanceId: progress.instanceId,
      commands: step.commands,
      timeoutSeconds: step.timeoutSeconds,
    }));
  } catch (err) {
    // SSM answers "not a valid instance" for a node it does not manage yet; anything else stands.
    if (err instanceof Error && err.name === 'ResourceNotFoundError')
      throw new BuilderNotReadyError(progress.instanceId, { cause: err });
    throw err;
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
