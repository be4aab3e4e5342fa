import {
  findOwnedImage,
  isModelledOrganization,
  type OrganizationRef,
  parseOrganizationArn,
  parseOuArn,
} from './access';
import type { Handler, OpContext } from './context';
import { blockDeviceMappingXml, protectionValue } from './image-xml';
import type { Ec2Image } from './model';
import { checkDryRun, ec2Error, invalidValue, members, required, str, strings } from './params';

type Permission =
  | { kind: 'user'; value: string }
  | { kind: 'group'; value: 'all' }
  | { kind: 'org'; value: string }
  | { kind: 'ou'; value: string };

const badItem = (message: string) => ec2Error('InvalidAMIAttributeItemValue', message);

const permission = (m: ReadonlyMap<string, string>): Permission => {
  const userId = m.get('UserId');
  const group = m.get('Group');
  const org = m.get('OrganizationArn');
  const ou = m.get('OrganizationalUnitArn');
  if (userId !== undefined) return { kind: 'user', value: userId };
  if (group !== undefined) {
    if (group !== 'all') throw badItem(`Invalid attribute item value "${group}" for group item type.`);
    return { kind: 'group', value: 'all' };
  }
  if (org !== undefined) return { kind: 'org', value: org };
  if (ou !== undefined) return { kind: 'ou', value: ou };
  throw ec2Error(
    'MissingParameter',
    'A launch permission must name a UserId, Group, OrganizationArn or OrganizationalUnitArn',
  );
};

/**
 * Checks a grant against the modelled accounts: account ids are 12 digits, organisation and OU ARNs must
 * name the cloud's organisation, and only a member of that organisation may share with it.
 */
const checkPermission = (op: OpContext, image: Ec2Image, perm: Permission, adding: boolean): void => {
  const accounts = op.cloud.accounts;
  const orgCheck = (ref: OrganizationRef | undefined, arn: string) => {
    if (!ref) throw invalidValue(`The ARN '${arn}' is not a valid organization or organizational unit ARN`);
    if (!adding) return;
    if (!isModelledOrganization(ref, accounts))
      throw invalidValue(
        `The organization in '${arn}' does not exist or is not the organization of this account`,
      );
    if (!accounts.inOrganization(image.ownerId))
      throw invalidValue(`Account ${image.ownerId} is not a member of organization ${ref.organizationId}`);
  };
  if (perm.kind === 'user' && !/^\d{12}$/.test(perm.value))
    throw badItem(`Invalid attribute item value "${perm.value}" for userId item type.`);
  if (perm.kind === 'org') orgCheck(parseOrganizationArn(perm.value), perm.value);
  if (perm.kind === 'ou') orgCheck(parseOuArn(perm.value), perm.value);
};

const applyPermission = (image: Ec2Image, perm: Permission, add: boolean): void => {
  const lp = image.launchPermissions;
  const set =
    perm.kind === 'user'
      ? lp.userIds
      : perm.kind === 'org'
        ? lp.organizationArns
        : perm.kind === 'ou'
          ? lp.organizationalUnitArns
          : undefined;
  if (set) {
    if (add) set.add(perm.value);
    else set.delete(perm.value);
  } else {
    image.public = add;
  }
};

/**
 * ModifyImageAttribute in both of EC2's spellings: `LaunchPermission.Add/Remove.N.*` and the older
 * `OperationType` + `UserId.N` / `UserGroup.N` / `OrganizationArn.N` / `OrganizationalUnitArn.N`.
 */
const modifyImageAttribute: Handler = (op) => {
  const { params: p } = op;
  const image = findOwnedImage(op, required(p, 'ImageId'));
  const attribute = p.get('Attribute');
  const add = members(p, 'LaunchPermission.Add').map(permission);
  const remove = members(p, 'LaunchPermission.Remove').map(permission);
  const legacy: Permission[] = [
    ...strings(p, 'UserId').map((value): Permission => ({ kind: 'user', value })),
    ...strings(p, 'UserGroup').map((value): Permission => {
      if (value !== 'all') throw badItem(`Invalid attribute item value "${value}" for group item type.`);
      return { kind: 'group', value: 'all' };
    }),
    ...strings(p, 'OrganizationArn').map((value): Permission => ({ kind: 'org', value })),
    ...strings(p, 'OrganizationalUnitArn').map((value): Permission => ({ kind: 'ou', value })),
  ];
  if (legacy.length > 0) {
    const type = p.get('OperationType');
    if (type === 'add') add.push(...legacy);
    else if (type === 'remove') remove.push(...legacy);
    else
      throw ec2Error(
        'MissingParameter',
        'The request must contain the parameter OperationType (add or remove)',
      );
  }
  const description =
    p.get('Description.Value') ?? (attribute === 'description' ? str(p, 'Value') : undefined);
  const imds = p.get('ImdsSupport.Value') ?? (attribute === 'imdsSupport' ? str(p, 'Value') : undefined);
  if (add.length === 0 && remove.length === 0 && description === undefined && imds === undefined)
    throw ec2Error('InvalidParameterCombination', 'No attributes specified.');

  for (const perm of add) checkPermission(op, image, perm, true);
  for (const perm of remove) checkPermission(op, image, perm, false);
  if (add.length > 0 && image.state === 'disabled')
    throw ec2Error('InvalidAMIID.Unavailable', `Image ${image.imageId} is disabled and cannot be shared`);
  if (add.some((perm) => perm.kind === 'group') && op.store.blockPublicAccess.has(op.accountId)) {
    throw ec2Error(
      'OperationNotPermitted',
      "You can't publicly share this image because block public access for AMIs is enabled for this account. To publicly share the image, you must call the DisableImageBlockPublicAccess API.",
    );
  }
  if (description !== undefined && description.length > 255)
    throw invalidValue('Description must be at most 255 characters');
  if (imds !== undefined && imds !== 'v2.0')
    throw invalidValue(`Invalid value '${imds}' for ImdsSupport. Valid value: v2.0`);
  checkDryRun(p);
  for (const perm of remove) applyPermission(image, perm, false);
  for (const perm of add) applyPermission(image, perm, true);
  if (description !== undefined) image.description = description;
  if (imds !== undefined) image.imdsSupport = imds;
  return { return: true };
};

const launchPermissionXml = (image: Ec2Image) => [
  ...(image.public ? [{ group: 'all' }] : []),
  ...[...image.launchPermissions.userIds].map((userId) => ({ userId })),
  ...[...image.launchPermissions.organizationArns].map((organizationArn) => ({ organizationArn })),
  ...[...image.launchPermissions.organizationalUnitArns].map((organizationalUnitArn) => ({
    organizationalUnitArn,
  })),
];

/** DescribeImageAttribute: owner only, one attribute at a time, each as `{ value }` or a list. */
const describeImageAttribute: Handler = (op) => {
  const attribute = required(op.params, 'Attribute');
  const image = findOwnedImage(op, required(op.params, 'ImageId'));
  const value = (v: string | undefined) => ({ value: v });
  const body: Record<string, () => object> = {
    description: () => ({ description: value(image.description) }),
    kernel: () => ({ kernel: {} }),
    ramdisk: () => ({ ramdisk: {} }),
    launchPermission: () => ({ launchPermission: launchPermissionXml(image) }),
    productCodes: () => ({ productCodes: [] }),
    blockDeviceMapping: () => ({ blockDeviceMapping: blockDeviceMappingXml(image.blockDeviceMappings) }),
    sriovNetSupport: () => ({ sriovNetSupport: value('simple') }),
    bootMode: () => ({ bootMode: {} }),
    tpmSupport: () => ({ tpmSupport: {} }),
    uefiData: () => ({ uefiData: {} }),
    lastLaunchedTime: () => ({ lastLaunchedTime: value(image.lastLaunchedTime) }),
    imdsSupport: () => ({ imdsSupport: value(image.imdsSupport) }),
    deregistrationProtection: () => ({ deregistrationProtection: value(protectionValue(image)) }),
  };
  const render = Object.hasOwn(body, attribute) ? body[attribute] : undefined;
  if (!render)
    throw invalidValue(`Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
  return { imageId: image.imageId, ...render() };
};

const BLOCKED = 'block-new-sharing';

const enableImageBlockPublicAccess: Handler = (op) => {
  const state = required(op.params, 'ImageBlockPublicAccessState');
  if (state !== BLOCKED)
    throw invalidValue(`Invalid value '${state}' for ImageBlockPublicAccessState. Valid value: ${BLOCKED}`);
  checkDryRun(op.params);
  op.store.blockPublicAccess.add(op.accountId);
  return { imageBlockPublicAccessState: BLOCKED };
};

const disableImageBlockPublicAccess: Handler = (op) => {
  checkDryRun(op.params);
  op.store.blockPublicAccess.delete(op.accountId);
  return { imageBlockPublicAccessState: 'unblocked' };
};

const getImageBlockPublicAccessState: Handler = (op) => ({
  imageBlockPublicAccessState: op.store.blockPublicAccess.has(op.accountId) ? BLOCKED : 'unblocked',
  managedBy: 'account',
});

export const imageAttributeOperations: Record<string, Handler> = {
  ModifyImageAttribute: modifyImageAttribute,
  DescribeImageAttribute: describeImageAttribute,
  EnableImageBlockPublicAccess: enableImageBlockPublicAccess,
  DisableImageBlockPublicAccess: disableImageBlockPublicAccess,
  GetImageBlockPublicAccessState: getImageBlockPublicAccessState,
};
