import { isManaged } from '@ami-lifecycle/core';
import type { InspectDeps } from './deps';
import { INSPECTION_ID_TAG, type InspectionRequest } from './inspection';

/**
 * Terminates every test instance of the inspection, found by its inspection-id tag, so it also finds an
 * instance whose launch answer was lost (the failure path knows no instance id). Idempotent: terminated
 * instances drop out of the search, and terminating one twice is not an error.
 */
export const terminateTestInstances = async (
  request: Pick<InspectionRequest, 'inspectionId'>,
  deps: Pick<InspectDeps, 'compute'>,
): Promise<{ terminated: string[] }> => {
  // Only what carries our managed tag too: IAM conditions TerminateInstances on it, and so does this.
  const instances = (await deps.compute.findInstancesByTag(INSPECTION_ID_TAG, request.inspectionId)).filter(
    (i) => isManaged(i.tags),
  );
  for (const i of instances) await deps.compute.terminateInstance(i.instanceId);
  return { terminated: instances.map((i) => i.instanceId) };
};
