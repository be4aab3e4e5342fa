import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { launchRunning, startTestCloud, type TestCloud } from './support/cloud';

// The adapter-independent behaviour is in contracts/compute-contract.ts (compute-contract.test.ts);
// here is what only EC2's own view of the instance can show.
describe('Ec2Compute', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(() => t.cloud.stop());

  it('launches with IMDSv2 required, no key pair and no public IP', async () => {
    const { instanceId, imageId } = await launchRunning(t, {
      Name: 'builder',
      'ami-lifecycle:build-id': 'b-1',
    });

    const out = await t.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    expect(instance?.MetadataOptions?.HttpTokens).toBe('required');
    expect(instance?.KeyName).toBeUndefined();
    expect(instance?.PublicIpAddress).toBeUndefined();
    expect(instance?.IamInstanceProfile?.Arn).toMatch(/instance-profile\/ami-lifecycle-builder$/);
    expect(instance?.ImageId).toBe(imageId);
  });
});
