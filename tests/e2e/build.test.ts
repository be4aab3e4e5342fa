import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIdFor } from '@ami-lifecycle/build-service';
import { type DynamoDbCatalog, TransitionConflictError } from '@ami-lifecycle/catalog';
import {
  type BuildRequestedDetail,
  buildRequested,
  imageBuildFailed,
  imageBuilt,
} from '@ami-lifecycle/contracts';
import { amiName, type FamilyConfig, type Image, managedTags, parsePolicy } from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type Command, ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';

const ROOT = join(__dirname, '..', '..');
const SERVERLESS_FILE = join(ROOT, 'serverless.yml');
// Its own stage, so its own table, bus and functions: the inspect suites deploy `local` onto the same
// DynamoDB Local in the same run, and would otherwise move the channels and configs this suite sets.
const STAGE = 'e2e-build';
const REGION = 'eu-west-1';
const _BUS = `ami-lifecycle-${STAGE}`;
const _TABLE = `ami-lifecycle-${STAGE}`;
const START = '2026-03-01T09:00:00.000Z';
const BUILD_ID_TAG = 'ami-lifecycle:build-id';

/** The example policy's families as `amictl config apply` stores them, and one that cannot build. */
const exampleFamilies = (): Record<string, FamilyConfig> => {
  const policy = parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example');
  const families: Record<string, FamilyConfig> = { ...policy.families };
  // A golden family whose agent cannot be installed: the build must fail at that component.
  const golden = policy.families['golden-al2023']!;
  families['golden-broken'] = {
    ...golden,
    name: 'golden-broken',
    build: {
      ...golden.build,
      components: [
        ...golden.build.components.filter((c) => c.kind === 'os-update'),
        {
          name: 'broken-agent',
          kind: 'agent',
          commands: ['dnf -y install no-such-agent'],
          timeoutSeconds: 600,
        },
      ],
    },
  } as FamilyConfig;
  return families;
};

describe('the build service on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let catalog: DynamoDbCatalog;
  let ec2: EC2Client;
  let sfn: SFNClient;
  let stateMachineArn: string;
  // Unique per run, so a rerun against a DynamoDB Local that kept the table never meets its own ids.
  const run = `${Date.now().toString(36)}`;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      region: REGION,
      start: START,
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: SERVERLESS_FILE, stage: STAGE },
    });
    pipeline = new LocalPipeline(cloud, STAGE);
    catalog = pipeline.catalog;
    ec2 = new EC2Client(cloud.clientConfig);
    sfn = new SFNClient(cloud.clientConfig);
    stateMachineArn = `arn:aws:states:${REGION}:${cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-build`;
    await pipeline.storeFamilies(exampleFamilies());
  }, 120_000);
  afterAll(() => cloud?.stop());

  /** A `Build Requested` detail, checked against its contract; `force` so other suites' builds never dedupe ours. */
  const request = (family: string, key: string): BuildRequestedDetail =>
    buildRequested.schema.parse({
      schemaVersion: 1,
      family,
      correlationId: `corr-${key}-${run}`,
      idempotencyKey: `${key}-${run}`,
      occurredAt: cloud.clock.now().toISOString(),
      reason: 'manual',
      requestedBy: 'e2e@example.com',
      force: true,
    });

  const putBuildRequested = (detail: BuildRequestedDetail) => pipeline.put('Build Requested', detail);

  const executionArnOf = (detail: BuildRequestedDetail) =>
    `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${buildIdFor(detail.family, detail.idempotencyKey)}`;

  /** Puts the request on the bus and lets the machine run to its end on the simulated clock. */
  const build = async (detail: BuildRequestedDetail) => {
    await putBuildRequested(detail);
    await cloud.clock.advance(0);
    const execution = await cloud.services.sfn.waitForExecution(executionArnOf(detail), {
      maxAdvanceSeconds: 4 * 3600,
    });
    return execution;
  };

  /** The catalog image of a build, found by the build id its request gives it. */
  /** Every SSM command the account has sent, every page. */
  const collectCommands = async () => {
    const ssm = new SSMClient(cloud.clientConfig);
    const out: Command[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(new ListCommandsCommand({ MaxResults: 50, NextToken }));
      out.push(...(page.Commands ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  };
  const imageOf = async (detail: BuildRequestedDetail): Promise<Image> => {
    const buildId = buildIdFor(detail.family, detail.idempotencyKey);
    const images = await catalog.listImagesByFamily(detail.family, { limit: 100 });
    const image = images.items.find((i) => i.buildId === buildId);
    if (image === undefined) throw new Error(`no image of ${detail.family} has build id ${buildId}`);
    return image;
  };

  /** Advances the clock in steps until `done` holds, at most `maxAdvanceSeconds`; answers whether it did. */
  const advanceUntil = async (done: () => Promise<boolean>, maxAdvanceSeconds: number, stepSeconds = 30) => {
    for (let waited = 0; waited <= maxAdvanceSeconds; waited += stepSeconds) {
      if (await done()) return true;
      await cloud.clock.advance(stepSeconds);
    }
    return done();
  };

  const builders = async (buildId: string) => {
    const out = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: `tag:${BUILD_ID_TAG}`, Values: [buildId] }] }),
    );
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  };

  /** Every builder of the build reaches `terminated` (shutting down takes the clock a moment). */
  const builderTerminated = async (buildId: string) => {
    const all = await builders(buildId);
    const done = await advanceUntil(
      async () => (await builders(buildId)).every((i) => i.State?.Name === 'terminated'),
      120,
    );
    return all.length > 0 && done;
  };

  const ingested = (detailType: string, family: string) => pipeline.ingested(detailType, family);

  let golden: Image;

  it('builds a golden image from the SSM public parameter: built, named, tagged, available, builder gone, Image Built emitted', async () => {
    // Arrange
    const detail = request('golden-al2023', 'golden');

    // Act
    const execution = await build(detail);
    const image = await imageOf(detail);
    const built = await advanceUntil(
      async () => (await catalog.getImage(image.family, image.version))?.state === 'built',
      1800,
    );

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(built).toBe(true);
    golden = (await catalog.getImage(image.family, image.version))!;
    const amiId = golden.amiIds[REGION]!;
    expect(golden).toMatchObject({
      state: 'built',
      managed: true,
      buildId: buildIdFor('golden-al2023', detail.idempotencyKey),
    });
    expect(golden.version).toMatch(/^2026\.03\.01\.\d+$/);
    const [ami] = (await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images ?? [];
    expect(ami).toMatchObject({ Name: amiName('golden-al2023', golden.version), State: 'available' });
    const tags = Object.fromEntries((ami?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      'cost-center': 'platform',
      ...managedTags({ family: 'golden-al2023', version: golden.version, buildId: golden.buildId! }),
    });
    expect(golden.snapshotIds.length).toBeGreaterThan(0);
    // Encrypted with the family's key: the builder's root volume was launched with it.
    expect(ami?.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({
      Encrypted: true,
      KmsKeyId: 'alias/ami-lifecycle',
    });
    expect(await builderTerminated(golden.buildId!)).toBe(true);
    // The builder was launched locked down: IMDSv2 only, no key pair, no public address, the SSM profile.
    const [builder] = await builders(golden.buildId!);
    expect(builder?.MetadataOptions?.HttpTokens).toBe('required');
    expect(builder?.KeyName).toBeUndefined();
    expect(builder?.PublicIpAddress).toBeUndefined();
    expect(builder?.IamInstanceProfile?.Arn).toMatch(/instance-profile\/ami-lifecycle-builder$/);
    const events = ingested('Image Built', 'golden-al2023').map((d) => imageBuilt.schema.parse(d));
    expect(events).toEqual([
      expect.objectContaining({
        family: 'golden-al2023',
        version: golden.version,
        imageId: amiId,
        region: REGION,
      }),
    ]);
    // One golden build of the example family: well under 60 state transitions.
    const transitions = await pipeline.stateTransitions(execution.executionArn);
    expect(transitions).toBeLessThan(40);
  }, 120_000);

  it('builds an application image on the image its parent’s latest channel points to, with the lineage recorded', async () => {
    // Arrange: the golden image goes on through inspection and publishing onto `latest`. The inspect
    // service may already have taken the first step (it reacts to Image Built), so walk on from wherever
    // the image is, as the publish side would.
    const audit = {
      actor: 'e2e',
      reason: 'published for the application build',
      correlationId: `corr-${run}`,
    };
    const next: Partial<Record<string, 'inspecting' | 'approved' | 'published'>> = {
      built: 'inspecting',
      inspecting: 'approved',
      approved: 'published',
    };
    for (let step = 0; step < 10; step++) {
      const current = (await catalog.getImage(golden.family, golden.version))!;
      const to = next[current.state];
      if (to === undefined) break;
      await catalog
        .transitionImage({
          family: current.family,
          version: current.version,
          from: current.state,
          to,
          expectedStateVersion: current.stateVersion,
          at: cloud.clock.now().toISOString(),
          audit,
        })
        .catch((err: unknown) => {
          // The inspect service moved it meanwhile: read again and go on from there.
          if (!(err instanceof TransitionConflictError)) throw err;
        });
    }
    expect((await catalog.getImage(golden.family, golden.version))?.state).toBe('published');
    const channel = await catalog.getChannel('golden-al2023', 'latest');
    await catalog.setChannel('golden-al2023', 'latest', golden.version, {
      expectedRevision: channel?.revision ?? null,
      at: cloud.clock.now().toISOString(),
      audit,
    });
    const detail = request('orders-worker', 'app');

    // Act
    const execution = await build(detail);
    const image = await imageOf(detail);
    const built = await advanceUntil(
      async () => (await catalog.getImage(image.family, image.version))?.state === 'built',
      1800,
    );

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(built).toBe(true);
    const app = (await catalog.getImage(image.family, image.version))!;
    expect(app.parent).toEqual({
      family: 'golden-al2023',
      version: golden.version,
      amiId: golden.amiIds[REGION],
    });
    expect(app.sourceAmiId).toBe(golden.amiIds[REGION]);
    const [ami] =
      (await ec2.send(new DescribeImagesCommand({ ImageIds: [app.amiIds[REGION]!] }))).Images ?? [];
    const tags = Object.fromEntries((ami?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags['ami-lifecycle:parent']).toBe(`golden-al2023@${golden.version}`);
    expect(ingested('Image Built', 'orders-worker').map((d) => imageBuilt.schema.parse(d))).toEqual([
      expect.objectContaining({
        parent: { family: 'golden-al2023', version: golden.version, imageId: golden.amiIds[REGION] },
      }),
    ]);
  }, 120_000);

  it('fails the build when a component fails: image failed with the reason, builder terminated, Image Build Failed', async () => {
    // Arrange
    const detail = request('golden-broken', 'broken');

    // Act
    const execution = await build(detail);

    // Assert
    expect(execution.status).toBe('FAILED');
    const image = await imageOf(detail);
    expect(image.state).toBe('failed');
    expect(image.reason).toMatch(
      /^run-components: ComponentFailedError: component broken-agent failed \(exit code 1\): Error: Unable to find a match: no-such-agent/,
    );
    expect(await builderTerminated(image.buildId!)).toBe(true);
    expect(
      ingested('Image Build Failed', 'golden-broken').map((d) => imageBuildFailed.schema.parse(d)),
    ).toEqual([
      expect.objectContaining({ version: image.version, stage: 'run-components', reason: image.reason }),
    ]);
  }, 120_000);

  it('sends each component once although SendCommand loses its answer twice', async () => {
    // Arrange: the first two SendCommand calls run the command, then fail as if the answer were lost.
    await pipeline.injectFault({ service: 'ssm', operation: 'SendCommand', crash: 'after', crashTimes: 2 });
    const detail = request('golden-al2023', 'send-twice');

    // Act
    let execution: Awaited<ReturnType<typeof build>>;
    try {
      execution = await build(detail);
    } finally {
      await pipeline.injectFault({ clear: true });
    }

    // Assert: one command per component step, the build done.
    expect(execution.status).toBe('SUCCEEDED');
    const image = await imageOf(detail);
    const commands = await collectCommands();
    const comments = commands
      .map((c) => c.Comment ?? '')
      .filter((comment) => comment.startsWith(`ami-lifecycle ${image.buildId} step `));
    expect(comments.sort()).toEqual([...new Set(comments)].sort());
    expect(comments).toHaveLength(3);
  }, 120_000);

  it('fails the build when EC2 refuses CreateImage', async () => {
    // Arrange
    await pipeline.injectFault({
      service: 'ec2',
      operation: 'CreateImage',
      errorRate: 1,
      errorCode: 'InvalidParameterValue',
    });
    const detail = request('golden-al2023', 'no-image');

    // Act
    let execution: Awaited<ReturnType<typeof build>>;
    try {
      execution = await build(detail);
    } finally {
      await pipeline.injectFault({ clear: true });
    }

    // Assert
    expect(execution.status).toBe('FAILED');
    const image = await imageOf(detail);
    expect(image).toMatchObject({ state: 'failed', amiIds: {} });
    expect(image.reason).toBe('create-image: InvalidParameterValue: injected fault: ec2:CreateImage failed');
    expect(await builderTerminated(image.buildId!)).toBe(true);
    expect(
      ingested('Image Build Failed', 'golden-al2023').map((d) => imageBuildFailed.schema.parse(d)),
    ).toContainEqual(expect.objectContaining({ version: image.version, stage: 'create-image' }));
  }, 120_000);

  it('fails the build when the image EC2 accepted ends up failed', async () => {
    // Arrange
    await pipeline.injectFault({ service: 'ec2', operation: 'CreateImage', asyncFailureRate: 1 });
    const detail = request('golden-al2023', 'image-fails');

    // Act
    let execution: Awaited<ReturnType<typeof build>>;
    try {
      execution = await build(detail);
    } finally {
      await pipeline.injectFault({ clear: true });
    }
    const image = await imageOf(detail);
    const failed = await advanceUntil(
      async () => (await catalog.getImage(image.family, image.version))?.state === 'failed',
      1800,
    );

    // Assert: the machine ended at CreateImage accepted; the AMI state change failed the image.
    expect(execution.status).toBe('SUCCEEDED');
    expect(failed).toBe(true);
    const after = (await catalog.getImage(image.family, image.version))!;
    expect(after.reason).toMatch(new RegExp(`^AMI ${after.amiIds[REGION]} failed: `));
    expect(await builderTerminated(image.buildId!)).toBe(true);
    expect(
      ingested('Image Build Failed', 'golden-al2023').map((d) => imageBuildFailed.schema.parse(d)),
    ).toContainEqual(
      expect.objectContaining({
        version: image.version,
        stage: 'await-image',
        imageId: after.amiIds[REGION],
      }),
    );
  }, 120_000);

  it('runs one build for the same Build Requested delivered three times', async () => {
    // Arrange
    const detail = request('golden-al2023', 'thrice');

    const requestBuildCalls = () =>
      (cloud.lambda?.invocations() ?? []).filter(
        (c) => c.functionName === `ami-lifecycle-${STAGE}-requestBuild` && c.outcome === 'succeeded',
      ).length;
    const callsBefore = requestBuildCalls();

    // Act
    for (let i = 0; i < 3; i++) await putBuildRequested(detail);
    await cloud.clock.advance(0);
    const execution = await cloud.services.sfn.waitForExecution(executionArnOf(detail), {
      maxAdvanceSeconds: 4 * 3600,
    });

    // Assert: three deliveries, each acknowledged, and one execution, image and builder.
    expect(requestBuildCalls() - callsBefore).toBe(3);
    expect(execution.status).toBe('SUCCEEDED');
    const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100 }));
    const buildId = buildIdFor('golden-al2023', detail.idempotencyKey);
    expect((executions.executions ?? []).filter((e) => e.name === buildId)).toHaveLength(1);
    const images = await catalog.listImagesByFamily('golden-al2023', { limit: 100 });
    expect(images.items.filter((i) => i.buildId === buildId)).toHaveLength(1);
    expect(await builders(buildId)).toHaveLength(1);
  }, 120_000);
});
