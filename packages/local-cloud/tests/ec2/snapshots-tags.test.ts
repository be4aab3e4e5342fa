import {
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeTagsCommand,
} from '@aws-sdk/client-ec2';
import {
  al2023,
  buildImage,
  type Ec2Harness,
  errorCode,
  launch,
  REGION,
  startEc2,
  TOOLING,
  WORKLOADS,
} from './support';

describe('EC2 snapshots', () => {
  let h: Ec2Harness;
  beforeEach(async () => {
    h = await startEc2();
  });
  afterEach(() => h.close());

  const snapshotOf = (imageId: string) =>
    h.ec2.getImage(TOOLING, REGION, imageId)!.blockDeviceMappings[0]!.ebs!.snapshotId!;

  it('describes own snapshots by owner, id and filter', async () => {
    const a = await buildImage(h, 'snap-a');
    const b = await buildImage(h, 'snap-b');
    const all = await h.client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(all.Snapshots!.map((s) => s.SnapshotId)).toEqual([snapshotOf(a), snapshotOf(b)]);
    expect(all.Snapshots![0]).toMatchObject({
      OwnerId: TOOLING,
      State: 'completed',
      VolumeSize: 8,
      Encrypted: false,
    });
    const filtered = await h.client.send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: 'description', Values: [`*for ${b}`] }] }),
    );
    expect(filtered.Snapshots!.map((s) => s.SnapshotId)).toEqual([snapshotOf(b)]);
    const byStatus = await h.client.send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: 'status', Values: ['pend*'] }] }),
    );
    expect(byStatus.Snapshots).toEqual([]);
    // Another account sees none of them, and cannot name them.
    const other = h.clientFor(WORKLOADS);
    expect((await other.send(new DescribeSnapshotsCommand({}))).Snapshots).toEqual([]);
    expect(await errorCode(other.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotOf(a)] })))).toBe(
      'InvalidSnapshot.NotFound',
    );
    expect(await errorCode(h.client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-zz'] })))).toBe(
      'InvalidSnapshotID.Malformed',
    );
  });

  it('pages snapshots', async () => {
    const instanceId = await launch(h);
    for (let n = 0; n < 6; n++)
      await h.client.send(new CreateImageCommand({ InstanceId: instanceId, Name: `p-${n}` }));
    const first = await h.client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 5 }));
    expect(first.Snapshots).toHaveLength(5);
    const second = await h.client.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 5, NextToken: first.NextToken }),
    );
    expect(second.Snapshots).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
  });

  it('refuses to delete a snapshot a registered image uses, and deletes it once the image is gone', async () => {
    const imageId = await buildImage(h, 'in-use');
    const snapshotId = snapshotOf(imageId);
    expect(await errorCode(h.client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })))).toBe(
      'InvalidSnapshot.InUse',
    );
    await h.client.send(new DeregisterImageCommand({ ImageId: imageId }));
    await h.client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    expect(await errorCode(h.client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })))).toBe(
      'InvalidSnapshot.NotFound',
    );
  });
});

describe('EC2 tags', () => {
  let h: Ec2Harness;
  beforeEach(async () => {
    h = await startEc2();
  });
  afterEach(() => h.close());

  it('tags instances, images, snapshots and launch templates, and describes them with filters', async () => {
    const instanceId = await launch(h);
    const imageId = await buildImage(h, 'tagged');
    const snapshotId = h.ec2.getImage(TOOLING, REGION, imageId)!.blockDeviceMappings[0]!.ebs!.snapshotId!;
    const { LaunchTemplate } = await h.client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'tagged-lt',
        LaunchTemplateData: { ImageId: al2023() },
      }),
    );
    const resources = [instanceId, imageId, snapshotId, LaunchTemplate!.LaunchTemplateId!];
    await h.client.send(
      new CreateTagsCommand({
        Resources: resources,
        Tags: [
          { Key: 'ami-lifecycle:managed', Value: 'true' },
          { Key: 'owner', Value: 'platform' },
        ],
      }),
    );
    const all = await h.client.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['owner'] }] }),
    );
    expect(all.Tags!.map((t) => [t.ResourceId, t.ResourceType, t.Value])).toEqual(
      expect.arrayContaining([
        [instanceId, 'instance', 'platform'],
        [imageId, 'image', 'platform'],
        [snapshotId, 'snapshot', 'platform'],
        [LaunchTemplate!.LaunchTemplateId, 'launch-template', 'platform'],
      ]),
    );
    expect(all.Tags).toHaveLength(4);
    const images = await h.client.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'resource-type', Values: ['image'] },
          { Name: 'value', Values: ['tr*'] },
        ],
      }),
    );
    expect(images.Tags).toEqual([
      { ResourceId: imageId, ResourceType: 'image', Key: 'ami-lifecycle:managed', Value: 'true' },
    ]);
    const byId = await h.client.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId] }] }),
    );
    expect(byId.Tags!.map((t) => t.Key)).toEqual(['ami-lifecycle:managed', 'owner']);
  });

  it('deletes tags by key, by key and value, or all', async () => {
    const instanceId = await launch(h, {
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'a', Value: '1' },
            { Key: 'b', Value: '2' },
            { Key: 'c', Value: '3' },
          ],
        },
      ],
    });
    const tags = async () =>
      (await h.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0]!
        .Instances![0]!.Tags ?? [];
    await h.client.send(
      new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'b', Value: 'wrong' }] }),
    );
    expect((await tags()).map((t) => t.Key)).toEqual(['a', 'b', 'c']);
    await h.client.send(
      new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'b', Value: '2' }, { Key: 'a' }] }),
    );
    expect((await tags()).map((t) => t.Key)).toEqual(['c']);
    await h.client.send(new DeleteTagsCommand({ Resources: [instanceId] }));
    expect(await tags()).toEqual([]);
  });

  it('refuses unknown resources, reserved keys and more than 50 tags', async () => {
    const instanceId = await launch(h);
    expect(
      await errorCode(
        h.client.send(new CreateTagsCommand({ Resources: ['vpc-123'], Tags: [{ Key: 'k', Value: 'v' }] })),
      ),
    ).toBe('InvalidID');
    expect(
      await errorCode(
        h.client.send(
          new CreateTagsCommand({ Resources: ['ami-0123456789abcdef0'], Tags: [{ Key: 'k', Value: 'v' }] }),
        ),
      ),
    ).toBe('InvalidAMIID.NotFound');
    expect(
      await errorCode(
        h.client.send(
          new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'aws:owner', Value: 'v' }] }),
        ),
      ),
    ).toBe('InvalidParameterValue');
    const many = Array.from({ length: 51 }, (_, n) => ({ Key: `k${n}`, Value: 'v' }));
    expect(
      await errorCode(h.client.send(new CreateTagsCommand({ Resources: [instanceId], Tags: many }))),
    ).toBe('TagLimitExceeded');
    // All or nothing: one bad resource leaves the good one untouched.
    expect(
      await errorCode(
        h.client.send(
          new CreateTagsCommand({
            Resources: [instanceId, 'i-0123456789abcdef0'],
            Tags: [{ Key: 'k', Value: 'v' }],
          }),
        ),
      ),
    ).toBe('InvalidInstanceID.NotFound');
    expect(h.ec2.getInstance(TOOLING, REGION, instanceId)!.tags.size).toBe(0);
  });

  it("refuses to tag another account's image", async () => {
    expect(
      await errorCode(
        h.client.send(new CreateTagsCommand({ Resources: [al2023()], Tags: [{ Key: 'k', Value: 'v' }] })),
      ),
    ).toBe('AuthFailure');
  });
});
