import { isManaged, TAG_PREFIX } from '@ami-lifecycle/core';
import type { BuildDeps } from './deps';

/** The tag that ties a builder (and the AMI taken from it) to its build; `managedTags` writes it. */
export const BUILD_ID_TAG = `${TAG_PREFIX}build-id`;

/**
 * Every builder of the build still alive, terminated; answers their ids. Only what carries our managed
 * tag too: IAM conditions TerminateInstances on it, and so does this.
 */
export const terminateBuilders = async (
  buildId: string | undefined,
  deps: Pick<BuildDeps, 'compute'>,
): Promise<string[]> => {
  if (buildId === undefined) return [];
  const builders = (await deps.compute.findInstancesByTag(BUILD_ID_TAG, buildId)).filter((b) =>
    isManaged(b.tags),
  );
  for (const b of builders) await deps.compute.terminateInstance(b.instanceId);
  return builders.map((b) => b.instanceId);
};
