import {
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  DeregisterImageCommand,
  DisableImageCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  GetCommandInvocationCommand,
  GetParameterCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import { DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS } from '../src/services/ssm';
import { control, START } from './helpers';

const REGION = 'eu-west-1';

const outcome = (call: Promise<unknown>): Promise<string> =>
  call.then(
    () => 'ok',
    (e: { name: string }) => e.name,
  );
const AL2023 = PUBLIC_IMAGES.find((i) => i.ssmParameter?.endsWith('al2023-ami-kernel-default-x86_64'))!;

describe('the services of a started cloud, wired together', () => {
  let cloud: LocalCloud;
  let ec2: EC2Client;
  let ssm: SSMClient;

  const launch = async (extra: Partial<ConstructorParameters<typeof RunInstancesCommand>[0]> = {}) => {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: publicImageId(REGION, AL2023.name),
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        ...extra,
      }),
    );
    return run.Instances![0]!;
  };

  /** An image of a fresh instance, available once the clock has run past its creation. */
  const createImage = async (name: string) => {
    const instance = await launch();
    await cloud.clock.advance(120);
    const { ImageId } = await ec2.send(
      new CreateImageCommand({ InstanceId: instance.InstanceId, Name: name }),
    );
    await cloud.clock.advance(3_600);
    return ImageId!;
  };

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START, region: REGION });
    ec2 = new EC2Client(cloud.clientConfig);
    ssm = new SSMClient(cloud.clientConfig);
  });
  afterAll(async () => {
    ec2.destroy();
    ssm.destroy();
    await cloud.stop();
  });

  it('serves EC2, SSM, STS, EventBridge, Step Functions, Inspector2, SNS and SQS on its one endpoint', async () => {
    const health = await control(cloud, 'GET', '/_local/health');

    expect(health.body.services).toEqual([
      'ec2',
      'events',
      'inspector2',
      'sns',
      'sqs',
      'ssm',
      'states',
      'sts',
    ]);
    // The variables the SDKs and the CLI read: by service id, which is not always the signing name.
    expect(cloud.env).toMatchObject({
      AWS_ENDPOINT_URL_EC2: cloud.endpoint,
      AWS_ENDPOINT_URL_SSM: cloud.endpoint,
      AWS_ENDPOINT_URL_STS: cloud.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: cloud.endpoint,
      AWS_ENDPOINT_URL_SFN: cloud.endpoint,
      AWS_ENDPOINT_URL_INSPECTOR2: cloud.endpoint,
    });
  });

  it("validates aws:ec2:image parameters against EC2's images in the background", async () => {
    const imageId = await createImage('golden-al2023-2026.03.01.1');
    const put = (Name: string, Value: string) =>
      ssm.send(new PutParameterCommand({ Name, Value, Type: 'String', DataType: 'aws:ec2:image' }));
    const read = (Name: string) => outcome(ssm.send(new GetParameterCommand({ Name })));

    const known = await put('/ami-lifecycle/golden-al2023/latest', imageId);
    const unknown = await put('/ami-lifecycle/golden-al2023/stable', 'ami-0123456789abcdef0');
    const before = [
      await read('/ami-lifecycle/golden-al2023/latest'),
      await read('/ami-lifecycle/golden-al2023/stable'),
    ];
    await cloud.clock.advance(DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS);
    const latest = await ssm.send(new GetParameterCommand({ Name: '/ami-lifecycle/golden-al2023/latest' }));

    // Both writes are accepted; only the one whose image EC2 knows becomes visible, once validated.
    expect([known.Version, unknown.Version]).toEqual([1, 1]);
    expect(before).toEqual(['ParameterNotFound', 'ParameterNotFound']);
    expect(latest.Parameter).toMatchObject({ Value: imageId, DataType: 'aws:ec2:image' });
    await expect(read('/ami-lifecycle/golden-al2023/stable')).resolves.toBe('ParameterNotFound');
  });

  it('refuses an aws:ec2:image value whose image EC2 knows but is not available', async () => {
    const disabled = await createImage('not-available-disabled');
    await ec2.send(new DisableImageCommand({ ImageId: disabled }));
    const deregistered = await createImage('not-available-deregistered');
    await ec2.send(new DeregisterImageCommand({ ImageId: deregistered }));
    const builder = await launch();
    await cloud.clock.advance(120);
    const { ImageId: pending } = await ec2.send(
      new CreateImageCommand({ InstanceId: builder.InstanceId, Name: 'not-available-pending' }),
    );
    const names = ['disabled', 'deregistered', 'pending'].map((n) => `/ami-lifecycle/not-available/${n}`);

    for (const [i, Value] of [disabled, deregistered, pending!].entries())
      await ssm.send(
        new PutParameterCommand({ Name: names[i], Value, Type: 'String', DataType: 'aws:ec2:image' }),
      );
    await cloud.clock.advance(DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS);
    const outcomes = await Promise.all(
      names.map((Name) => outcome(ssm.send(new GetParameterCommand({ Name })))),
    );

    expect(outcomes).toEqual(['ParameterNotFound', 'ParameterNotFound', 'ParameterNotFound']);
  });

  it('launches from a launch template whose image is a resolve:ssm: parameter', async () => {
    const template = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'builder',
        LaunchTemplateData: { ImageId: `resolve:ssm:${AL2023.ssmParameter}`, InstanceType: 't3.micro' },
      }),
    );

    const instance = await launch({
      ImageId: undefined,
      InstanceType: undefined,
      LaunchTemplate: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '$Latest' },
    });

    expect(instance.ImageId).toBe(publicImageId(REGION, AL2023.name));
  });

  it('runs SSM commands on an instance EC2 launched', async () => {
    const instance = await launch({ IamInstanceProfile: { Name: 'ami-lifecycle-builder' } });
    await cloud.clock.advance(120);

    const { Command } = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [instance.InstanceId!],
        Parameters: { commands: ['echo built'] },
      }),
    );
    await cloud.clock.advance(600);
    const invocation = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: instance.InstanceId! }),
    );

    expect(invocation.Status).toBe('Success');
  });

  it("records EC2's AMI state changes in the cloud's event log", async () => {
    const seen: string[] = [];
    const unsubscribe = cloud.events.subscribe((e) => seen.push(e.detailType));

    const imageId = await createImage('golden-al2023-2026.03.01.2');
    unsubscribe();

    expect(seen).toContain('EC2 AMI State Change');
    expect(cloud.events.list({ source: 'aws.ec2', detailType: 'EC2 AMI State Change' })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resources: [expect.stringContaining(imageId)],
          detail: expect.objectContaining({ State: 'available' }),
        }),
      ]),
    );
  });
});
