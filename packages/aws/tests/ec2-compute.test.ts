import { ValidationError } from '@ami-lifecycle/core';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { Ec2Compute } from '../src';
import { launchRunning, startTestCloud, type TestCloud } from './support/cloud';

describe('Ec2Compute', () => {
  let t: TestCloud;
  let compute: Ec2Compute;
  beforeAll(async () => {
    t = await startTestCloud();
    compute = new Ec2Compute(t.clients.ec2);
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

  it('describes a running instance with its tags and launch time', async () => {
    const { instanceId, imageId } = await launchRunning(t, { Name: 'described' });

    const described = await compute.describeInstance(instanceId);

    expect(described).toEqual({
      instanceId,
      state: 'running',
      imageId,
      launchedAt: expect.stringMatching(/^2026-03-01T/),
      tags: { Name: 'described' },
    });
  });

  it('answers undefined for an instance that does not exist', async () => {
    expect(await compute.describeInstance('i-0123456789abcdef0')).toBeUndefined();
  });

  it('refuses a launch request that does not match its schema, before calling EC2', async () => {
    await expect(
      compute.launchInstance({
        imageId: 'not-an-ami',
        instanceType: 't3.micro',
        instanceProfile: 'p',
        tags: {},
        rootVolume: { sizeGiB: 0, encrypted: true },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('stops an instance', async () => {
    const { instanceId } = await launchRunning(t);

    await compute.stopInstance(instanceId);
    await t.cloud.clock.advance(60);

    expect((await compute.describeInstance(instanceId))?.state).toBe('stopped');
  });

  it('terminates idempotently: twice, and for an instance that never existed', async () => {
    const { instanceId } = await launchRunning(t);

    await compute.terminateInstance(instanceId);
    await t.cloud.clock.advance(60);
    await compute.terminateInstance(instanceId);
    await compute.terminateInstance('i-0fedcba9876543210');

    expect((await compute.describeInstance(instanceId))?.state).toBe('terminated');
  });

  it('finds live instances by tag and leaves terminated ones out', async () => {
    const kept = await launchRunning(t, { 'ami-lifecycle:build-id': 'b-find' });
    const gone = await launchRunning(t, { 'ami-lifecycle:build-id': 'b-find' });
    await launchRunning(t, { 'ami-lifecycle:build-id': 'other' });
    await compute.terminateInstance(gone.instanceId);
    await t.cloud.clock.advance(60);

    const found = await compute.findInstancesByTag('ami-lifecycle:build-id', 'b-find');

    expect(found.map((i) => i.instanceId)).toEqual([kept.instanceId]);
  });
});
