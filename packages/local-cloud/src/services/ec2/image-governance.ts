import { findOwnedImage } from './access';
import type { Handler } from './context';
import { emitImageStateChange } from './image-lifecycle';
import { bool, checkDryRun, ec2Error, invalidValue, required } from './params';

/** How long protection enabled "with cooldown" keeps holding after it is disabled. */
export const PROTECTION_COOLDOWN_MS = 24 * 3600 * 1000;
const MAX_DEPRECATION_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * EnableImageDeprecation: EC2 rounds DeprecateAt to the nearest minute and refuses a past time. After it,
 * the image disappears from other accounts' DescribeImages unless they ask for it; it can still launch.
 */
const enableImageDeprecation: Handler = (op) => {
  const image = findOwnedImage(op, required(op.params, 'ImageId'));
  const raw = required(op.params, 'DeprecateAt');
  const at = Date.parse(raw);
  if (Number.isNaN(at))
    throw invalidValue(`Invalid value '${raw}' for DeprecateAt. It must be an ISO 8601 timestamp.`);
  const rounded = Math.round(at / 60_000) * 60_000;
  const nowMs = op.cloud.clock.nowMillis();
  if (rounded < nowMs) throw invalidValue(`DeprecateAt (${raw}) must be in the future`);
  if (rounded > nowMs + MAX_DEPRECATION_MS)
    throw invalidValue('DeprecateAt must be at most 10 years in the future');
  checkDryRun(op.params);
  image.deprecationTime = rounded;
  return { return: true };
};

const disableImageDeprecation: Handler = (op) => {
  const image = findOwnedImage(op, required(op.params, 'ImageId'));
  checkDryRun(op.params);
  image.deprecationTime = undefined;
  return { return: true };
};

/**
 * DisableImage: the image turns `disabled`, cannot launch, is hidden from everyone but its owner, and
 * loses every launch permission (EnableImage does not bring them back), as EC2 documents.
 */
const disableImage: Handler = (op) => {
  const image = findOwnedImage(op, required(op.params, 'ImageId'));
  if (image.state !== 'available')
    throw ec2Error(
      'IncorrectState',
      `Image ${image.imageId} is ${image.state}; only an available image can be disabled`,
    );
  checkDryRun(op.params);
  image.state = 'disabled';
  image.public = false;
  image.launchPermissions.userIds.clear();
  image.launchPermissions.organizationArns.clear();
  image.launchPermissions.organizationalUnitArns.clear();
  emitImageStateChange(op.cloud, image, 'disabled', op.requestId);
  return { return: true };
};

const enableImage: Handler = (op) => {
  const image = findOwnedImage(op, required(op.params, 'ImageId'));
  if (image.state !== 'disabled')
    throw ec2Error(
      'IncorrectState',
      `Image ${image.imageId} is ${image.state}; only a disabled image can be enabled`,
    );
  checkDryRun(op.params);
  image.state = 'available';
  emitImageStateChange(op.cloud, image, 'available', op.requestId);
  return { return: true };
};

const enableImageDeregistrationProtection: Handler = (op) => {
  const image = findOwnedImage(op, required(op.params, 'ImageId'));
  const withCooldown = bool(op.params, 'WithCooldown') === true;
  checkDryRun(op.params);
  image.deregistrationProtection = { enabled: true, withCooldown };
  return { return: 'true' };
};

/** With cooldown, the protection keeps refusing DeregisterImage for 24 hours after it is disabled. */
const disableImageDeregistrationProtection: Handler = (op) => {
  const image = findOwnedImage(op, required(op.params, 'ImageId'));
  checkDryRun(op.params);
  const p = image.deregistrationProtection;
  const cooldownUntil =
    p.enabled && p.withCooldown ? op.cloud.clock.nowMillis() + PROTECTION_COOLDOWN_MS : p.cooldownUntil;
  image.deregistrationProtection = { enabled: false, withCooldown: false, cooldownUntil };
  return { return: 'true' };
};

export const imageGovernanceOperations: Record<string, Handler> = {
  EnableImageDeprecation: enableImageDeprecation,
  DisableImageDeprecation: disableImageDeprecation,
  DisableImage: disableImage,
  EnableImage: enableImage,
  EnableImageDeregistrationProtection: enableImageDeregistrationProtection,
  DisableImageDeregistrationProtection: disableImageDeregistrationProtection,
};
