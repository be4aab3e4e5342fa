import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageBuilt } from '@ami-lifecycle/contracts';
import { parsePolicy } from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';

const ROOT = join(__dirname, '..', '..');
// Its own stage: its own table and bus, apart from the other suites sharing DynamoDB Local.
const STAGE = 'e2e-reconcile';
const REGION = 'eu-west-1';
const START = '2026-03-01T09:00:00.000Z';

describe('the build reconciler on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      region: REGION,
      start: START,
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage: STAGE },
    });
    pipeline = new LocalPipeline(cloud, STAGE);
    const policy = parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example');
    await pipeline.storeFamilies({ 'golden-al2023': policy.families['golden-al2023']! });
  }, 120_000);
  afterAll(() => cloud?.stop());

  it('finishes a build whose EC2 AMI State Change never arrived, on its schedule, with one Image Built', async () => {
    // Arrange: the rule that carries EC2's state changes to the build service is off, so the event is lost.
    const events = new EventBridgeClient(cloud.clientConfig);
    await events.send(new DisableRuleCommand({ Name: `ami-lifecycle-${STAGE}-onImageStateChange-rule-1` }));
    const { buildId } = await pipeline.requestBuild('golden-al2023', `reconcile-${run}`, { force: true });
    const image = () => pipeline.imageOfBuild('golden-al2023', buildId);

    // Act: run the clock until the AMI exists and is available, while the image stays `building`.
    const ec2 = new EC2Client(cloud.clientConfig);
    let amiAvailableAt: number | undefined;
    for (let waited = 0; waited <= 3 * 3600 && amiAvailableAt === undefined; waited += 30) {
      await cloud.clock.advance(30);
      const amiId = (await image())?.amiIds[REGION];
      if (amiId === undefined) continue;
      const ami = (await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images?.[0];
      if (ami?.State === 'available') amiAvailableAt = cloud.clock.nowMillis();
    }
    expect(amiAvailableAt).toBeDefined();
    expect((await image())?.state).toBe('building');
    // The reconciler runs every 15 minutes; within the next run the build is finished.
    for (let waited = 0; waited <= 20 * 60 && (await image())?.state === 'building'; waited += 60) {
      await cloud.clock.advance(60);
    }

    // Assert
    const repaired = (await image())!;
    expect(repaired.state).not.toBe('building');
    expect(['built', 'inspecting', 'approved']).toContain(repaired.state);
    expect(repaired.snapshotIds.length).toBeGreaterThan(0);
    // Nothing else could have: the state-change rule was off, and the reconciler ran on its schedule.
    const reconciles = cloud.lambda!.invocations().filter((i) => i.functionName.endsWith('-reconcileBuilds'));
    expect(reconciles.length).toBeGreaterThan(0);
    expect(reconciles.every((i) => i.outcome === 'succeeded')).toBe(true);
    expect(
      cloud.lambda!.invocations().filter((i) => i.functionName.endsWith('-onImageStateChange')),
    ).toHaveLength(0);
    const built = pipeline.ingested('Image Built', 'golden-al2023').map((d) => imageBuilt.schema.parse(d));
    expect(built.filter((d) => d.buildId === buildId)).toHaveLength(1);
    await cloud.clock.advance(120);
    const builders = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:ami-lifecycle:build-id', Values: [buildId] }] }),
    );
    const states = (builders.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.State?.Name);
    expect(states.length).toBeGreaterThan(0);
    expect(states.every((s) => s === 'terminated')).toBe(true);
  }, 120_000);
});
