import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  al2023,
  buildImage,
  type Ec2Harness,
  errorCode,
  startEc2,
  TOOLING,
  ubuntu,
  WORKLOADS,
} from './support';

describe('EC2 launch templates', () => {
  let h: Ec2Harness;
  beforeEach(async () => {
    h = await startEc2();
  });
  afterEach(() => h.close());

  const create = () =>
    h.client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'builder',
        VersionDescription: 'first',
        LaunchTemplateData: {
          ImageId: al2023(),
          InstanceType: 't3.small',
          IamInstanceProfile: { Name: 'ami-builder' },
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
          NetworkInterfaces: [
            { DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: ['sg-0123456789abcdef0'] },
          ],
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'role', Value: 'builder' }] }],
        },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: 'team', Value: 'platform' }] }],
      }),
    );

  it('creates a template with version 1 as default and latest', async () => {
    const { LaunchTemplate } = await create();
    expect(LaunchTemplate).toMatchObject({
      LaunchTemplateName: 'builder',
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
      CreatedBy: `arn:aws:iam::${TOOLING}:root`,
      Tags: [{ Key: 'team', Value: 'platform' }],
    });
    expect(LaunchTemplate!.LaunchTemplateId).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(LaunchTemplate!.CreateTime).toEqual(new Date('2026-03-01T00:00:00.000Z'));
    const versions = await h.client.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LaunchTemplate!.LaunchTemplateId }),
    );
    expect(versions.LaunchTemplateVersions).toHaveLength(1);
    expect(versions.LaunchTemplateVersions![0]).toMatchObject({
      VersionNumber: 1,
      VersionDescription: 'first',
      DefaultVersion: true,
      LaunchTemplateData: {
        ImageId: al2023(),
        InstanceType: 't3.small',
        IamInstanceProfile: { Name: 'ami-builder' },
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        NetworkInterfaces: [
          { DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: ['sg-0123456789abcdef0'] },
        ],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'role', Value: 'builder' }] }],
      },
    });
  });

  it('adds versions that inherit from a source version, resolves $Latest and $Default', async () => {
    const { LaunchTemplate } = await create();
    const id = LaunchTemplate!.LaunchTemplateId!;
    const v2 = await h.client.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        SourceVersion: '1',
        VersionDescription: 'ubuntu',
        LaunchTemplateData: { ImageId: ubuntu() },
      }),
    );
    expect(v2.LaunchTemplateVersion).toMatchObject({ VersionNumber: 2, DefaultVersion: false });
    expect(v2.LaunchTemplateVersion!.LaunchTemplateData).toMatchObject({
      ImageId: ubuntu(),
      InstanceType: 't3.small',
    });
    const version = async (v: string) =>
      (
        await h.client.send(
          new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'builder', Versions: [v] }),
        )
      ).LaunchTemplateVersions![0]!.VersionNumber;
    expect(await version('$Latest')).toBe(2);
    expect(await version('$Default')).toBe(1);
    await h.client.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: '2' }));
    expect(await version('$Default')).toBe(2);
    const described = await h.client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] }));
    expect(described.LaunchTemplates![0]).toMatchObject({ DefaultVersionNumber: 2, LatestVersionNumber: 2 });
    const filtered = await h.client.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: id,
        Filters: [{ Name: 'image-id', Values: [al2023()] }],
      }),
    );
    expect(filtered.LaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([1]);
    expect(await errorCode(version('7'))).toBe('InvalidLaunchTemplateId.VersionNotFound');
  });

  it('launches from a template by name and version, request parameters winning', async () => {
    const { LaunchTemplate } = await create();
    const run = await h.client.send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.large',
        LaunchTemplate: { LaunchTemplateName: 'builder', Version: '$Latest' },
      }),
    );
    const instance = run.Instances![0]!;
    expect(instance).toMatchObject({
      ImageId: al2023(),
      InstanceType: 't3.large',
      IamInstanceProfile: { Arn: `arn:aws:iam::${TOOLING}:instance-profile/ami-builder` },
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      SecurityGroups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'sg-0123456789abcdef0' }],
    });
    expect(instance.PublicIpAddress).toBeUndefined();
    expect(instance.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'role', Value: 'builder' },
        { Key: 'aws:ec2launchtemplate:id', Value: LaunchTemplate!.LaunchTemplateId },
        { Key: 'aws:ec2launchtemplate:version', Value: '1' },
      ]),
    );
    const byId = await h.client.send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        LaunchTemplate: { LaunchTemplateId: LaunchTemplate!.LaunchTemplateId },
      }),
    );
    expect(byId.Instances![0]!.InstanceType).toBe('t3.small');
    const all = await h.client.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:role', Values: ['builder'] }] }),
    );
    expect(all.Reservations).toHaveLength(2);
  });

  it('refuses duplicate, malformed and unknown templates, and hides them from other accounts', async () => {
    await create();
    expect(await errorCode(create())).toBe('InvalidLaunchTemplateName.AlreadyExistsException');
    expect(
      await errorCode(
        h.client.send(
          new CreateLaunchTemplateCommand({ LaunchTemplateName: 'no spaces!', LaunchTemplateData: {} }),
        ),
      ),
    ).toBe('InvalidLaunchTemplateName.MalformedException');
    expect(
      await errorCode(
        h.client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['missing'] })),
      ),
    ).toBe('InvalidLaunchTemplateName.NotFoundException');
    expect(
      await errorCode(
        h.client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ['lt-0123456789abcdef0'] })),
      ),
    ).toBe('InvalidLaunchTemplateId.NotFound');
    const other = h.clientFor(WORKLOADS);
    expect((await other.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates).toEqual([]);
    expect(
      await errorCode(
        other.send(
          new RunInstancesCommand({
            MinCount: 1,
            MaxCount: 1,
            LaunchTemplate: { LaunchTemplateName: 'builder' },
          }),
        ),
      ),
    ).toBe('InvalidLaunchTemplateName.NotFoundException');
  });

  it('refuses a launch from a template whose image the caller cannot use', async () => {
    const privateImage = await buildImage(h, 'private-for-lt');
    const other = h.clientFor(WORKLOADS);
    await other.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'uses-private',
        LaunchTemplateData: { ImageId: privateImage },
      }),
    );
    expect(
      await errorCode(
        other.send(
          new RunInstancesCommand({
            MinCount: 1,
            MaxCount: 1,
            LaunchTemplate: { LaunchTemplateName: 'uses-private' },
          }),
        ),
      ),
    ).toBe('InvalidAMIID.NotFound');
  });

  it('resolves resolve:ssm: image ids through the wired SSM resolver, and refuses them without one', async () => {
    await h.client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'from-ssm',
        LaunchTemplateData: { ImageId: 'resolve:ssm:/ami-lifecycle/golden-al2023/stable' },
      }),
    );
    const run = () =>
      h.client.send(
        new RunInstancesCommand({
          MinCount: 1,
          MaxCount: 1,
          LaunchTemplate: { LaunchTemplateName: 'from-ssm' },
        }),
      );
    expect(await errorCode(run())).toBe('InvalidParameterValue');

    await h.close();
    h = await startEc2({
      resolveSsmParameter: (accountId, region, name) =>
        accountId === TOOLING && name === '/ami-lifecycle/golden-al2023/stable' ? al2023(region) : undefined,
    });
    await h.client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'from-ssm',
        LaunchTemplateData: { ImageId: 'resolve:ssm:/ami-lifecycle/golden-al2023/stable' },
      }),
    );
    expect((await run()).Instances![0]!.ImageId).toBe(al2023());
  });

  it('pages and deletes templates', async () => {
    for (let n = 0; n < 3; n++)
      await h.client.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: `lt-${n}`,
          LaunchTemplateData: { ImageId: al2023() },
        }),
      );
    const first = await h.client.send(new DescribeLaunchTemplatesCommand({ MaxResults: 2 }));
    expect(first.LaunchTemplates!.map((t) => t.LaunchTemplateName)).toEqual(['lt-0', 'lt-1']);
    const second = await h.client.send(
      new DescribeLaunchTemplatesCommand({ MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.LaunchTemplates!.map((t) => t.LaunchTemplateName)).toEqual(['lt-2']);
    await h.client.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: 'lt-1' }));
    const left = await h.client.send(
      new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: ['lt-*'] }] }),
    );
    expect(left.LaunchTemplates!.map((t) => t.LaunchTemplateName)).toEqual(['lt-0', 'lt-2']);
  });
});
