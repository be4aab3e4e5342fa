import { join } from 'node:path';
import { imageKey } from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { LocalPipeline } from '../scripts/local-pipeline';
import { type PipelineDemoResult, runPipelineDemo, WEB } from '../scripts/pipeline-demo';
import { type RetentionDemoResult, runRetentionDemo } from '../scripts/retention-demo';
import { Story } from '../scripts/story-log';
import { runVulnerableDemo, STORY_CVE, type VulnerableDemoResult } from '../scripts/story-vulnerable';
import { dynamoDbEndpoint } from './support/dynamodb-local-env';

// Its own stage, so its table and bus are not the ones other suites of the run deploy.
const STAGE = 'demo-pipeline';
// As `npm start`: a date already past (see scripts/start.ts).
const START = '2026-03-02T09:00:00.000Z';

describe('npm start: the story of golden and application images on the local cloud, from build to retirement', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let story: Story;
  const lines: string[] = [];
  let built: PipelineDemoResult;
  let vulnerable: VulnerableDemoResult;
  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      start: START,
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: join(__dirname, '..', 'serverless.yml'), stage: STAGE },
    });
    pipeline = new LocalPipeline(cloud, STAGE);
    story = new Story(cloud.clock, (l) => lines.push(l), new Date(START));
  }, 120_000);
  afterAll(() => cloud?.stop());

  it('acts 1-4: golden-al2023 passes its gate and golden-web is rejected for its CRITICAL httpd CVE; golden-al2023 is published to two regions and the workloads account; its publication alone gets the application images built, a person approves payments-api; a second golden version gets them rebuilt; no instance left running', async () => {
    const result = await runPipelineDemo({ cloud, stage: STAGE, story });
    built = result;

    expect(result.golden).toMatchObject({
      family: 'golden-al2023',
      state: 'published',
      verdict: 'pass',
      approver: 'auto',
    });
    expect(Object.keys(result.golden.amiIds).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    // Act 1: the story's golden-web pins an httpd the feed calls CRITICAL; its gate rejects it, on its own.
    expect(result.rejectedGolden).toMatchObject({
      family: WEB,
      state: 'rejected',
      verdict: 'fail',
      findings: expect.objectContaining({ CRITICAL: 1 }),
      reason: expect.stringContaining('1 CRITICAL findings exceed the limit of 0'),
    });
    expect(result.rejectedFindings).toEqual([
      expect.objectContaining({
        vulnerabilityId: 'CVE-2024-38476',
        severity: 'CRITICAL',
        packages: [expect.objectContaining({ name: 'httpd', installed: '2.4.58-1.amzn2023' })],
      }),
    ]);
    expect(pipeline.ingested('Image Rejected', WEB)).toEqual([
      expect.objectContaining({ version: result.rejectedGolden.version, approver: { kind: 'auto' } }),
    ]);
    expect(lines).toContainEqual(
      expect.stringMatching(/golden-web \S+: REJECTED by its gate, findings CRITICAL 1: 1 CRITICAL findings/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/CVE-2024-38476 CRITICAL in httpd 2\.4\.58-1\.amzn2023/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/the rule that failed: inspect\.gate\.maxFindings CRITICAL 0.*approver auto/),
    );
    // Act 2: each region's copy, as EC2 and SSM there have it.
    for (const region of ['eu-west-1', 'eu-central-1']) {
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `${region}\\s+${result.golden.amiIds[region]}\\s+.*encrypted, shared with 222222222222, SSM /ami-lifecycle/golden-al2023/\\{latest,stable\\}`,
          ),
        ),
      );
    }
    // Act 3: payments-api wants a person to approve; the story approves it as one would with amictl.
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
    // Nobody asked for the application builds: the golden publications did, through the refresh service.
    expect(result.application.buildReason).toBe('parent-published');
    expect(result.orders.map((o) => [o.state, o.approver, o.parent?.version])).toEqual([
      ['published', 'auto', result.golden.version],
      ['published', 'auto', result.golden2.version],
    ]);
    // Act 4.
    expect(result.golden2).toMatchObject({ family: 'golden-al2023', state: 'published' });
    expect(result.golden2.version).not.toBe(result.golden.version);
    expect(result.refreshed).toMatchObject({
      family: 'payments-api',
      buildReason: 'parent-published',
      verdict: 'pass',
      state: 'rejected',
      approver: 'release-manager@example.com',
      parent: { family: 'golden-al2023', version: result.golden2.version },
    });
    expect(lines).toContainEqual(
      expect.stringContaining(
        `refresh service on payments-api: requested: golden-al2023 ${result.golden2.version} was published on stable`,
      ),
    );
    expect(result.leftRunning).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/No builder or test instance left running\.$/));
    // Every step line carries its simulated time.
    expect(lines.filter((l) => l.startsWith('[')).every((l) => /^\[day {1,2}\d+ \d\d:\d\d\] /.test(l))).toBe(
      true,
    );
  }, 180_000);

  it('act 5: a CVE added to the feed flags the current golden image vulnerable; the refresh service asks for a rebuild with reason vulnerable, which is built, inspected and rejected while the CVE has no fixed build', async () => {
    expect(built).toBeDefined();
    const result = await runVulnerableDemo({ cloud, stage: STAGE, built, story });
    vulnerable = result;
    const golden2 = built.golden2;

    expect(result.cve).toMatchObject({ vulnerabilityId: STORY_CVE.vulnerabilityId, packageName: 'sudo' });
    expect(result.event).toMatchObject({
      family: 'golden-al2023',
      version: golden2.version,
      imageId: golden2.amiIds[cloud.region],
      findings: [
        expect.objectContaining({ vulnerabilityId: STORY_CVE.vulnerabilityId, severity: 'CRITICAL' }),
      ],
    });
    expect(pipeline.ingested('Image Vulnerable', 'golden-al2023')).toHaveLength(1);
    expect(result.vulnerable).toMatchObject({
      version: golden2.version,
      state: 'published',
      vulnerable: true,
    });
    expect(result.decision).toMatchObject({
      family: 'golden-al2023',
      trigger: 'vulnerable',
      triggerKey: `vulnerable:golden-al2023@${golden2.version}`,
      outcome: 'requested',
      request: { force: true },
    });
    expect(pipeline.ingested('Build Requested', 'golden-al2023')).toContainEqual(
      expect.objectContaining({
        reason: 'vulnerable',
        idempotencyKey: result.decision.request!.idempotencyKey,
      }),
    );
    // Built and inspected: the repositories have no sudo at or above the fixed build, so its gate rejects it.
    expect(result.rebuild).toMatchObject({
      family: 'golden-al2023',
      buildReason: 'vulnerable',
      verdict: 'fail',
      state: 'rejected',
      findings: expect.objectContaining({ CRITICAL: 1 }),
    });
    expect(result.rebuildBreakers).toEqual([
      expect.objectContaining({
        vulnerabilityId: STORY_CVE.vulnerabilityId,
        packages: [expect.objectContaining({ name: 'sudo', fixedIn: expect.stringContaining('1.9.16') })],
      }),
    ]);
    expect(lines).toContainEqual(
      expect.stringContaining(`Image Vulnerable: golden-al2023 ${golden2.version}`),
    );
    expect(lines).toContainEqual(
      expect.stringContaining(`golden-al2023 ${result.rebuild.version}: REJECTED by its gate`),
    );
    expect(await pipeline.runningInstances({ 'ami-lifecycle:managed': 'true' })).toEqual([]);
  }, 120_000);

  it('act 6: the daily sweeps deprecate, disable and retire the unprotected golden-ubuntu version with its snapshots, retire the rejected images after their week, and keep what is in use, held, pointed to or a parent', async () => {
    expect(vulnerable).toBeDefined();
    const result: RetentionDemoResult = await runRetentionDemo({
      cloud,
      stage: STAGE,
      built,
      deployedAt: new Date(START),
      story,
    });

    // The preview before the first sweep sees payments-api 1.0.0 in use in the workloads account, through its role.
    expect(result.preview).toMatch(/payments-api\s+1\.0\.0\s+published\s+keep .*222222222222:instance\//);
    // The weekly re-inspection, with the CVE of act 5 in the feed, finds it in the images built on the base.
    expect(pipeline.ingested('Image Vulnerable', 'payments-api')).toContainEqual(
      expect.objectContaining({ version: built.application.version }),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/re-inspected \d+ published images .*fail: .*payments-api 1\.0\.0/),
    );
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
    // Rejected on day 1 (by a person, or by their gate), they go after their week without the published stages.
    expect(result.rejected).toMatchObject({ family: 'payments-api', state: 'retired' });
    const rejectedOnDay1 = [built.rejectedGolden, built.refreshed, vulnerable.rebuild].map(imageKey);
    for (const key of rejectedOnDay1) expect(result.sweeps.some((s) => s.retired.includes(key))).toBe(true);

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
    // What the retirements freed, as the Retention Sweep Completed events say: the roots of golden-web and
    // the golden rebuild (8 GiB each), payments-api 1.1.0 (20 GiB) and the walked-down golden-ubuntu (10 GiB).
    expect(result.sweeps[retired]!.snapshotGiBFreed).toBe(10);
    expect(result.sweeps.reduce((n, s) => n + s.snapshotGiBFreed, 0)).toBe(46);
    expect(lines).toContainEqual(expect.stringMatching(/46 GiB of snapshots freed, USD 2\.30 a month saved/));

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
    // Of every image in the catalog, only the walked-down one and those rejected on day 1 are gone.
    expect(
      result.images
        .filter((r) => r.state === 'retired')
        .map((r) => `${r.family}@${r.version}`)
        .sort(),
    ).toEqual([...rejectedOnDay1, walkedId].sort());
  }, 300_000);
});
