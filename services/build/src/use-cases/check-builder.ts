import { type Image, type InstanceDescription, isManaged } from '@ami-lifecycle/core';
import { BuilderLostError, BuilderNotOwnedError } from '../errors';
import type { BuildProgress } from './build-progress';
import { BUILD_ID_TAG } from './builders';
import type { BuildDeps } from './deps';

/**
 * The builder a step acts on, checked against the catalog image: it must carry `ami-lifecycle:managed=true`
 * and the image's build id. The instance id comes from the step progress, which the machine carries
 * from step to step; nothing is stopped, imaged or sent commands on the word of that field alone.
 * A builder that is gone is `BuilderLostError`, as `checkBuilder` says.
 */
export const requireOwnBuilder = async (
  image: Pick<Image, 'buildId'>,
  instanceId: string,
  deps: Pick<BuildDeps, 'compute'>,
): Promise<InstanceDescription> => {
  const instance = await deps.compute.describeInstance(instanceId);
  if (instance === undefined) throw new BuilderLostError(instanceId, 'terminated');
  if (!isManaged(instance.tags))
    throw new BuilderNotOwnedError(instanceId, image.buildId, 'it is not tagged ami-lifecycle:managed=true');
  const tagged = instance.tags[BUILD_ID_TAG];
  if (image.buildId === undefined || tagged !== image.buildId) {
    throw new BuilderNotOwnedError(
      instanceId,
      image.buildId,
      tagged === undefined ? `it has no ${BUILD_ID_TAG} tag` : `it carries ${BUILD_ID_TAG}=${tagged}`,
    );
  }
  return instance;
};

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
