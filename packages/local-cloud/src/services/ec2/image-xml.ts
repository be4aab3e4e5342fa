import type { BlockDeviceSpec, Ec2Image } from './model';
import { tagSetXml } from './tags';

export const protectionValue = (image: Ec2Image): string =>
  image.deregistrationProtection.enabled
    ? image.deregistrationProtection.withCooldown
      ? 'enabled-with-cooldown'
      : 'enabled-without-cooldown'
    : 'disabled';

export const blockDeviceMappingXml = (mappings: readonly BlockDeviceSpec[]) =>
  mappings.map((m) => ({
    deviceName: m.deviceName,
    virtualName: m.virtualName,
    noDevice: m.noDevice ? '' : undefined,
    ebs: m.ebs
      ? {
          snapshotId: m.ebs.snapshotId,
          volumeSize: m.ebs.volumeSize,
          deleteOnTermination: m.ebs.deleteOnTermination,
          volumeType: m.ebs.volumeType,
          iops: m.ebs.iops,
          throughput: m.ebs.throughput,
          encrypted: m.ebs.encrypted,
          kmsKeyId: m.ebs.kmsKeyId,
        }
      : undefined,
  }));

/** An image as `viewer` sees it: tags and usage data are the owner's business only, as on EC2. */
export const imageXml = (image: Ec2Image, viewer: string) => {
  const owner = image.ownerId === viewer;
  return {
    imageId: image.imageId,
    imageLocation: `${image.ownerAlias ?? image.ownerId}/${image.name}`,
    imageState: image.state,
    imageOwnerId: image.ownerId,
    creationDate: image.creationDate,
    isPublic: image.public,
    architecture: image.architecture,
    imageType: 'machine',
    platformDetails: 'Linux/UNIX',
    usageOperation: 'RunInstances',
    imageOwnerAlias: image.ownerAlias,
    name: image.name,
    description: image.description,
    rootDeviceType: 'ebs',
    rootDeviceName: image.rootDeviceName,
    blockDeviceMapping: blockDeviceMappingXml(image.blockDeviceMappings),
    virtualizationType: 'hvm',
    tagSet: owner ? tagSetXml(image.tags) : undefined,
    hypervisor: 'xen',
    enaSupport: true,
    sriovNetSupport: 'simple',
    stateReason: image.stateReason,
    imdsSupport: image.imdsSupport,
    deprecationTime:
      image.deprecationTime !== undefined ? new Date(image.deprecationTime).toISOString() : undefined,
    sourceInstanceId: owner ? image.sourceInstanceId : undefined,
    deregistrationProtection: owner ? protectionValue(image) : undefined,
    lastLaunchedTime: owner ? image.lastLaunchedTime : undefined,
    sourceImageId: image.sourceImageId,
    sourceImageRegion: image.sourceImageRegion,
  };
};
