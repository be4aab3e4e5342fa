import {
  CreateImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import { control, START, WORKLOADS } from './helpers';

const REGION = 'eu-west-1';
const SOURCE = publicImageId(REGION, PUBLIC_IMAGES[0]!.name);

/** Outcome of one call: `ok`, or the error's name and HTTP status. */
const outcome = async (call: Promise<unknown>): Promise<string> => {
  try {
    await call;
    return 'ok';
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    return `${err.name} ${err.$metadata?.httpStatusCode}`;
  }
};

const tally = (outcomes: readonly string[]) => {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
};

describe('faults on EC2 and SSM', () => {
  let cloud: LocalCloud;
  // No SDK retries: each call is one request, so each outcome is the cloud's answer to it.
  let ec2: EC2Client;
  let ssm: SSMClient;

  const describeImages = () => ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
  const launch = (client: EC2Client = ec2, count = 1) =>
    client.send(
      new RunInstancesCommand({
        ImageId: SOURCE,
        InstanceType: 't3.micro',
        MinCount: count,
        MaxCount: count,
      }),
    );
  const inSequence = async (n: number, call: () => Promise<unknown>) => {
    const outcomes: string[] = [];
    for (let i = 0; i < n; i += 1) outcomes.push(await outcome(call()));
    return outcomes;
  };

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START, region: REGION });
    ec2 = new EC2Client({ ...cloud.clientConfig, maxAttempts: 1 });
    ssm = new SSMClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterEach(() => cloud.faults.clear());
  afterAll(async () => {
    ec2.destroy();
    ssm.destroy();
    await cloud.stop();
  });

  describe("EC2's token buckets", () => {
    it('never throttles while throttling is off', async () => {
      const outcomes = await inSequence(110, describeImages);

      expect(tally(outcomes)).toEqual({ ok: 110 });
    });

    it('empties the DescribeImages bucket after 100 calls and refills it 20 a simulated second', async () => {
      await control(cloud, 'POST', '/_local/faults', { service: 'ec2', throttling: true });

      const burst = await inSequence(101, describeImages);
      await cloud.clock.advance(1);
      const afterOneSecond = await inSequence(21, describeImages);

      expect(tally(burst)).toEqual({ ok: 100, 'RequestLimitExceeded 503': 1 });
      expect(burst[100]).toBe('RequestLimitExceeded 503');
      expect(tally(afterOneSecond)).toEqual({ ok: 20, 'RequestLimitExceeded 503': 1 });
    });

    it('gives unfiltered DescribeInstances the smaller bucket, and filtered calls the standard one', async () => {
      cloud.faults.update({ service: 'ec2', operation: 'DescribeInstances', throttling: true });

      const unfiltered = await inSequence(51, () => ec2.send(new DescribeInstancesCommand({})));
      const filtered = await outcome(
        ec2.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }),
        ),
      );

      expect(tally(unfiltered)).toEqual({ ok: 50, 'RequestLimitExceeded 503': 1 });
      expect(filtered).toBe('ok');
    });

    it('keeps buckets per account: keys of the workloads account still launch when tooling cannot', async () => {
      const sts = new STSClient(cloud.clientConfig);
      const assumed = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${WORKLOADS}:role/builder`,
          RoleSessionName: 'bucket',
        }),
      );
      sts.destroy();
      const workloads = new EC2Client({
        ...cloud.clientConfig,
        maxAttempts: 1,
        credentials: {
          accessKeyId: assumed.Credentials!.AccessKeyId!,
          secretAccessKey: assumed.Credentials!.SecretAccessKey!,
          sessionToken: assumed.Credentials!.SessionToken!,
        },
      });
      cloud.faults.update({ service: 'ec2', throttling: true });
      try {
        // RunInstances: 5 tokens, 2 a second.
        const tooling = await inSequence(6, () => launch());
        const other = await outcome(launch(workloads));
        await cloud.clock.advance(1);
        const refilled = await inSequence(3, () => launch());

        expect(tooling.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
        expect(tooling[5]).toBe('RequestLimitExceeded 503');
        expect(other).toBe('ok');
        expect(refilled).toEqual(['ok', 'ok', 'RequestLimitExceeded 503']);
      } finally {
        workloads.destroy();
      }
    });

    it('refuses a launch of more instances than the resource bucket holds, with request tokens left', async () => {
      cloud.faults.update({ service: 'ec2', throttling: true });

      await expect(outcome(launch(ec2, 1_001))).resolves.toBe('RequestLimitExceeded 503');
    });
  });

  describe('crash points and asynchronous failures', () => {
    it('launches the instance though the caller got a 500, when RunInstances crashes after the effect', async () => {
      await control(cloud, 'POST', '/_local/faults', {
        service: 'ec2',
        operation: 'RunInstances',
        crash: 'after',
        crashTimes: 1,
      });
      const marker = `lost-${Date.now()}`;

      const lost = await outcome(
        ec2.send(
          new RunInstancesCommand({
            ImageId: SOURCE,
            InstanceType: 't3.micro',
            MinCount: 1,
            MaxCount: 1,
            TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'marker', Value: marker }] }],
          }),
        ),
      );
      const found = await ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'tag:marker', Values: [marker] }] }),
      );

      expect(lost).toBe('InternalError 500');
      expect(found.Reservations?.flatMap((r) => r.Instances ?? [])).toHaveLength(1);
    });

    it('writes the parameter though the caller got a 500, when PutParameter crashes after the effect', async () => {
      cloud.faults.update({ service: 'ssm', operation: 'PutParameter', crash: 'after' });

      const lost = await outcome(
        ssm.send(
          new PutParameterCommand({ Name: '/ami-lifecycle/crash/after', Value: 'v1', Type: 'String' }),
        ),
      );
      cloud.faults.clear();

      expect(lost).toBe('InternalServerError 500');
      await expect(
        ssm.send(new GetParameterCommand({ Name: '/ami-lifecycle/crash/after' })),
      ).resolves.toMatchObject({ Parameter: { Value: 'v1' } });
    });

    it('lets CreateImage succeed at first and the image fail later, when asyncFailureRate says so', async () => {
      cloud.faults.update({ service: 'ec2', operation: 'CreateImage', asyncFailureRate: 1 });
      const instance = (await launch()).Instances![0]!.InstanceId!;
      await cloud.clock.advance(60);

      const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: instance, Name: 'doomed-1' }));
      await cloud.clock.advance(3_600);
      const { Images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }));

      expect(Images?.[0]?.State).toBe('failed');
    });
  });
});
