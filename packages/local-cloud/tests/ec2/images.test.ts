import {
  CopyImageCommand,
  CreateImageCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { al2023, buildImage, type Ec2Harness, errorCode, launch, REGION, startEc2, TOOLING } from './support';

const stateEvents = (h: Ec2Harness) => h.edge.emitted.filter((e) => e.detailType === 'EC2 AMI State Change');

describe('EC2 images: creation, copy and deregistration', () => {
  let h: Ec2Harness;
  beforeEach(async () => {
    h = await startEc2();
  });
  afterEach(() => h.close());

  it('creates a pending image with one pending snapshot per volume, available after ten simulated minutes', async () => {
    const instanceId = await launch(h, {
      BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } }],
    });
    const { ImageId } = await h.client.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: 'golden-al2023-2026.03.01.1',
        Description: 'golden build',
        NoReboot: true,
        TagSpecifications: [
          { ResourceType: 'image', Tags: [{ Key: 'ami-lifecycle:managed', Value: 'true' }] },
          { ResourceType: 'snapshot', Tags: [{ Key: 'ami-lifecycle:family', Value: 'golden-al2023' }] },
        ],
      }),
    );
    expect(ImageId).toMatch(/^ami-[0-9a-f]{17}$/);

    const pending = (await h.client.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(pending).toMatchObject({
      State: 'pending',
      Name: 'golden-al2023-2026.03.01.1',
      Description: 'golden build',
      OwnerId: TOOLING,
      Public: false,
      Architecture: 'x86_64',
      RootDeviceName: '/dev/xvda',
      SourceInstanceId: instanceId,
      Tags: [{ Key: 'ami-lifecycle:managed', Value: 'true' }],
    });
    const snapshotIds = pending.BlockDeviceMappings!.map((m) => m.Ebs!.SnapshotId!);
    expect(snapshotIds).toHaveLength(2);
    const snaps = await h.client.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }));
    expect(snaps.Snapshots!.map((s) => s.State)).toEqual(['pending', 'pending']);
    expect(snaps.Snapshots![0]!.Tags).toEqual([{ Key: 'ami-lifecycle:family', Value: 'golden-al2023' }]);
    expect(snaps.Snapshots![0]!.Description).toBe(`Created by CreateImage(${instanceId}) for ${ImageId}`);
    expect(stateEvents(h)).toEqual([]);

    await h.clock.advance(599);
    expect((await h.client.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!.State).toBe(
      'pending',
    );
    await h.clock.advance(1);
    const available = (await h.client.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(available.State).toBe('available');
    const done = await h.client.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }));
    expect(done.Snapshots!.map((s) => [s.State, s.Progress])).toEqual([
      ['completed', '100%'],
      ['completed', '100%'],
    ]);
    expect(stateEvents(h)).toEqual([
      {
        source: 'aws.ec2',
        detailType: 'EC2 AMI State Change',
        detail: { RequestId: expect.any(String), ImageId, State: 'available', ErrorMessage: '' },
        accountId: TOOLING,
        region: REGION,
        resources: [`arn:aws:ec2:${REGION}::image/${ImageId}`],
        time: '2026-03-01T00:10:30.000Z',
      },
    ]);
  });

  it('takes the configured creation time', async () => {
    await h.close();
    h = await startEc2({ imageCreationSeconds: 60 });
    const instanceId = await launch(h);
    const { ImageId } = await h.client.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'quick' }),
    );
    await h.clock.advance(60);
    expect(h.ec2.getImage(TOOLING, REGION, ImageId!)?.state).toBe('available');
  });

  it('fails the image with a StateReason and a failed event when the fault injector says so', async () => {
    const instanceId = await launch(h);
    h.edge.asyncFailures.add('ec2:CreateImage');
    const { ImageId } = await h.client.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'doomed' }),
    );
    h.edge.asyncFailures.clear();
    await h.clock.advance(600);
    const image = (await h.client.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(image.State).toBe('failed');
    expect(image.StateReason).toEqual({
      Code: 'Server.InternalError',
      Message: expect.stringContaining('internal error'),
    });
    const snaps = await h.client.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [image.BlockDeviceMappings![0]!.Ebs!.SnapshotId!] }),
    );
    expect(snaps.Snapshots![0]!.State).toBe('error');
    expect(stateEvents(h).map((e) => e.detail)).toEqual([
      { RequestId: expect.any(String), ImageId, State: 'failed', ErrorMessage: image.StateReason!.Message },
    ]);
  });

  it('captures the instance packages at creation time', async () => {
    const instanceId = await launch(h);
    h.ec2.instances.find(TOOLING, REGION, instanceId)!.packages.set('cloudwatch-agent', '1.300050');
    const { ImageId } = await h.client.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'with-agent' }),
    );
    h.ec2.instances.find(TOOLING, REGION, instanceId)!.packages.set('later', '1');
    await h.clock.advance(600);
    const image = h.ec2.getImage(TOOLING, REGION, ImageId!)!;
    expect(image.packages.get('cloudwatch-agent')).toBe('1.300050');
    expect(image.packages.has('later')).toBe(false);
    // And an instance launched from the image starts with that inventory.
    const child = await launch(h, { ImageId });
    expect(h.ec2.instances.find(TOOLING, REGION, child)!.packages.get('cloudwatch-agent')).toBe('1.300050');
  });

  it('images a stopped instance but refuses a pending one', async () => {
    const pending = await h.client.send(
      new RunInstancesCommand({ ImageId: al2023(), MinCount: 1, MaxCount: 1 }),
    );
    expect(
      await errorCode(
        h.client.send(
          new CreateImageCommand({ InstanceId: pending.Instances![0]!.InstanceId!, Name: 'too-early' }),
        ),
      ),
    ).toBe('IncorrectInstanceState');
    const stopped = await launch(h);
    await h.client.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    await h.clock.advance(30);
    const { ImageId } = await h.client.send(
      new CreateImageCommand({ InstanceId: stopped, Name: 'from-stopped' }),
    );
    expect(ImageId).toBeDefined();
  });

  it('refuses duplicate and malformed names', async () => {
    const instanceId = await launch(h);
    await h.client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'golden (v1) [x] @me' }));
    expect(
      await errorCode(
        h.client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'golden (v1) [x] @me' })),
      ),
    ).toBe('InvalidAMIName.Duplicate');
    expect(
      await errorCode(h.client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'ab' }))),
    ).toBe('InvalidAMIName.Malformed');
    expect(
      await errorCode(h.client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'bad*name' }))),
    ).toBe('InvalidAMIName.Malformed');
    expect(await errorCode(h.client.send(new CreateImageCommand({ InstanceId: instanceId, Name: '' })))).toBe(
      'MissingParameter',
    );
    expect(
      await errorCode(
        h.client.send(
          new CreateImageCommand({
            InstanceId: instanceId,
            Name: 'bad-tags',
            TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'k', Value: 'v' }] }],
          }),
        ),
      ),
    ).toBe('InvalidParameterValue');
  });

  it('frees a name once its image is deregistered', async () => {
    const first = await buildImage(h, 'reusable');
    await h.client.send(new DeregisterImageCommand({ ImageId: first }));
    const second = await buildImage(h, 'reusable');
    expect(second).not.toBe(first);
  });

  it('keeps encryption from the volume: encrypted at launch, encrypted snapshot; refuses to encrypt a plain volume', async () => {
    const encryptedInstance = await launch(h, {
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, KmsKeyId: 'alias/golden' } }],
    });
    const { ImageId } = await h.client.send(
      new CreateImageCommand({
        InstanceId: encryptedInstance,
        Name: 'encrypted',
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 16 } },
          { DeviceName: '/dev/sdb', Ebs: { VolumeSize: 10, Encrypted: true } },
          { DeviceName: '/dev/sdc', NoDevice: '' },
        ],
      }),
    );
    const image = (await h.client.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(image.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: expect.objectContaining({ Encrypted: true, KmsKeyId: 'alias/golden', VolumeSize: 16 }),
      },
      {
        DeviceName: '/dev/sdb',
        Ebs: expect.objectContaining({
          Encrypted: true,
          VolumeSize: 10,
          KmsKeyId: expect.stringMatching(/^arn:aws:kms:eu-west-1:111111111111:key\//),
        }),
      },
      { DeviceName: '/dev/sdc', NoDevice: '' },
    ]);
    expect(image.BlockDeviceMappings![1]!.Ebs!.SnapshotId).toBeUndefined();

    const plain = await launch(h);
    expect(
      await errorCode(
        h.client.send(
          new CreateImageCommand({
            InstanceId: plain,
            Name: 'cannot-encrypt',
            BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true } }],
          }),
        ),
      ),
    ).toBe('InvalidBlockDeviceMapping');
  });

  it('records the last launch on the image', async () => {
    const imageId = await buildImage(h, 'launched');
    const before = await h.client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'lastLaunchedTime' }),
    );
    expect(before.LastLaunchedTime?.Value).toBeUndefined();
    // Built at 00:10:30 (30 s boot + 600 s imaging); launched an hour later.
    await h.clock.advance(3600);
    await launch(h, { ImageId: imageId });
    const after = await h.client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'lastLaunchedTime' }),
    );
    expect(after.LastLaunchedTime?.Value).toBe('2026-03-01T01:10:30.000Z');
    const described = (await h.client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images![0]!;
    expect(described.LastLaunchedTime).toBe('2026-03-01T01:10:30.000Z');
  });

  it('deregisters an image, emits deregistered and hides it', async () => {
    const imageId = await buildImage(h, 'to-go');
    const out = await h.client.send(new DeregisterImageCommand({ ImageId: imageId }));
    expect(out.Return).toBe(true);
    expect(out.DeleteSnapshotResults).toBeUndefined();
    expect(stateEvents(h).map((e) => e.detail.State)).toEqual(['available', 'deregistered']);
    expect(await errorCode(h.client.send(new DescribeImagesCommand({ ImageIds: [imageId] })))).toBe(
      'InvalidAMIID.NotFound',
    );
    expect(await errorCode(h.client.send(new DeregisterImageCommand({ ImageId: imageId })))).toBe(
      'InvalidAMIID.NotFound',
    );
    expect(
      await errorCode(h.client.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }))),
    ).toBe('InvalidAMIID.NotFound');
  });

  it('deletes the associated snapshots on request and reports each', async () => {
    const imageId = await buildImage(h, 'with-snapshots');
    const snapshotId = h.ec2.getImage(TOOLING, REGION, imageId)!.blockDeviceMappings[0]!.ebs!.snapshotId!;
    const out = await h.client.send(
      new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }),
    );
    expect(out.DeleteSnapshotResults).toEqual([{ SnapshotId: snapshotId, ReturnCode: 'success' }]);
    expect(await errorCode(h.client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })))).toBe(
      'InvalidSnapshot.NotFound',
    );
  });

  it("refuses to deregister another account's image", async () => {
    expect(await errorCode(h.client.send(new DeregisterImageCommand({ ImageId: al2023() })))).toBe(
      'AuthFailure',
    );
  });

  it('copies an image into the caller region, encrypted, pending then available', async () => {
    const source = await buildImage(h, 'golden-src');
    const us = h.clientFor(TOOLING, 'us-east-1');
    const { ImageId } = await us.send(
      new CopyImageCommand({
        SourceImageId: source,
        SourceRegion: REGION,
        Name: 'golden-copy',
        Encrypted: true,
        KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/copy',
        TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'copied', Value: 'yes' }] }],
      }),
    );
    const copy = (await us.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(copy).toMatchObject({
      State: 'pending',
      Name: 'golden-copy',
      SourceImageId: source,
      SourceImageRegion: REGION,
      Tags: [{ Key: 'copied', Value: 'yes' }],
    });
    expect(copy.BlockDeviceMappings![0]!.Ebs).toMatchObject({
      Encrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/copy',
    });
    // The copy lives in us-east-1 only.
    expect(await errorCode(h.client.send(new DescribeImagesCommand({ ImageIds: [ImageId!] })))).toBe(
      'InvalidAMIID.NotFound',
    );
    await h.clock.advance(600);
    expect((await us.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!.State).toBe(
      'available',
    );
    expect(stateEvents(h).at(-1)).toMatchObject({
      region: 'us-east-1',
      detail: { ImageId, State: 'available' },
      resources: [`arn:aws:ec2:us-east-1::image/${ImageId}`],
    });
    expect(h.ec2.getImage(TOOLING, 'us-east-1', ImageId!)!.packages.get('openssl')).toBeDefined();
  });

  it('copies public images and refuses sources the caller cannot read', async () => {
    const { ImageId } = await h.client.send(
      new CopyImageCommand({ SourceImageId: al2023(), SourceRegion: REGION, Name: 'al2023-copy' }),
    );
    expect(ImageId).toMatch(/^ami-/);
    const secret = await buildImage(h, 'private');
    const outsider = h.clientFor('333333333333');
    expect(
      await errorCode(
        outsider.send(new CopyImageCommand({ SourceImageId: secret, SourceRegion: REGION, Name: 'stolen' })),
      ),
    ).toBe('InvalidAMIID.NotFound');
    expect(
      await errorCode(
        h.client.send(
          new CopyImageCommand({
            SourceImageId: secret,
            SourceRegion: REGION,
            Name: 'keyed-copy',
            KmsKeyId: 'k',
          }),
        ),
      ),
    ).toBe('InvalidParameterDependency');
  });

  it('fails a copy asynchronously when the fault injector says so', async () => {
    h.edge.asyncFailures.add('ec2:CopyImage');
    const { ImageId } = await h.client.send(
      new CopyImageCommand({ SourceImageId: al2023(), SourceRegion: REGION, Name: 'bad-copy' }),
    );
    await h.clock.advance(600);
    expect(h.ec2.getImage(TOOLING, REGION, ImageId!)!.state).toBe('failed');
    expect(stateEvents(h).at(-1)!.detail.State).toBe('failed');
  });
});
