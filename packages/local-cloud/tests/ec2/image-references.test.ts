import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeImageReferencesCommand,
  type DescribeImageReferencesCommandInput,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
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
  ubuntu,
  WORKLOADS,
} from './support';

describe('EC2 DescribeImageReferences', () => {
  let h: Ec2Harness;
  beforeEach(async () => {
    h = await startEc2();
  });
  afterEach(() => h.close());

  const refs = async (input: DescribeImageReferencesCommandInput, client = h.client) =>
    (await client.send(new DescribeImageReferencesCommand(input))).ImageReferences!.map((r) => [
      r.ImageId,
      r.ResourceType,
      r.Arn,
    ]);
  const instanceArn = (id: string) => `arn:aws:ec2:${REGION}:${TOOLING}:instance/${id}`;
  const templateArn = (id: string) => `arn:aws:ec2:${REGION}:${TOOLING}:launch-template/${id}`;

  it('finds the instances and launch template versions that use an image', async () => {
    const golden = await buildImage(h, 'referenced');
    const running = await launch(h, { ImageId: golden });
    const stopped = await launch(h, { ImageId: golden });
    await h.client.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    const unrelated = await launch(h, { ImageId: ubuntu() });
    const { LaunchTemplate } = await h.client.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: 'app', LaunchTemplateData: { ImageId: golden } }),
    );
    const ltId = LaunchTemplate!.LaunchTemplateId!;

    expect(await refs({ ImageIds: [golden], IncludeAllResourceTypes: true })).toEqual([
      [golden, 'ec2:Instance', instanceArn(running)],
      [golden, 'ec2:Instance', instanceArn(stopped)],
      [golden, 'ec2:LaunchTemplate', templateArn(ltId)],
    ]);
    expect(
      await refs({
        ImageIds: [golden],
        ResourceTypes: [
          {
            ResourceType: 'ec2:Instance',
            ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['running'] }],
          },
        ],
      }),
    ).toEqual([[golden, 'ec2:Instance', instanceArn(running)]]);
    expect(await refs({ ImageIds: [ubuntu()], ResourceTypes: [{ ResourceType: 'ec2:Instance' }] })).toEqual([
      [ubuntu(), 'ec2:Instance', instanceArn(unrelated)],
    ]);
  });

  it('checks only the latest launch template versions up to version-depth', async () => {
    const golden = await buildImage(h, 'old-version');
    const { LaunchTemplate } = await h.client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'moving',
        LaunchTemplateData: { ImageId: golden },
      }),
    );
    await h.client.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateName: 'moving',
        LaunchTemplateData: { ImageId: al2023() },
      }),
    );
    const ltOnly = (depth: string) =>
      refs({
        ImageIds: [golden],
        ResourceTypes: [
          {
            ResourceType: 'ec2:LaunchTemplate',
            ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [depth] }],
          },
        ],
      });
    expect(await ltOnly('1')).toEqual([]);
    expect(await ltOnly('2')).toEqual([
      [golden, 'ec2:LaunchTemplate', templateArn(LaunchTemplate!.LaunchTemplateId!)],
    ]);
  });

  it("sees only the caller's resources, whoever owns the image", async () => {
    const golden = await buildImage(h, 'shared-ref');
    await launch(h, { ImageId: golden });
    const other = h.clientFor(WORKLOADS);
    expect(await refs({ ImageIds: [golden], IncludeAllResourceTypes: true }, other)).toEqual([]);
    const publicUser = await launch(h, { ImageId: al2023() }, other);
    expect(await refs({ ImageIds: [al2023()], IncludeAllResourceTypes: true }, other)).toEqual([
      [al2023(), 'ec2:Instance', `arn:aws:ec2:${REGION}:${WORKLOADS}:instance/${publicUser}`],
    ]);
  });

  it('keeps terminated instances in the default scope until EC2 forgets them', async () => {
    const id = await launch(h);
    await h.client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await h.clock.advance(30);
    expect(await refs({ ImageIds: [al2023()], IncludeAllResourceTypes: true })).toHaveLength(1);
    await h.clock.advance(3600);
    expect(await refs({ ImageIds: [al2023()], IncludeAllResourceTypes: true })).toEqual([]);
  });

  it('asks other emulators about their resource types', async () => {
    h.ec2.addImageReferenceProvider('ssm:Parameter', (accountId, region, imageIds) =>
      imageIds.has(al2023())
        ? [
            {
              imageId: al2023(),
              resourceType: 'ssm:Parameter',
              arn: `arn:aws:ssm:${region}:${accountId}:parameter/golden`,
            },
          ]
        : [],
    );
    expect(await refs({ ImageIds: [al2023()], ResourceTypes: [{ ResourceType: 'ssm:Parameter' }] })).toEqual([
      [al2023(), 'ssm:Parameter', `arn:aws:ssm:${REGION}:${TOOLING}:parameter/golden`],
    ]);
    expect(await refs({ ImageIds: [al2023()], ResourceTypes: [{ ResourceType: 'ec2:Instance' }] })).toEqual(
      [],
    );
  });

  it('pages references and validates its input', async () => {
    await h.client.send(new RunInstancesCommand({ ImageId: al2023(), MinCount: 7, MaxCount: 7 }));
    const first = await h.client.send(
      new DescribeImageReferencesCommand({
        ImageIds: [al2023()],
        IncludeAllResourceTypes: true,
        MaxResults: 5,
      }),
    );
    expect(first.ImageReferences).toHaveLength(5);
    const second = await h.client.send(
      new DescribeImageReferencesCommand({
        ImageIds: [al2023()],
        IncludeAllResourceTypes: true,
        MaxResults: 5,
        NextToken: first.NextToken,
      }),
    );
    expect(second.ImageReferences).toHaveLength(2);
    expect(await errorCode(h.client.send(new DescribeImageReferencesCommand({ ImageIds: [al2023()] })))).toBe(
      'MissingParameter',
    );
    expect(
      await errorCode(
        h.client.send(
          new DescribeImageReferencesCommand({ ImageIds: ['ami-bad'], IncludeAllResourceTypes: true }),
        ),
      ),
    ).toBe('InvalidAMIID.Malformed');
  });
});
