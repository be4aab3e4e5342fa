import type { TimerHandle } from '../../sim-clock';
import type { InstanceState, SimInstance } from '../../types';

export type ImageState = 'pending' | 'available' | 'failed' | 'deregistered' | 'disabled';

// A type alias, not an interface, so it renders straight through the XML writer's index-signature type.
export type StateReason = {
  code: string;
  message: string;
};

export interface EbsSpec {
  snapshotId?: string | undefined;
  volumeSize?: number | undefined;
  volumeType?: string | undefined;
  encrypted?: boolean | undefined;
  kmsKeyId?: string | undefined;
  deleteOnTermination?: boolean | undefined;
  iops?: number | undefined;
  throughput?: number | undefined;
}

export interface BlockDeviceSpec {
  deviceName: string;
  ebs?: EbsSpec;
  noDevice?: boolean;
  virtualName?: string;
}

export interface LaunchPermissions {
  userIds: Set<string>;
  organizationArns: Set<string>;
  organizationalUnitArns: Set<string>;
}

export interface DeregistrationProtection {
  enabled: boolean;
  withCooldown: boolean;
  /** Set when protection with cooldown was disabled: deregistration stays refused until then. */
  cooldownUntil?: number | undefined;
}

/** An AMI. Owned by one account in one region; other accounts see it through `public` or launch permissions. */
export interface Ec2Image {
  readonly imageId: string;
  readonly region: string;
  readonly ownerId: string;
  readonly ownerAlias?: string | undefined;
  readonly seq: number;
  name: string;
  description?: string | undefined;
  architecture: string;
  state: ImageState;
  stateReason?: StateReason | undefined;
  creationDate: string;
  public: boolean;
  launchPermissions: LaunchPermissions;
  tags: Map<string, string>;
  blockDeviceMappings: BlockDeviceSpec[];
  rootDeviceName: string;
  /** The package inventory an instance launched from it starts with: name -> version. */
  packages: Map<string, string>;
  sourceInstanceId?: string | undefined;
  sourceImageId?: string | undefined;
  sourceImageRegion?: string | undefined;
  deprecationTime?: number | undefined;
  lastLaunchedTime?: string | undefined;
  imdsSupport?: string | undefined;
  deregistrationProtection: DeregistrationProtection;
}

export interface Ec2Volume {
  volumeId: string;
  deviceName: string;
  size: number;
  volumeType: string;
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  deleteOnTermination: boolean;
  snapshotId?: string | undefined;
  attachTime: string;
  tags: Map<string, string>;
}

export interface InstanceMetadataOptions {
  httpTokens: string;
  httpPutResponseHopLimit: number;
  httpEndpoint: string;
  instanceMetadataTags: string;
}

/** The EC2 view of a simulated instance; the `SimInstance` part is what SSM and Inspector read and change. */
export interface Ec2Instance extends SimInstance {
  readonly seq: number;
  readonly reservationId: string;
  instanceType: string;
  architecture: string;
  keyName?: string | undefined;
  metadataOptions: InstanceMetadataOptions;
  networkInterfaceId: string;
  macAddress: string;
  privateIpAddress: string;
  publicIpAddress?: string | undefined;
  subnetId: string;
  vpcId: string;
  securityGroupIds: string[];
  amiLaunchIndex: number;
  clientToken?: string | undefined;
  stateTransitionReason: string;
  stateReason?: StateReason | undefined;
  volumes: Ec2Volume[];
  rootDeviceName: string;
  launchTemplate?: { id: string; version: number } | undefined;
  /** The pending state change (boot, stop, shutdown), cancelled when another replaces it. */
  transition?: TimerHandle | undefined;
  /** What `transition` will do and when (simulated epoch ms): saved with the state, re-armed on restore. */
  plannedTransition?: { from: InstanceState; to: InstanceState; at: number } | undefined;
  /** When a terminated instance is forgotten, as EC2 stops listing it after about an hour. */
  forgetAt?: number | undefined;
}

export type SnapshotState = 'pending' | 'completed' | 'error';

export interface Ec2Snapshot {
  readonly snapshotId: string;
  readonly ownerId: string;
  readonly region: string;
  readonly seq: number;
  volumeId: string;
  volumeSize: number;
  state: SnapshotState;
  stateMessage?: string | undefined;
  progress: string;
  startTime: string;
  completionTime?: string | undefined;
  description: string;
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  tags: Map<string, string>;
}

export interface LaunchTemplateNetworkInterface {
  deviceIndex?: number | undefined;
  associatePublicIpAddress?: boolean | undefined;
  subnetId?: string | undefined;
  groups: string[];
  deleteOnTermination?: boolean | undefined;
  description?: string | undefined;
  privateIpAddress?: string | undefined;
}

/** The part of `RequestLaunchTemplateData` the emulator keeps; RunInstances merges it under its own parameters. */
export interface LaunchTemplateData {
  imageId?: string | undefined;
  instanceType?: string | undefined;
  keyName?: string | undefined;
  iamInstanceProfile?: { arn?: string | undefined; name?: string | undefined } | undefined;
  metadataOptions?: Partial<InstanceMetadataOptions> | undefined;
  networkInterfaces?: LaunchTemplateNetworkInterface[] | undefined;
  securityGroupIds?: string[] | undefined;
  blockDeviceMappings?: BlockDeviceSpec[] | undefined;
  tagSpecifications?: { resourceType: string; tags: [string, string][] }[] | undefined;
  userData?: string | undefined;
}

export interface LaunchTemplateVersion {
  versionNumber: number;
  description?: string | undefined;
  createTime: string;
  createdBy: string;
  data: LaunchTemplateData;
}

export interface LaunchTemplate {
  readonly launchTemplateId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly region: string;
  readonly seq: number;
  createTime: string;
  createdBy: string;
  defaultVersion: number;
  latestVersion: number;
  versions: Map<number, LaunchTemplateVersion>;
  tags: Map<string, string>;
}

/** Everything EC2 holds in one region, for every account: each resource names its owner. */
export interface RegionStore {
  readonly region: string;
  readonly images: Map<string, Ec2Image>;
  readonly snapshots: Map<string, Ec2Snapshot>;
  readonly instances: Map<string, Ec2Instance>;
  readonly launchTemplates: Map<string, LaunchTemplate>;
  /** Accounts that turned image block public access on in this region. */
  readonly blockPublicAccess: Set<string>;
  /** RunInstances idempotency: `<account>/<ClientToken>` -> the reservation it created. */
  readonly clientTokens: Map<string, string>;
}
