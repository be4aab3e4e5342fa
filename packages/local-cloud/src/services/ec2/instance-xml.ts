import { createHash } from 'node:crypto';
import type { InstanceState } from '../../types';
import type { Ec2Instance } from './model';
import { defaultNetwork } from './state';
import { tagSetXml } from './tags';

/** EC2's numeric state codes, which the API returns next to the names. */
export const STATE_CODES: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export const stateXml = (state: InstanceState) => ({ code: STATE_CODES[state], name: state });

export const hashed = (s: string, len: number) => createHash('sha256').update(s).digest('hex').slice(0, len);

const privateDnsName = (ip: string, region: string) =>
  `ip-${ip.replaceAll('.', '-')}.${region}.compute.internal`;
const publicDnsName = (ip: string, region: string) =>
  `ec2-${ip.replaceAll('.', '-')}.${region}.compute.amazonaws.com`;

export const instanceXml = (i: Ec2Instance) => {
  const association = i.publicIpAddress
    ? {
        publicIp: i.publicIpAddress,
        publicDnsName: publicDnsName(i.publicIpAddress, i.region),
        ipOwnerId: 'amazon',
      }
    : undefined;
  const net = defaultNetwork(i.accountId, i.region);
  const groupSet = i.securityGroupIds.map((groupId) => ({
    groupId,
    groupName: groupId === net.securityGroupId ? 'default' : groupId,
  }));
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: stateXml(i.state),
    privateDnsName: privateDnsName(i.privateIpAddress, i.region),
    dnsName: association?.publicDnsName ?? '',
    reason: i.stateTransitionReason,
    keyName: i.keyName,
    amiLaunchIndex: i.amiLaunchIndex,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: new Date(i.launchedAt),
    placement: { availabilityZone: `${i.region}a`, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: i.privateIpAddress,
    ipAddress: i.publicIpAddress,
    sourceDestCheck: true,
    groupSet,
    stateReason: i.stateReason,
    architecture: i.architecture,
    rootDeviceType: 'ebs',
    rootDeviceName: i.rootDeviceName,
    blockDeviceMapping: i.volumes.map((v) => ({
      deviceName: v.deviceName,
      ebs: {
        volumeId: v.volumeId,
        status: 'attached',
        attachTime: v.attachTime,
        deleteOnTermination: v.deleteOnTermination,
      },
    })),
    virtualizationType: 'hvm',
    clientToken: i.clientToken ?? '',
    tagSet: tagSetXml(i.tags),
    hypervisor: 'xen',
    networkInterfaceSet: [
      {
        networkInterfaceId: i.networkInterfaceId,
        subnetId: i.subnetId,
        vpcId: i.vpcId,
        description: '',
        ownerId: i.accountId,
        status: 'in-use',
        macAddress: i.macAddress,
        privateIpAddress: i.privateIpAddress,
        privateDnsName: privateDnsName(i.privateIpAddress, i.region),
        sourceDestCheck: true,
        groupSet,
        attachment: {
          attachmentId: `eni-attach-${i.networkInterfaceId.slice(4)}`,
          deviceIndex: 0,
          status: 'attached',
          attachTime: new Date(i.launchedAt),
          deleteOnTermination: true,
          networkCardIndex: 0,
        },
        association,
        privateIpAddressesSet: [{ privateIpAddress: i.privateIpAddress, primary: true, association }],
        interfaceType: 'interface',
      },
    ],
    iamInstanceProfile: i.iamInstanceProfile
      ? { arn: i.iamInstanceProfile, id: `AIPA${hashed(i.iamInstanceProfile, 17).toUpperCase()}` }
      : undefined,
    ebsOptimized: false,
    enaSupport: true,
    metadataOptions: {
      state: 'applied',
      httpTokens: i.metadataOptions.httpTokens,
      httpPutResponseHopLimit: i.metadataOptions.httpPutResponseHopLimit,
      httpEndpoint: i.metadataOptions.httpEndpoint,
      httpProtocolIpv6: 'disabled',
      instanceMetadataTags: i.metadataOptions.instanceMetadataTags,
    },
    platformDetails: 'Linux/UNIX',
    usageOperation: 'RunInstances',
  };
};

export const reservationXml = (
  reservationId: string,
  ownerId: string,
  instances: readonly Ec2Instance[],
) => ({
  reservationId,
  ownerId,
  groupSet: [],
  instancesSet: instances.map(instanceXml),
});

export const stateChangeXml = (id: string, previous: InstanceState, current: InstanceState) => ({
  instanceId: id,
  currentState: stateXml(current),
  previousState: stateXml(previous),
});
