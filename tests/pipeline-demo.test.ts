import { join } from 'node:path';
import { imageKey } from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { type PipelineDemoResult, runPipelineDemo } from '../scripts/pipeline-demo';
import { type RetentionDemoResult, runRetentionDemo } from '../scripts/retention-demo';
import { dynamoDbEndpoint } from './support/dynamodb-local-env';

// Its own stage, so its table and bus are not the ones other suites of the run deploy.
const STAGE = 'demo-pipeline';
// As `npm start`: a date already past (see scripts/start.ts).
const START = '2026-03-02T09:00:00.000Z';

describe('npm start: build, inspect and publish on the local cloud, then weeks of retention sweeps', () => {
  let cloud: LocalCloud;
  let built: PipelineDemoResult;
  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      start: START,
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: join(__dirname, '..', 'serverless.yml'), stage: STAGE },
    });
  }, 120_000);
  afterAll(() => cloud?.stop());

  it('builds, inspects and publishes the golden image; its publication alone gets the application image built, a person approves it; a second golden version gets it rebuilt; no instance left running', async () => {
    const lines: string[] = [];

    const result = await runPipelineDemo({ cloud, stage: STAGE, log: (l) => lines.push(l) });
    built = result;

    expect(result.golden).toMatchObject({
      family: 'golden-al2023',
      state: 'published',
      verdict: 'pass',
      approver: 'auto',
    });
    expect(Object.keys(result.golden.amiIds).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    // payments-api wants a person to approve: the demo approves it as one would with amictl.
    expect(result.application).toMatchObject({
      family: 'payments-api',
      state: 'published',
      verdict: 'pass',
      approver: 'release-manager@example.com',
      parent: {
        family: 'golden-al2023',
        version: result.golden.version,
        amiId: result.golden.amiIds[cloud.region],
      },
    });
    expect(result.application.amiIds[cloud.region]).toMatch(/^ami-[0-9a-f]+$/);
    // Nobody asked for either payments-api build: the golden publications did, through the refresh service.
    expect(result.application.buildReason).toBe('parent-published');
    expect(result.golden2).toMatchObject({ family: 'golden-al2023', state: 'published' });
    expect(result.golden2.version).not.toBe(result.golden.version);
    expect(result.refreshed).toMatchObject({
      family: 'payments-api',
      buildReason: 'parent-published',
      verdict: 'pass',
      parent: { family: 'golden-al2023', version: result.golden2.version },
    });
    expect(lines.some((l) => l.includes('Refresh decisions of payments-api'))).toBe(true);
    // The retention preview sees payments-api 1.0.0 in use in the workloads account, through its role.
    expect(
      lines.some((l) => /payments-api\s+1\.0\.0\s+published\s+keep .*222222222222:instance\//.test(l)),
    ).toBe(true);
    expect(result.leftRunning).toEqual([]);
    expect(lines).toContain('No builder or test instance left running.');
  }, 180_000);

  it('lets the daily sweeps deprecate, disable and retire the unprotected golden-ubuntu version with its snapshots, retire the rejected payments-api, and keep what is in use, held, pointed to or a parent', async () => {
    expect(built).toBeDefined();
    const lines: string[] = [];

    const result: RetentionDemoResult = await runRetentionDemo({
      cloud,
      stage: STAGE,
      built,
      deployedAt: new Date(START),
      log: (l) => lines.push(l),
    });

    const [held, walked] = result.ubuntu;
    const walkedId = `golden-ubuntu@${walked!.version}`;
    // The first sweep under the policy only plans; then one stage per sweep, in order, with its grace between.
    expect(result.sweeps[0]).toMatchObject({ withheld: true, deprecated: [], disabled: [], retired: [] });
    const deprecated = result.sweeps.findIndex((s) => s.deprecated.includes(walkedId));
    const disabled = result.sweeps.findIndex((s) => s.disabled.includes(walkedId));
    const retired = result.sweeps.findIndex((s) => s.retired.includes(walkedId));
    expect(deprecated).toBeGreaterThan(0);
    expect(disabled).toBeGreaterThan(deprecated);
    expect(retired).toBeGreaterThan(disabled);
    expect(retired).toBe(result.sweeps.length - 1);
    expect(result.sweeps.every((s) => s.guard === 'ok')).toBe(true);
    expect(walked).toMatchObject({ state: 'retired' });
    // Rejected by a person, it goes after its week without the published stages.
    expect(result.rejected).toMatchObject({ family: 'payments-api', state: 'retired' });
    expect(result.sweeps.some((s) => s.retired.includes(imageKey(result.rejected)))).toBe(true);

    // Nothing of the retired images is left in EC2: no AMI, no snapshot, in any region they were in.
    expect(result.left).toEqual([]);
    for (const image of [walked!, result.rejected]) {
      expect(Object.keys(image.amiIds)).not.toEqual([]);
      for (const [region, amiId] of Object.entries(image.amiIds)) {
        const ec2 = new EC2Client({ ...cloud.clientConfig, region });
        const amis = await ec2
          .send(
            new DescribeImagesCommand({ ImageIds: [amiId], IncludeDeprecated: true, IncludeDisabled: true }),
          )
          .catch((e: Error) => {
            // Only EC2's "no such image" means gone; any other error fails the test.
            if (e.name === 'InvalidAMIID.NotFound') return { Images: [] };
            throw e;
          });
        expect(amis.Images ?? []).toEqual([]);
        const snapshots = await ec2.send(
          new DescribeSnapshotsCommand({
            OwnerIds: ['self'],
            Filters: [
              { Name: 'tag:ami-lifecycle:family', Values: [image.family] },
              { Name: 'tag:ami-lifecycle:version', Values: [image.version] },
            ],
          }),
        );
        expect(snapshots.Snapshots ?? []).toEqual([]);
      }
    }
    // What the retirements freed, as the Retention Sweep Completed events say: 10 GiB and 20 GiB roots.
    expect(result.sweeps[retired]!.snapshotGiBFreed).toBe(10);
    expect(result.sweeps.reduce((n, s) => n + s.snapshotGiBFreed, 0)).toBe(30);
    expect(lines.some((l) => /30 GiB of snapshots freed, USD 1\.50 a month saved/.test(l))).toBe(true);

    // Kept, each for its reason: in use in the workloads account, held, pointed to by a channel, a parent.
    const row = (family: string, version: string) =>
      result.images.find((r) => r.family === family && r.version === version);
    const app = row('payments-api', built.application.version);
    expect(app).toMatchObject({ state: 'published', decision: 'keep' });
    expect(app!.reasons).toContainEqual({
      code: 'in-use',
      message: expect.stringContaining(':222222222222:instance/'),
    });
    expect(row('golden-ubuntu', held!.version)).toMatchObject({
      state: 'published',
      decision: 'keep',
      codes: expect.arrayContaining(['held', 'expired-count']),
    });
    expect(row('golden-ubuntu', result.ubuntu.at(-1)!.version)).toMatchObject({
      state: 'published',
      codes: expect.arrayContaining(['channel-target']),
    });
    expect(row('golden-al2023', built.golden.version)).toMatchObject({
      state: 'published',
      decision: 'keep',
    });
    expect(result.sweeps.some((s) => s.keptCodes[imageKey(built.golden)]?.includes('parent-of-kept'))).toBe(
      true,
    );
    // Of every image in the catalog, only those two are gone.
    expect(
      result.images
        .filter((r) => r.state === 'retired')
        .map((r) => `${r.family}@${r.version}`)
        .sort(),
    ).toEqual([imageKey(result.rejected), walkedId].sort());
  }, 300_000);
});
