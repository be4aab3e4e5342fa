import { BUILDER_MAX_CHECKS, type BuildProgress } from './build-progress';
import { requireBuildingImage } from './building-image';
import { requireOwnBuilder } from './check-builder';
import type { BuildDeps } from './deps';

/**
 * Stops the builder once every component succeeded, so the image is taken from a quiet file system (an
 * image of a running instance would need a reboot during CreateImage). Resets the counter for the wait
 * until it is `stopped`; stopping a stopped or stopping builder is a no-op in EC2, so a retry is safe.
 * Only an instance tagged as this build's managed builder is stopped (`BuilderNotOwnedError` otherwise).
 */
export const stopBuilder = async (
  progress: BuildProgress,
  deps: Pick<BuildDeps, 'catalog' | 'compute'>,
): Promise<BuildProgress> => {
  const image = await requireBuildingImage(progress, deps.catalog);
  await requireOwnBuilder(image, progress.instanceId, deps);
  await deps.compute.stopInstance(progress.instanceId);
  return { ...progress, builderState: 'stopping', checks: 0, maxChecks: BUILDER_MAX_CHECKS };
};
