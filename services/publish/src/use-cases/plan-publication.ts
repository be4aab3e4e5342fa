import type { PublishDeps } from './deps';
import { loadFamilyConfig } from './family-config';
import { requireApproved } from './images';
import { type PublicationPlan, type PublicationRequest, publicationPlan } from './publication';

/**
 * The machine's first step: the image must still be approved with the AMI the request names; the plan
 * (regions, keys, grants, parameters) is derived once from the family's current config and carried by
 * the execution, so a config applied mid-publication does not change what the remaining steps do.
 */
export const planPublication = async (
  input: { request: PublicationRequest },
  deps: Pick<PublishDeps, 'catalog' | 'region'>,
): Promise<PublicationPlan & { configVersion: number }> => {
  await requireApproved(input.request, deps.region, deps);
  const { config, version } = await loadFamilyConfig(deps.catalog, input.request.family);
  return { ...publicationPlan(config, deps.region), configVersion: version };
};
