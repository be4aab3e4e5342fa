import { BuilderLostError } from '../errors';
import type { BuildProgress } from './build-progress';
import type { BuildDeps } from './deps';

/**
 * One look at the builder, for the machine's waits (boot, stop): answers its EC2 state and counts the
 * look. A builder that is gone or going can never become ready or stopped, so that is an error, which
 * the machine's Catch turns into a failed build.
 */
export const checkBuilder = async (
  progress: BuildProgress,
  deps: Pick<BuildDeps, 'compute'>,
): Promise<BuildProgress> => {
  const instance = await deps.compute.describeInstance(progress.instanceId);
  const state = instance?.state ?? 'terminated';
  if (state === 'terminated' || state === 'shutting-down')
    throw new BuilderLostError(progress.instanceId, state);
  return { ...progress, builderState: state, checks: progress.checks + 1 };
};
