import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeImageReferencesCommand,
  type DescribeImageReferencesCommandInput,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { PutParameterCommand, type PutParameterCommandInput, type SSMClient } from '@aws-sdk/client-ssm';
import { DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS } from '../../src/services/ssm';
import {
  al2023,
  buildImage,
  type Ec2Harness,
  errorCode,
  launch,
  REGION,
  startEc2,
  startEc2WithSsm,
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

  it('takes at most 10 image ids per call, as the API Reference documents', async () => {
    const id = await launch(h);
    // al2023 and nine well-formed ids nothing uses.
    const ids = (n: number) => [
      al2023(),
      ...Array.from({ length: n - 1 }, (_, i) => `ami-${(i + 1).toString(16).padStart(17, '0')}`),
    ];

    expect(await refs({ ImageIds: ids(10), IncludeAllResourceTypes: true })).toEqual([
      [al2023(), 'ec2:Instance', instanceArn(id)],
    ]);
    await expect(
      h.client.send(new DescribeImageReferencesCommand({ ImageIds: ids(11), IncludeAllResourceTypes: true })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('at most 10 ImageId'),
    });
  });
});

describe('EC2 DescribeImageReferences of SSM parameters (EC2 wired to SSM as in a full cloud)', () => {
  let h: Awaited<ReturnType<typeof startEc2WithSsm>>;
  beforeEach(async () => {
    h = await startEc2WithSsm();
  });
  afterEach(() => h.close());

  const OTHER_REGION = 'us-east-1';
  const ssmOnly = { ResourceTypes: [{ ResourceType: 'ssm:Parameter' as const }] };
  const refs = async (ImageIds: string[], client = h.client) =>
    (await client.send(new DescribeImageReferencesCommand({ ImageIds, ...ssmOnly }))).ImageReferences!.map(
      (r) => [r.ImageId, r.ResourceType, r.Arn],
    );
  const parameterArn = (name: string, account = TOOLING, region = REGION) =>
    `arn:aws:ssm:${region}:${account}:parameter/${name.replace(/^\//, '')}`;
  /** Writes an `aws:ec2:image` parameter; its value lands once the background validation ends. */
  const putImage = (
    Name: string,
    Value: string,
    ssm: SSMClient = h.ssmFor(),
    extra: Partial<PutParameterCommandInput> = {},
  ) =>
    ssm.send(new PutParameterCommand({ Name, Value, Type: 'String', DataType: 'aws:ec2:image', ...extra }));
  const validated = () => h.clock.advance(DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS);

  it('reports an aws:ec2:image parameter naming the image, with its ARN', async () => {
    const golden = await buildImage(h, 'golden-parameter');
    await putImage('/ami-lifecycle/golden/latest', golden);
    await putImage('golden-flat', golden);
    // A text parameter that happens to hold the id is not an image reference here (see the SSM README).
    await h.ssmFor().send(new PutParameterCommand({ Name: '/notes/golden', Value: golden, Type: 'String' }));
    await validated();

    const expected = [
      [golden, 'ssm:Parameter', parameterArn('/ami-lifecycle/golden/latest')],
      [golden, 'ssm:Parameter', parameterArn('golden-flat')],
    ];
    expect(await refs([golden])).toEqual(expected);
    expect(expected[0]![2]).toBe(`arn:aws:ssm:${REGION}:${TOOLING}:parameter/ami-lifecycle/golden/latest`);
    // Other images are not reported, and IncludeAllResourceTypes covers SSM parameters too.
    expect(await refs([al2023()])).toEqual([]);
    const all = await h.client.send(
      new DescribeImageReferencesCommand({ ImageIds: [golden], IncludeAllResourceTypes: true }),
    );
    expect(all.ImageReferences!.filter((r) => r.ResourceType === 'ssm:Parameter')).toHaveLength(2);
  });

  it("answers only the caller's parameters in the caller's region", async () => {
    const image = al2023();
    await putImage('/elsewhere/region', al2023(OTHER_REGION), h.ssmFor(TOOLING, OTHER_REGION));
    await putImage('/elsewhere/account', image, h.ssmFor(WORKLOADS));
    await validated();

    expect(await refs([image])).toEqual([]);
    expect(await refs([al2023(OTHER_REGION)])).toEqual([]);
    // Each parameter is reported where it lives, to its own account.
    expect(await refs([al2023(OTHER_REGION)], h.clientFor(TOOLING, OTHER_REGION))).toEqual([
      [al2023(OTHER_REGION), 'ssm:Parameter', parameterArn('/elsewhere/region', TOOLING, OTHER_REGION)],
    ]);
    expect(await refs([image], h.clientFor(WORKLOADS))).toEqual([
      [image, 'ssm:Parameter', parameterArn('/elsewhere/account', WORKLOADS)],
    ]);
  });

  it('follows the value the parameter has: the old image stops being reported once the new one lands', async () => {
    const name = '/ami-lifecycle/moving';
    await putImage(name, al2023());
    await validated();
    await putImage(name, ubuntu(), h.ssmFor(), { Overwrite: true });

    // While the new value is being validated it is not the parameter's value yet.
    expect(await refs([al2023(), ubuntu()])).toEqual([[al2023(), 'ssm:Parameter', parameterArn(name)]]);
    await validated();
    expect(await refs([al2023()])).toEqual([]);
    expect(await refs([ubuntu()])).toEqual([[ubuntu(), 'ssm:Parameter', parameterArn(name)]]);
  });

  it('never reports a value its validation refused', async () => {
    const missing = 'ami-0123456789abcdef0';
    await putImage('/ami-lifecycle/refused-create', missing);
    await putImage('/ami-lifecycle/refused-update', al2023());
    await validated();
    await putImage('/ami-lifecycle/refused-update', missing, h.ssmFor(), { Overwrite: true });
    await validated();

    expect(await refs([missing])).toEqual([]);
    // The refused update left the parameter as it was.
    expect(await refs([al2023()])).toEqual([
      [al2023(), 'ssm:Parameter', parameterArn('/ami-lifecycle/refused-update')],
    ]);
  });
});
