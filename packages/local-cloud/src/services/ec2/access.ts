import type { Accounts } from '../../accounts';
import type { OpContext } from './context';
import type { Ec2Image } from './model';
import { ec2Error } from './params';

export const IMAGE_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const ORG_ARN = /^arn:aws:organizations::(\d{12}):organization\/(o-[a-z0-9]{10,32})$/;
const OU_ARN =
  /^arn:aws:organizations::(\d{12}):ou\/(o-[a-z0-9]{10,32})\/(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32})$/;

export interface OrganizationRef {
  managementAccountId: string;
  organizationId: string;
}

export const parseOrganizationArn = (arn: string): OrganizationRef | undefined => {
  const m = ORG_ARN.exec(arn);
  return m ? { managementAccountId: m[1]!, organizationId: m[2]! } : undefined;
};

export const parseOuArn = (arn: string): (OrganizationRef & { ouId: string }) | undefined => {
  const m = OU_ARN.exec(arn);
  return m ? { managementAccountId: m[1]!, organizationId: m[2]!, ouId: m[3]! } : undefined;
};

/** True when the ARN names the organisation the cloud models (same id and management account). */
export const isModelledOrganization = (ref: OrganizationRef, accounts: Accounts): boolean =>
  accounts.organization !== undefined &&
  ref.organizationId === accounts.organization.id &&
  ref.managementAccountId === accounts.organization.managementAccountId;

/** A launch permission granted to the account itself, its organisation, or its OU (not `all`). */
export const hasExplicitPermission = (image: Ec2Image, accountId: string, accounts: Accounts): boolean => {
  if (image.launchPermissions.userIds.has(accountId)) return true;
  for (const arn of image.launchPermissions.organizationArns) {
    const ref = parseOrganizationArn(arn);
    if (ref && isModelledOrganization(ref, accounts) && accounts.inOrganization(accountId)) return true;
  }
  for (const arn of image.launchPermissions.organizationalUnitArns) {
    const ref = parseOuArn(arn);
    if (ref && isModelledOrganization(ref, accounts) && accounts.inOrganization(accountId, ref.ouId))
      return true;
  }
  return false;
};

/**
 * Whether an account may see and launch an image: its own, a public one, or one shared with it. A
 * deregistered image is gone for everyone; a disabled one is visible to its owner only.
 */
export const canAccessImage = (image: Ec2Image, accountId: string, accounts: Accounts): boolean => {
  if (image.state === 'deregistered') return false;
  if (image.ownerId === accountId) return true;
  if (image.state === 'disabled') return false;
  return image.public || hasExplicitPermission(image, accountId, accounts);
};

export const isDeprecated = (image: Ec2Image, nowMs: number): boolean =>
  image.deprecationTime !== undefined && image.deprecationTime <= nowMs;

export const checkImageId = (imageId: string): void => {
  if (!IMAGE_ID.test(imageId))
    throw ec2Error('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
};

export const imageNotFound = (ids: readonly string[]) =>
  ec2Error('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`);

/** An image the caller may use in this region; an inaccessible one does not exist as far as they can tell. */
export const findAccessibleImage = (op: OpContext, imageId: string, store = op.store): Ec2Image => {
  checkImageId(imageId);
  const image = store.images.get(imageId);
  if (!image || !canAccessImage(image, op.accountId, op.cloud.accounts)) throw imageNotFound([imageId]);
  return image;
};

/** An image the caller owns; a shared or public image of someone else is refused as EC2 refuses it. */
export const findOwnedImage = (op: OpContext, imageId: string): Ec2Image => {
  const image = findAccessibleImage(op, imageId);
  if (image.ownerId !== op.accountId) throw ec2Error('AuthFailure', `Not authorized for image:${imageId}`);
  return image;
};
