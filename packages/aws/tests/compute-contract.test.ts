import { createMemoryCloud } from '../src/memory';
import { describeComputeContract } from './contracts/compute-contract';
import { localCompute } from './contracts/local-cloud-subjects';
import { memoryCompute } from './contracts/memory-subjects';

describeComputeContract('Ec2Compute on the local cloud', localCompute);
describeComputeContract('MemoryCompute', memoryCompute);

describe('MemoryCompute test controls', () => {
  it('records every launch with IMDSv2 required, no key pair and no public IP', async () => {
    const cloud = createMemoryCloud();
    const imageId = await cloud.images.resolveSsmImageParameter(
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    );

    const { instanceId } = await cloud.compute.launchInstance({
      imageId,
      instanceType: 't3.micro',
      instanceProfile: 'ami-lifecycle-builder',
      tags: { Name: 'builder' },
      rootVolume: { sizeGiB: 16, encrypted: true },
    });

    expect(cloud.compute.instance(instanceId)).toMatchObject({
      httpTokens: 'required',
      keyName: undefined,
      publicIpAddress: undefined,
      request: { instanceProfile: 'ami-lifecycle-builder', instanceType: 't3.micro' },
    });
  });

  it('forgets a terminated instance after an hour, as EC2 does', async () => {
    const cloud = createMemoryCloud();
    const imageId = cloud.images.addImage({ name: 'base', tags: {} });
    const { instanceId } = await cloud.compute.launchInstance({
      imageId,
      instanceType: 't3.micro',
      instanceProfile: 'p',
      tags: {},
      rootVolume: { sizeGiB: 8, encrypted: false },
    });

    cloud.compute.setState(instanceId, 'terminated');
    cloud.advance(3600);

    expect(await cloud.compute.describeInstance(instanceId)).toBeUndefined();
  });
});
