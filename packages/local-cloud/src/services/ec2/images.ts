import { findAccessibleImage, findOwnedImage } from './access';
import { type Handler, nowIso, type OpContext } from './context';
import { describeImages } from './describe-images';
import { createPendingSnapshot, emitImageStateChange, scheduleImageCompletion } from './image-lifecycle';
import { findOwnedInstances } from './instance-lifecycle';
import type { BlockDeviceSpec, Ec2Image, Ec2Snapshot, RegionStore } from './model';
import {
  blockDeviceMappings,
  bool,
  checkDryRun,
  ec2Error,
  invalidValue,
  required,
  str,
  tagSpecifications,
  tagsFor,
} from './params';
import { imageUsingSnapshot } from './snapshots';
import { defaultEbsKmsKey } from './state';

const IMAGE_NAME = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const checkImageName = (name: string): void => {
  if (!IMAGE_NAME.test(name)) {
    throw ec2Error(
      'InvalidAMIName.Malformed',
      "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '[', ']', ' ', '.', '/', '-', ''', '@', and '_'",
    );
  }
};

const checkDescription = (d: string | undefined): void => {
  if (d !== undefined && d.length > 255) throw invalidValue('Description must be at most 255 characters');
};

/** AMI names are unique per owner and region among images that still exist. */
const checkNameFree = (store: RegionStore, ownerId: string, name: string): void => {
  for (const image of store.images.values()) {
    if (image.ownerId === ownerId && image.name === name && image.state !== 'deregistered')
      throw ec2Error(
        'InvalidAMIName.Duplicate',
        `AMI name ${name} is already in use by AMI ${image.imageId}`,
      );
  }
};

const newImage = (
  op: OpContext,
  fields: Pick<
    Ec2Image,
    'imageId' | 'name' | 'architecture' | 'blockDeviceMappings' | 'rootDeviceName' | 'packages'
  > &
    Partial<Ec2Image>,
): Ec2Image => ({
  region: op.region,
  ownerId: op.accountId,
  seq: op.state.nextSeq(),
  state: 'pending',
  creationDate: nowIso(op),
  public: false,
  launchPermissions: { userIds: new Set(), organizationArns: new Set(), organizationalUnitArns: new Set() },
  tags: new Map(),
  deregistrationProtection: { enabled: false, withCooldown: false },
  ...fields,
});

const createImage: Handler = (op) => {
  const { params: p, store } = op;
  const instanceId = required(p, 'InstanceId');
  const name = required(p, 'Name');
  checkImageName(name);
  const description = str(p, 'Description');
  checkDescription(description);
  const [instance] = findOwnedInstances(op, [instanceId]);
  if (instance!.state !== 'running' && instance!.state !== 'stopped') {
    throw ec2Error(
      'IncorrectInstanceState',
      `The instance '${instanceId}' is not in the 'running' or 'stopped' state (it is '${instance!.state}').`,
    );
  }
  checkNameFree(store, op.accountId, name);
  const specs = tagSpecifications(p, ['image', 'snapshot']);
  bool(p, 'NoReboot'); // validated only: a reboot of a simulated instance changes nothing observable
  const overrides = new Map(blockDeviceMappings(p).map((m) => [m.deviceName, m]));

  // Plan everything before creating anything, so a bad mapping leaves no stray snapshot behind.
  const plans = instance!.volumes.flatMap((vol) => {
    const o = overrides.get(vol.deviceName);
    overrides.delete(vol.deviceName);
    if (o?.noDevice) return [];
    // EC2 cannot encrypt an existing unencrypted volume while imaging it; encryption comes from the
    // volume (encrypt it at launch) or from CopyImage with Encrypted=true.
    if (o?.ebs?.encrypted === true && !vol.encrypted) {
      throw ec2Error(
        'InvalidBlockDeviceMapping',
        `The encryption state of existing unencrypted volume ${vol.volumeId} (${vol.deviceName}) cannot be changed by CreateImage`,
      );
    }
    const size = o?.ebs?.volumeSize ?? vol.size;
    if (size < vol.size)
      throw ec2Error(
        'InvalidBlockDeviceMapping',
        `Volume size for ${vol.deviceName} cannot be below ${vol.size}GiB`,
      );
    return [{ vol, size, override: o }];
  });
  const extra = [...overrides.values()].map((o): BlockDeviceSpec => {
    if (o.noDevice || !o.ebs) return o;
    if (o.ebs.snapshotId) {
      const s = store.snapshots.get(o.ebs.snapshotId);
      if (!s || s.ownerId !== op.accountId)
        throw ec2Error('InvalidSnapshot.NotFound', `The snapshot '${o.ebs.snapshotId}' does not exist.`);
    } else if (o.ebs.volumeSize === undefined) {
      throw ec2Error('InvalidBlockDeviceMapping', `The volume size for ${o.deviceName} must be specified`);
    }
    const encrypted = o.ebs.encrypted === true;
    return {
      deviceName: o.deviceName,
      ebs: {
        ...o.ebs,
        volumeType: o.ebs.volumeType ?? 'gp3',
        deleteOnTermination: o.ebs.deleteOnTermination ?? true,
        encrypted,
        kmsKeyId: encrypted ? (o.ebs.kmsKeyId ?? defaultEbsKmsKey(op.accountId, op.region)) : undefined,
      },
    };
  });
  checkDryRun(p);

  const imageId = op.state.newId('ami');
  const snapshots: Ec2Snapshot[] = [];
  const mappings: BlockDeviceSpec[] = plans.map(({ vol, size, override }) => {
    const snapshot = createPendingSnapshot(op, {
      volumeId: vol.volumeId,
      volumeSize: size,
      encrypted: vol.encrypted,
      kmsKeyId: vol.kmsKeyId,
      description: `Created by CreateImage(${instanceId}) for ${imageId}`,
      tags: tagsFor(specs, 'snapshot'),
    });
    snapshots.push(snapshot);
    return {
      deviceName: vol.deviceName,
      ebs: {
        snapshotId: snapshot.snapshotId,
        volumeSize: size,
        volumeType: override?.ebs?.volumeType ?? vol.volumeType,
        deleteOnTermination: override?.ebs?.deleteOnTermination ?? vol.deleteOnTermination,
        encrypted: vol.encrypted,
        kmsKeyId: vol.kmsKeyId,
      },
    };
  });
  const image = newImage(op, {
    imageId,
    name,
    description,
    architecture: instance!.architecture,
    blockDeviceMappings: [...mappings, ...extra],
    rootDeviceName: instance!.rootDeviceName,
    // The image captures what is installed now; later changes on the instance do not reach it.
    packages: new Map(instance!.packages),
    sourceInstanceId: instanceId,
    tags: tagsFor(specs, 'image'),
  });
  store.images.set(imageId, image);
  scheduleImageCompletion(
    op,
    image,
    snapshots,
    op.options.imageCreationSeconds,
    op.cloud.faults.asyncFailure('ec2', 'CreateImage', op.region),
  );
  return { imageId };
};

const copyImage: Handler = (op) => {
  const { params: p, store } = op;
  const name = required(p, 'Name');
  const sourceImageId = required(p, 'SourceImageId');
  const sourceRegion = required(p, 'SourceRegion');
  if (!REGION.test(sourceRegion)) throw ec2Error('InvalidRegion', `Invalid region: ${sourceRegion}`);
  checkImageName(name);
  const description = str(p, 'Description');
  checkDescription(description);
  const sourceStore = op.state.region(sourceRegion);
  const source = findAccessibleImage(op, sourceImageId, sourceStore);
  if (source.state !== 'available')
    throw ec2Error(
      'InvalidAMIID.Unavailable',
      `Image ${sourceImageId} is not available for copying (state ${source.state})`,
    );
  const encrypted = bool(p, 'Encrypted') === true;
  const kmsKeyId = str(p, 'KmsKeyId');
  if (kmsKeyId && !encrypted)
    throw ec2Error(
      'InvalidParameterDependency',
      'The parameter KmsKeyId requires the parameter Encrypted to be true',
    );
  const copyTags = bool(p, 'CopyImageTags') === true;
  const specs = tagSpecifications(p, ['image', 'snapshot']);
  checkDryRun(p);
  // Idempotent retry: the same ClientToken answers the copy it already started (AWS keeps the token
  // per account and region).
  const clientToken = str(p, 'ClientToken');
  const tokenKey = clientToken ? `CopyImage/${op.accountId}/${clientToken}` : undefined;
  const previous = tokenKey ? store.clientTokens.get(tokenKey) : undefined;
  if (previous !== undefined && store.images.has(previous)) return { imageId: previous };
  checkNameFree(store, op.accountId, name);

  const imageId = op.state.newId('ami');
  const started = nowIso(op);
  const snapshots: Ec2Snapshot[] = [];
  const mappings = source.blockDeviceMappings.map((m): BlockDeviceSpec => {
    if (!m.ebs?.snapshotId) return m;
    const from = sourceStore.snapshots.get(m.ebs.snapshotId);
    const sourceEncrypted = m.ebs.encrypted ?? from?.encrypted ?? false;
    const isEncrypted = encrypted || sourceEncrypted;
    // A key stays usable only for the owner in the same region; otherwise the copy uses the given or default key.
    const sameKeyUsable = sourceRegion === op.region && source.ownerId === op.accountId;
    const key = isEncrypted
      ? (kmsKeyId ??
        (sourceEncrypted && sameKeyUsable ? (m.ebs.kmsKeyId ?? from?.kmsKeyId) : undefined) ??
        defaultEbsKmsKey(op.accountId, op.region))
      : undefined;
    const snapshot = createPendingSnapshot(op, {
      // EC2 reports copied snapshots against the placeholder volume vol-ffffffff.
      volumeId: 'vol-ffffffff',
      volumeSize: m.ebs.volumeSize ?? from?.volumeSize ?? 8,
      encrypted: isEncrypted,
      kmsKeyId: key,
      description: `Copied for DestinationAmi ${imageId} from SourceAmi ${sourceImageId} for SourceSnapshot ${m.ebs.snapshotId}. Task created on ${started}.`,
      tags: tagsFor(specs, 'snapshot'),
    });
    snapshots.push(snapshot);
    return {
      deviceName: m.deviceName,
      ebs: { ...m.ebs, snapshotId: snapshot.snapshotId, encrypted: isEncrypted, kmsKeyId: key },
    };
  });
  // Only the owner's tags can be copied: a shared image's tags are not visible to anyone else.
  const tags = copyTags && source.ownerId === op.accountId ? new Map(source.tags) : new Map<string, string>();
  for (const [k, v] of tagsFor(specs, 'image')) tags.set(k, v);
  const image = newImage(op, {
    imageId,
    name,
    description: description ?? source.description,
    architecture: source.architecture,
    blockDeviceMappings: mappings,
    rootDeviceName: source.rootDeviceName,
    packages: new Map(source.packages),
    sourceImageId,
    sourceImageRegion: sourceRegion,
    imdsSupport: source.imdsSupport,
    tags,
  });
  store.images.set(imageId, image);
  if (tokenKey) store.clientTokens.set(tokenKey, imageId);
  scheduleImageCompletion(
    op,
    image,
    snapshots,
    op.options.imageCopySeconds,
    op.cloud.faults.asyncFailure('ec2', 'CopyImage', op.region),
  );
  return { imageId };
};

const deregisterImage: Handler = (op) => {
  const { params: p, store } = op;
  const image = findOwnedImage(op, required(p, 'ImageId'));
  const protection = image.deregistrationProtection;
  const nowMs = op.cloud.clock.nowMillis();
  if (protection.enabled) {
    throw invalidValue(
      `Image ${image.imageId} has deregistration protection enabled; disable it with DisableImageDeregistrationProtection first`,
    );
  }
  if (protection.cooldownUntil !== undefined && protection.cooldownUntil > nowMs) {
    throw invalidValue(
      `Image ${image.imageId} stays protected against deregistration until ${new Date(protection.cooldownUntil).toISOString()} (24-hour cooldown)`,
    );
  }
  const deleteSnapshots = bool(p, 'DeleteAssociatedSnapshots') === true;
  checkDryRun(p);
  image.state = 'deregistered';
  emitImageStateChange(op.cloud, image, 'deregistered', op.requestId);
  if (!deleteSnapshots) return { return: true };
  const results = image.blockDeviceMappings.flatMap((m) => {
    const snapshotId = m.ebs?.snapshotId;
    if (!snapshotId) return [];
    const snapshot = store.snapshots.get(snapshotId);
    if (!snapshot) return [{ snapshotId, returnCode: 'client-error' }];
    if (snapshot.ownerId !== op.accountId) return [{ snapshotId, returnCode: 'missing-permissions' }];
    // Another image built on the same snapshot keeps it alive.
    if (imageUsingSnapshot(store, snapshotId, image)) return [{ snapshotId, returnCode: 'skipped' }];
    store.snapshots.delete(snapshotId);
    return [{ snapshotId, returnCode: 'success' }];
  });
  return { return: true, deleteSnapshotResultSet: results };
};

export const imageOperations: Record<string, Handler> = {
  DescribeImages: describeImages,
  CreateImage: createImage,
  CopyImage: copyImage,
  DeregisterImage: deregisterImage,
};
