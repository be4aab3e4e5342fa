import { findAccessibleImage } from './access';
import { type Handler, nowIso, type OpContext } from './context';
import { scheduleTransition } from './instance-lifecycle';
import { hashed, reservationXml } from './instance-xml';
import { INSTANCE_TAG_TYPES, launchTemplateForRun } from './launch-templates';
import type { BlockDeviceSpec, Ec2Image, Ec2Instance, Ec2Volume, InstanceMetadataOptions } from './model';
import {
  blockDeviceMappings,
  checkDryRun,
  ec2Error,
  int,
  invalidValue,
  networkInterfaces,
  required,
  strings,
  sub,
  type TagSpecification,
  tagSpecifications,
  tagsFor,
} from './params';
import { defaultEbsKmsKey, defaultNetwork } from './state';

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const PROFILE_ARN = /^arn:aws:iam::\d{12}:instance-profile\/[\w+=,.@\-/]+$/;

/** Deterministic addresses derived from the instance's sequence number: unique within a run. */
const addresses = (seq: number) => ({
  privateIpAddress: `172.31.${(seq >> 8) & 255}.${seq & 255}`,
  publicIpAddress: `54.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255}`,
});

const oneOf = (name: string, value: string | undefined, allowed: readonly string[]): string | undefined => {
  if (value !== undefined && !allowed.includes(value))
    throw invalidValue(`Invalid value '${value}' for ${name}. Valid values: ${allowed.join(', ')}`);
  return value;
};

/** The image a launch uses: `resolve:ssm:` ids of launch templates go through the SSM emulator when wired. */
const resolveImageId = (op: OpContext, imageId: string): string => {
  if (!imageId.startsWith('resolve:ssm:')) return imageId;
  const name = imageId.slice('resolve:ssm:'.length);
  const resolved = op.options.resolveSsmParameter?.(op.accountId, op.region, name);
  if (!resolved) throw invalidValue(`The SSM parameter ${name} could not be resolved to an image id`);
  return resolved;
};

/**
 * The volumes an instance gets: one per EBS mapping of the image, with the request's (or the launch
 * template's) mappings overriding size, type and encryption per device, and adding empty volumes.
 */
const planVolumes = (op: OpContext, image: Ec2Image, overrides: readonly BlockDeviceSpec[]) => {
  const byDevice = new Map(overrides.map((o) => [o.deviceName, o]));
  const plans: Omit<Ec2Volume, 'volumeId' | 'attachTime' | 'tags'>[] = [];
  const imageStore = op.state.region(image.region);
  for (const m of image.blockDeviceMappings) {
    const o = byDevice.get(m.deviceName);
    byDevice.delete(m.deviceName);
    if (o?.noDevice || !m.ebs) continue;
    const snap = m.ebs.snapshotId ? imageStore.snapshots.get(m.ebs.snapshotId) : undefined;
    const baseSize = m.ebs.volumeSize ?? snap?.volumeSize ?? 8;
    const size = o?.ebs?.volumeSize ?? baseSize;
    if (size < baseSize)
      throw ec2Error(
        'InvalidBlockDeviceMapping',
        `Volume of size ${size}GB is smaller than snapshot '${m.ebs.snapshotId}', expect size >= ${baseSize}GB`,
      );
    // A volume restored from an encrypted snapshot stays encrypted; one from a plain snapshot may be encrypted on restore.
    const sourceEncrypted = m.ebs.encrypted ?? snap?.encrypted ?? false;
    const encrypted = sourceEncrypted || o?.ebs?.encrypted === true;
    plans.push({
      deviceName: m.deviceName,
      size,
      volumeType: o?.ebs?.volumeType ?? m.ebs.volumeType ?? 'gp3',
      encrypted,
      kmsKeyId: encrypted
        ? (o?.ebs?.kmsKeyId ?? m.ebs.kmsKeyId ?? snap?.kmsKeyId ?? defaultEbsKmsKey(op.accountId, op.region))
        : undefined,
      deleteOnTermination: o?.ebs?.deleteOnTermination ?? m.ebs.deleteOnTermination ?? true,
      snapshotId: m.ebs.snapshotId,
    });
  }
  for (const o of byDevice.values()) {
    if (o.noDevice || !o.ebs) continue;
    if (o.ebs.volumeSize === undefined && !o.ebs.snapshotId)
      throw ec2Error('InvalidBlockDeviceMapping', `The volume size for ${o.deviceName} must be specified`);
    const encrypted = o.ebs.encrypted === true;
    plans.push({
      deviceName: o.deviceName,
      size: o.ebs.volumeSize ?? 8,
      volumeType: o.ebs.volumeType ?? 'gp3',
      encrypted,
      kmsKeyId: encrypted ? (o.ebs.kmsKeyId ?? defaultEbsKmsKey(op.accountId, op.region)) : undefined,
      deleteOnTermination: o.ebs.deleteOnTermination ?? true,
      snapshotId: o.ebs.snapshotId,
    });
  }
  return plans;
};

export const runInstances: Handler = (op) => {
  const { params: p, store, accountId, region } = op;
  const lt = launchTemplateForRun(op);
  const data = lt?.version.data ?? {};
  const rawImageId = p.get('ImageId') ?? data.imageId;
  if (!rawImageId) throw ec2Error('MissingParameter', 'The request must contain the parameter ImageId');
  const image = findAccessibleImage(op, resolveImageId(op, rawImageId));
  if (image.state !== 'available') {
    throw ec2Error(
      'InvalidAMIID.Unavailable',
      `Image ${image.imageId} is not in a state from which instances can be launched: ${image.state}`,
    );
  }
  const minCount = Number(required(p, 'MinCount'));
  const maxCount = Number(required(p, 'MaxCount'));
  if (!Number.isInteger(minCount) || minCount < 1)
    throw invalidValue(
      `Invalid value '${p.get('MinCount')}' for minCount. Must be an integer of at least 1.`,
    );
  if (!Number.isInteger(maxCount) || maxCount < minCount)
    throw invalidValue(
      `Invalid value '${p.get('MaxCount')}' for maxCount. Must be at least minCount (${minCount}).`,
    );
  const instanceType = p.get('InstanceType') ?? data.instanceType ?? 'm1.small';
  if (!INSTANCE_TYPE.test(instanceType))
    throw invalidValue(`Invalid value '${instanceType}' for InstanceType.`);

  const profile = sub(p, 'IamInstanceProfile');
  const profileArn = profile.get('Arn') ?? (profile.size === 0 ? data.iamInstanceProfile?.arn : undefined);
  const profileName = profile.get('Name') ?? (profile.size === 0 ? data.iamInstanceProfile?.name : undefined);
  if (profileArn && !PROFILE_ARN.test(profileArn))
    throw ec2Error(
      'InvalidIamInstanceProfileArn.Malformed',
      `The instance profile ARN '${profileArn}' is malformed`,
    );
  const iamInstanceProfile =
    profileArn ?? (profileName ? `arn:aws:iam::${accountId}:instance-profile/${profileName}` : undefined);

  const md = sub(p, 'MetadataOptions');
  const ltMd = data.metadataOptions ?? {};
  // AMIs flagged ImdsSupport=v2.0 (AL2023) launch with IMDSv2 required and two hops, as on EC2.
  const v2 = image.imdsSupport === 'v2.0';
  const metadataOptions: InstanceMetadataOptions = {
    httpTokens:
      oneOf('HttpTokens', md.get('HttpTokens') ?? ltMd.httpTokens, ['optional', 'required']) ??
      (v2 ? 'required' : 'optional'),
    httpPutResponseHopLimit:
      int(md, 'HttpPutResponseHopLimit', { min: 1, max: 64 }) ?? ltMd.httpPutResponseHopLimit ?? (v2 ? 2 : 1),
    httpEndpoint:
      oneOf('HttpEndpoint', md.get('HttpEndpoint') ?? ltMd.httpEndpoint, ['enabled', 'disabled']) ??
      'enabled',
    instanceMetadataTags:
      oneOf('InstanceMetadataTags', md.get('InstanceMetadataTags') ?? ltMd.instanceMetadataTags, [
        'enabled',
        'disabled',
      ]) ?? 'disabled',
  };

  const requestNics = networkInterfaces(p);
  const nics = requestNics.length > 0 ? requestNics : (data.networkInterfaces ?? []);
  const primary = nics.find((n) => (n.deviceIndex ?? 0) === 0);
  const net = defaultNetwork(accountId, region);
  const requestGroups = strings(p, 'SecurityGroupId');
  const securityGroupIds =
    requestGroups.length > 0
      ? requestGroups
      : primary && primary.groups.length > 0
        ? primary.groups
        : (data.securityGroupIds ?? [net.securityGroupId]);

  const overrides = new Map<string, BlockDeviceSpec>();
  for (const m of data.blockDeviceMappings ?? []) overrides.set(m.deviceName, m);
  for (const m of blockDeviceMappings(p)) overrides.set(m.deviceName, m);
  const volumePlans = planVolumes(op, image, [...overrides.values()]);

  // Launch template tags first, so the request's own tag specifications win on the same key.
  const specs: TagSpecification[] = [
    ...(data.tagSpecifications ?? []),
    ...tagSpecifications(p, INSTANCE_TAG_TYPES),
  ];
  const clientToken = p.get('ClientToken');
  const tokenKey = clientToken ? `${accountId}/${clientToken}` : undefined;
  const previous = tokenKey ? store.clientTokens.get(tokenKey) : undefined;
  if (previous) {
    // Idempotent retry: the same ClientToken answers with the reservation it already created.
    const launched = [...store.instances.values()].filter((i) => i.reservationId === previous);
    if (launched.length > 0) return reservationXml(previous, accountId, launched);
  }
  checkDryRun(p);

  const now = nowIso(op);
  const nowMs = op.cloud.clock.nowMillis();
  const reservationId = op.state.newId('r');
  const instanceTags = tagsFor(specs, 'instance');
  if (lt) {
    // EC2 marks instances launched from a template with these system tags.
    instanceTags.set('aws:ec2launchtemplate:id', lt.template.launchTemplateId);
    instanceTags.set('aws:ec2launchtemplate:version', String(lt.version.versionNumber));
  }
  const launched: Ec2Instance[] = [];
  for (let n = 0; n < maxCount; n++) {
    const seq = op.state.nextSeq();
    const ips = addresses(seq);
    const eni = op.state.newId('eni');
    const inst: Ec2Instance = {
      instanceId: op.state.newId('i'),
      accountId,
      region,
      imageId: image.imageId,
      state: 'pending',
      tags: new Map(instanceTags),
      packages: new Map(image.packages),
      iamInstanceProfile,
      launchedAt: nowMs,
      seq,
      reservationId,
      instanceType,
      architecture: image.architecture,
      keyName: p.get('KeyName') ?? data.keyName,
      metadataOptions: { ...metadataOptions },
      networkInterfaceId: eni,
      macAddress: `02:${hashed(eni, 10).match(/../g)!.join(':')}`,
      privateIpAddress: primary?.privateIpAddress ?? ips.privateIpAddress,
      publicIpAddress: primary?.associatePublicIpAddress === true ? ips.publicIpAddress : undefined,
      subnetId: p.get('SubnetId') ?? primary?.subnetId ?? net.subnetId,
      vpcId: net.vpcId,
      securityGroupIds: [...securityGroupIds],
      amiLaunchIndex: n,
      clientToken,
      stateTransitionReason: '',
      volumes: volumePlans.map((v) => ({
        ...v,
        volumeId: op.state.newId('vol'),
        attachTime: now,
        tags: tagsFor(specs, 'volume'),
      })),
      rootDeviceName: image.rootDeviceName,
      launchTemplate: lt
        ? { id: lt.template.launchTemplateId, version: lt.version.versionNumber }
        : undefined,
    };
    store.instances.set(inst.instanceId, inst);
    scheduleTransition(op.cloud, op.options, store, inst, 'pending', 'running');
    launched.push(inst);
  }
  if (tokenKey) store.clientTokens.set(tokenKey, reservationId);
  // EC2 records the launch on the image itself, visible to its owner as LastLaunchedTime.
  image.lastLaunchedTime = now;
  return reservationXml(reservationId, accountId, launched);
};
