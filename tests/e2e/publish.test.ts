import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClients, SsmParameters } from '@ami-lifecycle/aws';
import { imagePublished } from '@ami-lifecycle/contracts';
import { type FamilyConfig, type Image, parsePolicy } from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import {
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Image as Ec2Image,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { amictlOn } from '../../scripts/amictl-on';
import { isDecided, LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';

const ROOT = join(__dirname, '..', '..');
// Its own stage: its own table, bus and functions, apart from the other suites sharing DynamoDB Local.
const STAGE = 'e2e-publish';
const HOME = 'eu-west-1';
const OTHER = 'eu-central-1';
const START = '2026-03-01T09:00:00.000Z';
const WORKLOADS_ROLE = 'arn:aws:iam::222222222222:role/ami-lifecycle-inventory';
const OUTSIDER_ROLE = 'arn:aws:iam::333333333333:role/anyone';

const example = (): Record<string, FamilyConfig> =>
  parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example').families;

/**
 * The publish service on the local cloud, from nothing but `Build Requested`: the example's golden image
 * is built, inspected, approved by its gate and published to both of its regions; the manual
 * payments-api waits for a person.
 */
describe('the publish service on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let firstGolden: Image;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      region: HOME,
      start: START,
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage: STAGE },
    });
    pipeline = new LocalPipeline(cloud, STAGE);
    const families = example();
    await pipeline.storeFamilies({
      'golden-al2023': families['golden-al2023']!,
      'payments-api': families['payments-api']!,
    });
    await pipeline.blockPublicImageSharing([HOME, OTHER]);
  }, 120_000);
  afterAll(() => cloud?.stop());

  const ec2 = (region: string, credentials = cloud.clientConfig.credentials) =>
    new EC2Client({ ...cloud.clientConfig, region, credentials });
  const describe1 = async (client: EC2Client, imageId: string): Promise<Ec2Image | undefined> => {
    try {
      return (await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    } catch (err) {
      if ((err as { name?: string }).name?.startsWith('InvalidAMIID')) return undefined;
      throw err;
    }
  };
  const parameter = (region: string, name: string) =>
    new SsmParameters(createClients({ ...cloud.clientConfig, region }).ssm).getParameter(name);
  const assumed = async (roleArn: string) => {
    const out = await new STSClient(cloud.clientConfig).send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'e2e' }),
    );
    const c = out.Credentials!;
    return {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    };
  };
  const amictl = (...argv: string[]) => amictlOn(pipeline, HOME)(...argv);

  /** `Build Requested` on the bus, then the clock runs until the image reaches `until` (bounded). */
  const build = async (family: string, key: string, until: (image: Image | undefined) => boolean) => {
    const { buildId } = await pipeline.requestBuild(family, key, { force: true });
    await pipeline.advanceUntil(
      `${family} ${key}`,
      async () => until(await pipeline.imageOfBuild(family, buildId)),
      {
        maxSeconds: 6 * 3600,
        stepSeconds: 60,
        describe: async () => JSON.stringify((await pipeline.imageOfBuild(family, buildId))?.state),
      },
    );
    return (await pipeline.imageOfBuild(family, buildId))!;
  };
  const published = (image: Image | undefined) => image?.state === 'published';

  it('builds, inspects, approves and publishes golden-al2023 to both regions, encrypted, tagged, shared with the workloads account only', async () => {
    const image = await build('golden-al2023', 'publish-golden-1', published);
    firstGolden = image;
    await pipeline.settle();

    // Both regions: an available, encrypted AMI carrying our tags.
    expect(Object.keys(image.amiIds).sort()).toEqual([OTHER, HOME].sort());
    for (const region of [HOME, OTHER]) {
      const ami = (await describe1(ec2(region), image.amiIds[region]!))!;
      expect(ami.State).toBe('available');
      expect(ami.BlockDeviceMappings?.every((m) => m.Ebs === undefined || m.Ebs.Encrypted)).toBe(true);
      expect(Object.fromEntries((ami.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
        'ami-lifecycle:managed': 'true',
        'ami-lifecycle:family': 'golden-al2023',
        'ami-lifecycle:version': image.version,
      });
      // Each channel's parameter holds that region's AMI id.
      for (const channel of ['latest', 'stable']) {
        expect((await parameter(region, `/ami-lifecycle/golden-al2023/${channel}`))?.value).toBe(
          image.amiIds[region],
        );
      }
    }
    expect(
      (await pipeline.catalog.listChannels('golden-al2023')).map((c) => [c.name, c.version]).sort(),
    ).toEqual([
      ['latest', image.version],
      ['stable', image.version],
    ]);

    // Shared: the workloads account sees and launches it in both regions; the outsider sees nothing.
    const workloads = await assumed(WORKLOADS_ROLE);
    const outsider = await assumed(OUTSIDER_ROLE);
    for (const region of [HOME, OTHER]) {
      const imageId = image.amiIds[region]!;
      expect((await describe1(ec2(region, workloads), imageId))?.ImageId).toBe(imageId);
      const launched = await ec2(region, workloads).send(
        new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
      );
      expect(launched.Instances).toHaveLength(1);
      expect(await describe1(ec2(region, outsider), imageId)).toBeUndefined();
      await expect(
        ec2(region, outsider).send(
          new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
        ),
      ).rejects.toThrow();
    }

    // One Image Published, naming both regions, both channels and the four parameters' names.
    const events = pipeline
      .ingested('Image Published', 'golden-al2023')
      .map((d) => imagePublished.schema.parse(d));
    expect(events).toEqual([
      expect.objectContaining({
        version: image.version,
        imageId: image.amiIds[HOME],
        channels: ['latest', 'stable'],
        regions: image.amiIds,
        ssmParameters: ['/ami-lifecycle/golden-al2023/latest', '/ami-lifecycle/golden-al2023/stable'],
      }),
    ]);
  }, 300_000);

  it('leaves payments-api (manual) waiting after a passing gate; a person approves it, and it is published with who and why in its timeline', async () => {
    const waiting = await build('payments-api', 'publish-payments-1', isDecided);
    expect(waiting).toMatchObject({ state: 'inspecting', verdict: 'pass' });

    const approved = await amictl(
      'approve',
      'payments-api',
      waiting.version,
      '--reason',
      'release 1.0 signed off',
      '--by',
      'alice@example.com',
    );
    expect(approved.code).toBe(0);
    await pipeline.advanceUntil(
      'payments-api published',
      async () => published(await pipeline.catalog.getImage('payments-api', waiting.version)),
      { maxSeconds: 3 * 3600, stepSeconds: 60 },
    );

    const shown = await amictl('image', 'show', 'payments-api', waiting.version, '--json');
    expect(shown.code).toBe(0);
    const { timeline, state } = JSON.parse(shown.out) as { timeline: object[]; state: string };
    expect(state).toBe('published');
    expect(timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          from: 'inspecting',
          to: 'approved',
          actor: 'alice@example.com',
          reason: expect.stringContaining('release 1.0 signed off'),
        }),
        expect.objectContaining({ from: 'approved', to: 'published' }),
      ]),
    );
    expect((await pipeline.catalog.getImage('payments-api', waiting.version))?.parent).toMatchObject({
      family: 'golden-al2023',
      version: firstGolden.version,
    });
  }, 300_000);

  it("rejects another payments-api candidate on a person's word", async () => {
    const waiting = await build('payments-api', 'publish-payments-2', isDecided);

    const rejected = await amictl(
      'reject',
      'payments-api',
      waiting.version,
      '--reason',
      'not this one',
      '--by',
      'bob@example.com',
    );

    expect(rejected.code).toBe(0);
    expect(await pipeline.catalog.getImage('payments-api', waiting.version)).toMatchObject({
      state: 'rejected',
      approver: 'bob@example.com',
    });
    expect(pipeline.ingested('Image Rejected', 'payments-api')).toEqual([
      expect.objectContaining({
        version: waiting.version,
        approver: { kind: 'person', principal: 'bob@example.com' },
      }),
    ]);
  }, 300_000);

  it("rolls latest back after a second golden version: the channel and both regions' parameters are on the first again", async () => {
    const second = await build('golden-al2023', 'publish-golden-2', published);
    await pipeline.settle();
    expect((await pipeline.catalog.getChannel('golden-al2023', 'latest'))?.version).toBe(second.version);

    const result = await amictl(
      'channel',
      'rollback',
      'golden-al2023',
      'latest',
      '--reason',
      'second build breaks boot',
      '--by',
      'carol@example.com',
    );

    expect(result.code).toBe(0);
    expect((await pipeline.catalog.getChannel('golden-al2023', 'latest'))?.version).toBe(firstGolden.version);
    expect((await pipeline.catalog.getChannel('golden-al2023', 'stable'))?.version).toBe(second.version);
    for (const region of [HOME, OTHER]) {
      expect((await parameter(region, '/ami-lifecycle/golden-al2023/latest'))?.value).toBe(
        firstGolden.amiIds[region],
      );
      expect((await parameter(region, '/ami-lifecycle/golden-al2023/stable'))?.value).toBe(
        second.amiIds[region],
      );
    }
  }, 300_000);

  it('publishes once, with one copy per region and no orphaned copy or snapshot, through a crash after CopyImage, a crash after ModifyImageAttribute and Image Approved delivered three times', async () => {
    const family = 'golden-faults';
    await pipeline.storeFamilies({ [family]: example()['golden-al2023']! });
    for (const operation of ['CopyImage', 'ModifyImageAttribute']) {
      await pipeline.injectFault({ service: 'ec2', operation, crash: 'after', crashTimes: 1 });
    }

    const approved = await build(family, 'publish-faults-1', (i) => i?.state === 'approved' || published(i));
    // The catalog says approved before the inspect service's Image Approved is on the bus: wait for it.
    await pipeline.advanceUntil(
      `${family}'s Image Approved on the bus`,
      async () => pipeline.ingested('Image Approved', family).length > 0,
      { maxSeconds: 600, stepSeconds: 1 },
    );
    const [approval] = pipeline.ingested('Image Approved', family);
    await pipeline.put('Image Approved', approval as object);
    await pipeline.put('Image Approved', approval as object);
    await pipeline.advanceUntil(
      `${family} published`,
      async () => published(await pipeline.catalog.getImage(family, approved.version)),
      { maxSeconds: 3 * 3600, stepSeconds: 60 },
    );
    await pipeline.settle();

    // Both crashes happened: a spent crash rule is gone from the cloud's faults.
    expect(JSON.stringify(cloud.faults.snapshot())).not.toMatch(/CopyImage|ModifyImageAttribute/);
    expect(pipeline.ingested('Image Approved', family)).toHaveLength(3);
    const image = (await pipeline.catalog.getImage(family, approved.version))!;
    for (const region of [HOME, OTHER]) {
      const ours = await ec2(region).send(
        new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [`${family}-*`] }] }),
      );
      expect(ours.Images?.map((i) => i.ImageId)).toEqual([image.amiIds[region]]);
      const snapshots = await ec2(region).send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [{ Name: 'tag:ami-lifecycle:family', Values: [family] }],
        }),
      );
      const used = new Set(
        ours.Images?.flatMap((i) => (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId)),
      );
      expect(snapshots.Snapshots?.map((x) => x.SnapshotId).filter((id) => !used.has(id))).toEqual([]);
      expect((await parameter(region, `/ami-lifecycle/${family}/stable`))?.value).toBe(image.amiIds[region]);
    }
    const sfn = new SFNClient(cloud.clientConfig);
    const stateMachineArn = `arn:aws:states:${HOME}:${cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-publish`;
    const runs = ((await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? []).filter(
      (e) => e.name?.startsWith(family),
    );
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED']);
    const events = pipeline.ingested('Image Published', family) as { idempotencyKey: string }[];
    expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(1);
    const transitions = (
      await pipeline.catalog.listAudit(family, image.version, { limit: 100 })
    ).items.filter((a) => a.to === 'published');
    expect(transitions).toHaveLength(1);
  }, 300_000);

  /** The publish executions of the stage whose names start with `prefix`. */
  const publishRuns = async (prefix: string) => {
    const sfn = new SFNClient(cloud.clientConfig);
    const stateMachineArn = `arn:aws:states:${HOME}:${cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-publish`;
    return ((await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? []).filter((e) =>
      e.name?.startsWith(prefix),
    );
  };
  const auditOf = async (family: string, version: string) =>
    (await pipeline.catalog.listAudit(family, version, { limit: 100 })).items;

  it('starts no publication and writes nothing for an Image Approved naming another AMI, or an image that is not approved', async () => {
    const rejected = (await pipeline.catalog.listImagesByFamily('payments-api', { limit: 100 })).items.find(
      (i) => i.state === 'rejected',
    )!;
    const approval = (family: string, version: string, imageId: string, key: string) => ({
      schemaVersion: 1,
      family,
      version,
      correlationId: `corr-${key}`,
      idempotencyKey: key,
      occurredAt: new Date(cloud.clock.nowMillis()).toISOString(),
      imageId,
      approver: { kind: 'auto' },
      reason: 'forged',
    });
    const before = {
      golden: await auditOf('golden-al2023', firstGolden.version),
      payments: await auditOf('payments-api', rejected.version),
      golden_runs: (await publishRuns('golden-al2023')).length,
      payments_runs: (await publishRuns('payments-api')).length,
    };

    await pipeline.put(
      'Image Approved',
      approval('golden-al2023', firstGolden.version, 'ami-0fffffffffffffff0', 'forged-ami'),
    );
    await pipeline.put(
      'Image Approved',
      approval('payments-api', rejected.version, rejected.amiIds[HOME]!, 'stale-rejected'),
    );
    await cloud.clock.advance(600);
    await pipeline.settle();

    expect({
      golden: await auditOf('golden-al2023', firstGolden.version),
      payments: await auditOf('payments-api', rejected.version),
      golden_runs: (await publishRuns('golden-al2023')).length,
      payments_runs: (await publishRuns('payments-api')).length,
    }).toEqual(before);
  }, 300_000);

  it('ends a publication that stopped before planning through RecordFailure, as PublicationFailed', async () => {
    const rejected = (await pipeline.catalog.listImagesByFamily('payments-api', { limit: 100 })).items.find(
      (i) => i.state === 'rejected',
    )!;
    const sfn = new SFNClient(cloud.clientConfig);
    const stateMachineArn = `arn:aws:states:${HOME}:${cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-publish`;
    const name = `payments-api-unplanned-${rejected.version}`.replace(/[^A-Za-z0-9_.-]/g, '-');

    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name,
        input: JSON.stringify({
          request: {
            publicationId: name,
            family: 'payments-api',
            version: rejected.version,
            imageId: rejected.amiIds[HOME],
            correlationId: 'corr-unplanned',
          },
        }),
      }),
    );
    await pipeline.settle();

    const [run] = await publishRuns(name);
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: run!.executionArn! }));
    expect(out).toMatchObject({ status: 'FAILED', error: 'PublicationFailed' });
    expect((await auditOf('payments-api', rejected.version)).at(-1)).toMatchObject({
      action: 'publication-failed',
      reason: expect.stringContaining('ImageNotPublishableError'),
    });
  }, 300_000);

  it("sets the parameters it wrote back to their channels' images when a publication stops after writing some of them", async () => {
    const channelsBefore = await pipeline.catalog.listChannels('golden-al2023');
    const versionOf = (channel: string) => channelsBefore.find((c) => c.name === channel)!.version;
    const imageOf = async (channel: string) =>
      (await pipeline.catalog.getImage('golden-al2023', versionOf(channel)))!;
    // SSM refuses every write in the other region, so the home region's parameters are written and the
    // publication stops at WriteParameters, before the channels move.
    await pipeline.injectFault({
      service: 'ssm',
      operation: 'PutParameter',
      region: OTHER,
      errorRate: 1,
      errorCode: 'InternalServerError',
    });
    try {
      const image = await build(
        'golden-al2023',
        'publish-golden-3',
        (i) => i?.state === 'approved' || published(i),
      );
      await pipeline.advanceUntil(
        'golden-al2023 publication failed',
        async () =>
          (await auditOf('golden-al2023', image.version)).some((a) => a.action === 'publication-failed'),
        { maxSeconds: 3 * 3600, stepSeconds: 60 },
      );
      await pipeline.settle();

      const failedImage = (await pipeline.catalog.getImage('golden-al2023', image.version))!;
      expect(failedImage.state).toBe('approved');
      const trail = await auditOf('golden-al2023', image.version);
      expect(trail.at(-1)).toMatchObject({
        action: 'publication-failed',
        reason: expect.stringContaining(
          `parameters set back to their channels' images: /ami-lifecycle/golden-al2023/latest in ${HOME}`,
        ),
      });
      expect(await pipeline.catalog.listChannels('golden-al2023')).toEqual(channelsBefore);
      for (const channel of ['latest', 'stable']) {
        const expected = await imageOf(channel);
        for (const region of [HOME, OTHER]) {
          expect((await parameter(region, `/ami-lifecycle/golden-al2023/${channel}`))?.value).toBe(
            expected.amiIds[region],
          );
        }
      }
    } finally {
      await pipeline.injectFault({ service: 'ssm', operation: 'PutParameter', region: OTHER, clear: true });
    }
  }, 300_000);

  it('changes nothing and says what is wrong for a bad command line or an unknown version', async () => {
    const images = () => pipeline.catalog.listImagesByFamily('payments-api', { limit: 100 });
    const before = await images();
    const channelsBefore = await pipeline.catalog.listChannels('golden-al2023');
    const eventsBefore = cloud.services.events.ingested().length;

    const unknown = await amictl('approve', 'payments-api', '9.9.9', '--reason', 'x');
    const noReason = await amictl('reject', 'payments-api', '1.0.0');
    const badOption = await amictl(
      'channel',
      'rollback',
      'golden-al2023',
      'latest',
      '--reason',
      'x',
      '--too',
    );
    const notPublished = await amictl(
      'channel',
      'rollback',
      'golden-al2023',
      'latest',
      '--to',
      '2020.01.01.1',
      '--reason',
      'x',
    );

    expect(unknown).toMatchObject({
      code: 1,
      err: expect.stringContaining('payments-api@9.9.9 does not exist'),
    });
    expect(noReason).toMatchObject({ code: 2, err: expect.stringContaining('--reason') });
    expect(badOption).toMatchObject({ code: 2, err: expect.stringContaining('--too') });
    expect(notPublished).toMatchObject({ code: 1, err: expect.stringContaining('2020.01.01.1') });
    expect(await images()).toEqual(before);
    expect(await pipeline.catalog.listChannels('golden-al2023')).toEqual(channelsBefore);
    expect(cloud.services.events.ingested().length).toBe(eventsBefore);
  });

  it("called no AWS action that the calling function's iamRoleStatements do not allow", async () => {
    const sfn = new SFNClient(cloud.clientConfig);
    const stateMachineArn = `arn:aws:states:${HOME}:${cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-publish`;
    const runs = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
    expect(runs.filter((r) => r.status === 'SUCCEEDED').length).toBeGreaterThanOrEqual(3);
    const callers = [...cloud.lambda!.awsCalls().keys()];
    expect(callers.some((f) => f.endsWith('-publishShare'))).toBe(true);
    expect(cloud.lambda!.undeclaredActions()).toEqual([]);
  });
});
