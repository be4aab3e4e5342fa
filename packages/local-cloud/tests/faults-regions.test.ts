import {
  CreateImageCommand,
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import { control, START, WORKLOADS } from './helpers';

const EAST = 'us-east-1';
const WEST = 'eu-west-1';

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

/** Lets the event loop turn until `done()` holds, at most `turns` times: waits on I/O, never on time. */
const until = async (done: () => boolean, turns = 5_000): Promise<void> => {
  for (let i = 0; i < turns && !done(); i += 1) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error(`condition not met after ${turns} event-loop turns`);
};

describe('fault rules scoped to a Region', () => {
  let cloud: LocalCloud;
  // One client per Region (the SigV4 scope a rule matches), without SDK retries: one request per call.
  const sts: Record<string, STSClient> = {};
  const ec2: Record<string, EC2Client> = {};

  const whoAmI = (region: string) => outcome(sts[region]!.send(new GetCallerIdentityCommand({})));
  const assumeRole = (region: string) =>
    outcome(
      sts[region]!.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${WORKLOADS}:role/r`, RoleSessionName: 'regions' }),
      ),
    );

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START, region: WEST });
    for (const region of [EAST, WEST, 'eu-central-1']) {
      sts[region] = new STSClient({ ...cloud.clientConfig, region, maxAttempts: 1 });
      ec2[region] = new EC2Client({ ...cloud.clientConfig, region, maxAttempts: 1 });
    }
  });
  afterEach(() => cloud.faults.clear());
  afterAll(async () => {
    for (const client of [...Object.values(sts), ...Object.values(ec2)]) client.destroy();
    await cloud.stop();
  });

  it('fails calls in the rule’s Region only', async () => {
    await control(cloud, 'POST', '/_local/faults', {
      service: 'sts',
      operation: 'GetCallerIdentity',
      region: EAST,
      errorRate: 1,
    });

    expect([await whoAmI(EAST), await whoAmI(WEST), await whoAmI('eu-central-1')]).toEqual([
      'InternalFailure 500',
      'ok',
      'ok',
    ]);
  });

  it('holds calls in the rule’s Region on the simulated clock, and lets the other Regions’ through', async () => {
    cloud.faults.update({
      service: 'ec2',
      operation: 'DescribeImageReferences',
      region: EAST,
      latencyMs: 1_200_000,
    });
    const references = (region: string) =>
      ec2[region]!.send(
        new DescribeImageReferencesCommand({
          ImageIds: [publicImageId(region, PUBLIC_IMAGES[0]!.name)],
          IncludeAllResourceTypes: true,
        }),
      );
    let eastDone = false;

    const east = references(EAST).finally(() => {
      eastDone = true;
    });
    await until(() => cloud.faults.snapshot().delayed === 1);
    await expect(outcome(references(WEST))).resolves.toBe('ok');
    await cloud.clock.advance(1_199);
    const doneEarly = eastDone;
    await cloud.clock.advance(1);

    await expect(outcome(east)).resolves.toBe('ok');
    expect(doneEarly).toBe(false);
    expect(cloud.faults.snapshot().delayed).toBe(0);
  });

  it('lets a Region rule override the same service and operation rule without Region, field by field', async () => {
    cloud.faults.update({ service: 'sts', operation: 'GetCallerIdentity', errorRate: 1 });
    cloud.faults.update({
      service: 'sts',
      operation: 'GetCallerIdentity',
      region: EAST,
      errorCode: 'ServiceUnavailable',
    });
    cloud.faults.update({
      service: 'sts',
      operation: 'GetCallerIdentity',
      region: 'eu-central-1',
      errorRate: 0,
    });

    expect([await whoAmI(EAST), await whoAmI(WEST), await whoAmI('eu-central-1')]).toEqual([
      'ServiceUnavailable 503',
      'InternalFailure 500',
      'ok',
    ]);
  });

  it('ranks the operation above the Region: a Region rule for the service yields to an operation rule', async () => {
    cloud.faults.update({ service: 'sts', region: EAST, errorRate: 1 });
    cloud.faults.update({ service: 'sts', operation: 'GetCallerIdentity', errorRate: 0 });

    expect([await whoAmI(EAST), await assumeRole(EAST), await assumeRole(WEST)]).toEqual([
      'ok',
      'InternalFailure 500',
      'ok',
    ]);
  });

  it('spends a Region rule’s crashes on that Region’s calls only', async () => {
    cloud.faults.update({ service: 'sts', region: EAST, crash: 'before', crashTimes: 1 });
    cloud.faults.update({ service: 'sts', crash: 'before', crashTimes: 1 });

    // West spends the rule for every Region; east its own, then nothing is left for either.
    const outcomes = [await whoAmI(WEST), await whoAmI(EAST), await whoAmI(EAST), await whoAmI(WEST)];

    expect(outcomes).toEqual(['InternalFailure 500', 'InternalFailure 500', 'ok', 'ok']);
    expect(cloud.faults.snapshot().rules).toEqual([]);
  });

  it('fails later work in the Region it was asked for: an image created in us-east-1, not in eu-west-1', async () => {
    cloud.faults.update({ service: 'ec2', operation: 'CreateImage', region: EAST, asyncFailureRate: 1 });
    const imageIn = async (region: string) => {
      const run = await ec2[region]!.send(
        new RunInstancesCommand({
          ImageId: publicImageId(region, PUBLIC_IMAGES[0]!.name),
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
        }),
      );
      await cloud.clock.advance(60);
      const { ImageId } = await ec2[region]!.send(
        new CreateImageCommand({ InstanceId: run.Instances![0]!.InstanceId!, Name: `regional-${region}` }),
      );
      return ImageId!;
    };

    const east = await imageIn(EAST);
    const west = await imageIn(WEST);
    await cloud.clock.advance(3_600);
    const state = async (region: string, id: string) =>
      (await ec2[region]!.send(new DescribeImagesCommand({ ImageIds: [id] }))).Images?.[0]?.State;

    expect([await state(EAST, east), await state(WEST, west)]).toEqual(['failed', 'available']);
    // A caller that does not say the Region gets the rules for every Region only.
    expect(cloud.faults.asyncFailure('ec2', 'CreateImage', EAST)).toBe(true);
    expect(cloud.faults.asyncFailure('ec2', 'CreateImage')).toBe(false);
  });

  it('clears one Region’s rules and leaves the rest', async () => {
    cloud.faults.update({ service: 'sts', errorRate: 1 });
    cloud.faults.update({ service: 'sts', region: EAST, errorRate: 0 });
    cloud.faults.update({ service: 'ec2', operation: 'CreateImage', region: EAST, asyncFailureRate: 1 });
    cloud.faults.update({ service: 'sts', region: 'eu-central-1', errorRate: 0 });

    const cleared = await control(cloud, 'POST', '/_local/faults', { clear: true, region: EAST });
    await control(cloud, 'POST', '/_local/faults', { clear: true, service: 'ec2', region: 'eu-central-1' });

    expect(cleared.status).toBe(200);
    expect(cleared.body.rules).toEqual([
      { service: 'sts', operation: '*', errorRate: 1 },
      { service: 'sts', operation: '*', region: 'eu-central-1', errorRate: 0 },
    ]);
    expect([await whoAmI(EAST), await whoAmI('eu-central-1')]).toEqual(['InternalFailure 500', 'ok']);
  });

  it('shows each rule’s Region in GET /_local/faults, and none on a rule for every Region', async () => {
    await control(cloud, 'POST', '/_local/faults', {
      service: 'ec2',
      operation: 'DescribeImageReferences',
      region: EAST,
      latencyMs: 1_200_000,
    });
    await control(cloud, 'POST', '/_local/faults', {
      service: 'ec2',
      operation: 'DescribeImageReferences',
      errorRate: 0.5,
    });

    const { status, body } = await control(cloud, 'GET', '/_local/faults');

    expect(status).toBe(200);
    expect(body.rules).toEqual([
      { service: 'ec2', operation: 'DescribeImageReferences', region: EAST, latencyMs: 1_200_000 },
      { service: 'ec2', operation: 'DescribeImageReferences', errorRate: 0.5 },
    ]);
  });

  it('refuses a Region that is not one, naming the field, and a Region rule without a service', async () => {
    const badRegion = await control(cloud, 'POST', '/_local/faults', {
      service: 'ec2',
      region: 'US East (N. Virginia)',
      errorRate: 1,
    });
    const noService = await control(cloud, 'POST', '/_local/faults', { region: EAST, errorRate: 1 });

    expect(badRegion.status).toBe(400);
    expect(badRegion.body.issues).toEqual([
      { path: 'region', message: expect.stringContaining('an AWS Region such as us-east-1') },
    ]);
    expect(badRegion.body.error).toMatch(/^invalid fault rule: region: /);
    expect(noService.status).toBe(400);
    expect(noService.body.issues).toEqual([{ path: 'service', message: expect.any(String) }]);
    expect(cloud.faults.snapshot().rules).toEqual([]);
  });
});
