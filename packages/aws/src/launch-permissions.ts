import { type LaunchPermissionGrants, PublicSharingRefusedError } from '@ami-lifecycle/core';
import { InvalidLaunchPermissionError } from './errors';

/** The only grants the controller ever makes: one account, one organisation, one OU. */
const ACCOUNT_ID = /^\d{12}$/;
const ORGANIZATION_ARN = /^arn:aws:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/;
const OU_ARN = /^arn:aws:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/;

export interface LaunchPermissionChange {
  add: LaunchPermissionGrants;
  remove: LaunchPermissionGrants;
  removePublic?: boolean;
}

const firstInvalid = (grants: LaunchPermissionGrants): string | undefined =>
  grants.accountIds.find((v) => !ACCOUNT_ID.test(v)) ??
  grants.organizationArns.find((v) => !ORGANIZATION_ARN.test(v)) ??
  grants.organizationalUnitArns.find((v) => !OU_ARN.test(v));

/**
 * Throws unless every grant to add or remove names exactly one account (12 digits), organisation or OU
 * by its ARN. Anything else to add (`all`, `*`, a 13-digit id, a malformed ARN) could share the image
 * with more than intended, so it is a `PublicSharingRefusedError`; a bad value to remove is an
 * `InvalidLaunchPermissionError`. `Ec2Images` and `MemoryImages` both call this before anything else.
 */
export const checkLaunchPermissionChange = (imageId: string, change: LaunchPermissionChange): void => {
  const badAdd = firstInvalid(change.add);
  if (badAdd !== undefined) throw new PublicSharingRefusedError(imageId, badAdd);
  const badRemove = firstInvalid(change.remove);
  if (badRemove !== undefined) throw new InvalidLaunchPermissionError(imageId, badRemove);
};

export const isEmptyChange = (change: LaunchPermissionChange): boolean =>
  change.removePublic !== true &&
  [change.add, change.remove].every(
    (g) => g.accountIds.length + g.organizationArns.length + g.organizationalUnitArns.length === 0,
  );
