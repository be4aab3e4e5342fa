import {
  type ComputePort,
  INSTANCE_STATES,
  type InstanceDescription,
  type InstanceState,
  isManaged,
  type LaunchInstanceRequest,
  launchInstanceRequestSchema,
  UnmanagedInstanceError,
  ValidationError,
} from '@ami-lifecycle/core';
import {
  type _InstanceType,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { sharedEc2Client } from './clients/ec2';
import { awsErrorCode, callAws, ResourceNotFoundError } from './errors';
import { collectPages } from './paginate';
import { fromTagList, toTagList } from './tags';

const INSTANCE_NOT_FOUND = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);
const isInstanceState = (s: string | undefined): s is InstanceState =>
  (INSTANCE_STATES as readonly (string | undefined)[]).includes(s);

const toDescription = (i: Instance): InstanceDescription => {
  const state = i.State?.Name;
  return {
    instanceId: i.InstanceId ?? '',
    state: isInstanceState(state) ? state : 'pending',
    imageId: i.ImageId ?? '',
    launchedAt: (i.LaunchTime ?? new Date(0)).toISOString(),
    tags: fromTagList(i.Tags),
  };
};

/**
 * `ComputePort` over EC2. Every instance it launches requires IMDSv2, has no key pair and no public IP;
 * it stops or terminates only instances EC2 itself reports as tagged `ami-lifecycle:managed=true`.
 */
export class Ec2Compute implements ComputePort {
  constructor(private readonly ec2: EC2Client = sharedEc2Client()) {}

  async launchInstance(request: LaunchInstanceRequest): Promise<{ instanceId: string }> {
    const parsed = launchInstanceRequestSchema.safeParse(request);
    if (!parsed.success)
      throw new ValidationError(
        'launch request',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    const r = parsed.data;
    // The root volume's device name is the image's; a mapping under any other name adds a second disk.
    const images = await callAws('ec2', 'DescribeImages', () =>
      this.ec2.send(new DescribeImagesCommand({ ImageIds: [r.imageId] })),
    ).catch((err: unknown) => {
      if (awsErrorCode(err)?.startsWith('InvalidAMIID.'))
        throw new ResourceNotFoundError('image', r.imageId, { cause: err });
      throw err;
    });
    const rootDevice = images.Images?.[0]?.RootDeviceName;
    if (!rootDevice) throw new ResourceNotFoundError('image', r.imageId);
    const tags = toTagList(r.tags);
    const out = await callAws('ec2', 'RunInstances', () =>
      this.ec2.send(
        new RunInstancesCommand({
          ImageId: r.imageId,
          InstanceType: r.instanceType as _InstanceType,
          MinCount: 1,
          MaxCount: 1,
          ClientToken: r.clientToken,
          IamInstanceProfile: r.instanceProfile.startsWith('arn:')
            ? { Arn: r.instanceProfile }
            : { Name: r.instanceProfile },
          // Not options: IMDSv2 only, no key pair (KeyName never sent: access is through SSM), no public IP.
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
          NetworkInterfaces: [
            {
              DeviceIndex: 0,
              AssociatePublicIpAddress: false,
              DeleteOnTermination: true,
              ...(r.subnetId ? { SubnetId: r.subnetId } : {}),
              ...(r.securityGroupIds?.length ? { Groups: r.securityGroupIds } : {}),
            },
          ],
          BlockDeviceMappings: [
            {
              DeviceName: rootDevice,
              Ebs: {
                VolumeSize: r.rootVolume.sizeGiB,
                VolumeType: 'gp3',
                Encrypted: r.rootVolume.encrypted,
                ...(r.rootVolume.encrypted && r.rootVolume.kmsKeyId
                  ? { KmsKeyId: r.rootVolume.kmsKeyId }
                  : {}),
                DeleteOnTermination: true,
              },
            },
          ],
          TagSpecifications: tags.length
            ? [
                { ResourceType: 'instance', Tags: tags },
                { ResourceType: 'volume', Tags: tags },
              ]
            : undefined,
        }),
      ),
    );
    const instanceId = out.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new ResourceNotFoundError('instance', `launched from ${r.imageId}`);
    return { instanceId };
  }

  async describeInstance(instanceId: string): Promise<InstanceDescription | undefined> {
    try {
      const out = await callAws('ec2', 'DescribeInstances', () =>
        this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
      );
      const instance = out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
      return instance ? toDescription(instance) : undefined;
    } catch (err) {
      if (INSTANCE_NOT_FOUND.has(awsErrorCode(err) ?? '')) return undefined;
      throw err;
    }
  }

  async stopInstance(instanceId: string): Promise<void> {
    const instance = await this.describeInstance(instanceId);
    if (!instance) throw new ResourceNotFoundError('instance', instanceId);
    if (!isManaged(instance.tags)) throw new UnmanagedInstanceError(instanceId, 'stop');
    try {
      await callAws('ec2', 'StopInstances', () =>
        this.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })),
      );
    } catch (err) {
      if (INSTANCE_NOT_FOUND.has(awsErrorCode(err) ?? ''))
        throw new ResourceNotFoundError('instance', instanceId, { cause: err });
      throw err;
    }
  }

  async terminateInstance(instanceId: string): Promise<void> {
    // Cleanup runs again after a retry or a reconciler pass: gone is as good as terminated.
    const instance = await this.describeInstance(instanceId);
    if (!instance || instance.state === 'terminated') return;
    if (!isManaged(instance.tags)) throw new UnmanagedInstanceError(instanceId, 'terminate');
    try {
      await callAws('ec2', 'TerminateInstances', () =>
        this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })),
      );
    } catch (err) {
      if (INSTANCE_NOT_FOUND.has(awsErrorCode(err) ?? '')) return;
      throw err;
    }
  }

  async findInstancesByTag(key: string, value: string): Promise<InstanceDescription[]> {
    const instances = await collectPages('ec2:DescribeInstances', async (NextToken) => {
      const out = await callAws('ec2', 'DescribeInstances', () =>
        this.ec2.send(
          new DescribeInstancesCommand({
            Filters: [{ Name: `tag:${key}`, Values: [value] }],
            MaxResults: 1000,
            NextToken,
          }),
        ),
      );
      return { items: out.Reservations?.flatMap((r) => r.Instances ?? []), nextToken: out.NextToken };
    });
    return instances.map(toDescription).filter((i) => i.state !== 'terminated');
  }
}
