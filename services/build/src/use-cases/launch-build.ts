import type { BuildRequestedDetail } from '@ami-lifecycle/contracts';
import { BUILDER_MAX_CHECKS, type BuildProgress } from './build-progress';
import { buildSteps } from './build-steps';
import { type StartBuildDeps, startBuild } from './start-build';

export type LaunchBuildResult =
  | ({ outcome: 'started' } & BuildProgress)
  | { outcome: 'duplicate'; family: string; version: string; state: string };

/**
 * The state machine's first step: `startBuild` (version, catalog image, builder), answered as the progress
 * the rest of the machine carries, with the number of components to run. A request whose build already
 * exists, or whose inputs were already built, answers `duplicate` and the machine ends there.
 */
export const launchBuild = async (
  request: BuildRequestedDetail,
  deps: StartBuildDeps,
): Promise<LaunchBuildResult> => {
  const result = await startBuild(request, deps);
  const { image } = result;
  if (result.outcome === 'duplicate') {
    return { outcome: 'duplicate', family: image.family, version: image.version, state: image.state };
  }
  return {
    outcome: 'started',
    family: image.family,
    version: image.version,
    buildId: image.buildId!,
    correlationId: request.correlationId,
    instanceId: result.instanceId,
    stepIndex: 0,
    stepCount: buildSteps(result.config).length,
    builderState: 'pending',
    checks: 0,
    maxChecks: BUILDER_MAX_CHECKS,
  };
};
