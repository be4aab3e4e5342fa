import type { LaunchPermissionGrants, LaunchPermissions } from '@ami-lifecycle/core';
import { BlockPublicAccessOffError, ImageNotPublishableError } from '../errors';
import type { PublishDeps } from './deps';
import { auditOf, requireApproved, requireImage } from './images';
import type { PublicationPlan, PublicationRequest } from './publication';

export interface ShareResult {
  /** Per region, what was granted and taken away (empty when it was already exactly right). */
  changes: { region: string; imageId: string; added: string[]; removed: string[] }[];
}

const diff = (want: readonly string[], have: readonly string[]) => ({
  add: want.filter((x) => !have.includes(x)),
  remove: have.filter((x) => !want.includes(x)),
});

/** The grants to add and take away so that `current` becomes exactly `wanted` (and never public). */
export const launchPermissionChange = (wanted: LaunchPermissionGrants, current: LaunchPermissions) => {
  const accounts = diff(wanted.accountIds, current.accountIds);
  const orgs = diff(wanted.organizationArns, current.organizationArns);
  const ous = diff(wanted.organizationalUnitArns, current.organizationalUnitArns);
  return {
    add: { accountIds: accounts.add, organizationArns: orgs.add, organizationalUnitArns: ous.add },
    remove: {
      accountIds: accounts.remove,
      organizationArns: orgs.remove,
      organizationalUnitArns: ous.remove,
    },
    removePublic: current.public,
  };
};

const listed = (g: LaunchPermissionGrants): string[] => [
  ...g.accountIds,
  ...g.organizationArns,
  ...g.organizationalUnitArns,
];

/**
 * Shares the image in every region of the plan with exactly the family's allow-listed accounts,
 * organization and OUs: what is missing is granted, anything else (a grant a person added by hand, an
 * account the policy no longer lists, `Group=all`) is taken away. Refuses a region where image block
 * public access is off. Idempotent: a retry finds the grants in place and changes nothing.
 */
export const shareImage = async (
  input: { request: PublicationRequest; plan: PublicationPlan },
  deps: Pick<PublishDeps, 'catalog' | 'regions' | 'clock' | 'actor'>,
): Promise<ShareResult> => {
  const { request, plan } = input;
  const image = await requireApproved(request, plan.homeRegion, deps);
  const changes: ShareResult['changes'] = [];
  // Every region is checked before any is changed, so a region with block public access off shares nothing.
  for (const region of plan.regions) {
    if (!(await deps.regions(region).images.isImageBlockPublicAccessOn())) {
      throw new BlockPublicAccessOffError(region);
    }
  }
  for (const region of plan.regions) {
    const imageId = image.amiIds[region];
    if (imageId === undefined)
      throw new ImageNotPublishableError(request.family, request.version, `no AMI recorded in ${region}`);
    const images = deps.regions(region).images;
    const change = launchPermissionChange(plan.grants, await images.getLaunchPermissions(imageId));
    const added = listed(change.add);
    const removed = [...listed(change.remove), ...(change.removePublic ? ['public (Group=all)'] : [])];
    if (added.length === 0 && removed.length === 0) continue;
    await images.modifyLaunchPermissions(imageId, change);
    changes.push({ region, imageId, added, removed });
  }
  if (changes.length > 0) {
    const who = listed(plan.grants);
    const fresh = await requireImage(deps.catalog, request);
    await deps.catalog.updateImage(image.family, image.version, fresh.stateVersion, undefined, {
      ...auditOf(
        request,
        `shared with ${who.length > 0 ? who.join(', ') : 'nobody (owner only)'} in ${plan.regions.join(', ')}${changes.some((c) => c.removed.length > 0) ? `; taken away: ${[...new Set(changes.flatMap((c) => c.removed))].join(', ')}` : ''}`,
        deps,
      ),
      at: deps.clock.now().toISOString(),
      action: 'shared',
    });
  }
  return { changes };
};
