import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageInspectionCompleted } from '@ami-lifecycle/contracts';
import { type FamilyConfig, type Image, parsePolicy } from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { isDecided, LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';

const ROOT = join(__dirname, '..', '..');
// Its own stage: its own table and bus, apart from the other suites sharing DynamoDB Local.
const STAGE = 'e2e-pipeline';
const REGION = 'eu-west-1';
const START = '2026-03-01T09:00:00.000Z';
const CRITICAL_CVE = 'CVE-2024-38476';

/**
 * Build and inspect together, each image started by nothing but `Build Requested`: the gate judges what
 * a build component installed. The families are the example's golden-al2023 with one more component, an
 * httpd release that the Inspector2 feed knows a CRITICAL CVE in.
 */
describe('a build component that installs a vulnerable package, judged by the gate', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  const run = Date.now().toString(36);

  const withVulnerableHttpd = (waivers: { expiresAt: string }[]): FamilyConfig => {
    const policy = parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example');
    const golden = policy.families['golden-al2023']!;
    return {
      ...golden,
      build: {
        ...golden.build,
        components: [
          ...golden.build.components,
          {
            name: 'web-server',
            kind: 'application',
            commands: ['dnf -y install httpd-2.4.58-1.amzn2023'],
            timeoutSeconds: 600,
          },
        ],
      },
      inspect: {
        ...golden.inspect,
        gate: {
          ...golden.inspect.gate,
          waivers: waivers.map((w) => ({
            id: CRITICAL_CVE,
            reason: 'httpd is not exposed on these hosts',
            approvedBy: 'security@example.com',
            expiresAt: w.expiresAt,
          })),
        },
      },
    } as FamilyConfig;
  };

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      region: REGION,
      start: START,
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage: STAGE },
    });
    pipeline = new LocalPipeline(cloud, STAGE);
    // Approved images go on to be published by the publish service, which shares only where this is on.
    await pipeline.blockPublicImageSharing([REGION, 'eu-central-1']);
  }, 120_000);
  afterAll(() => cloud?.stop());

  const store = (name: string, config: FamilyConfig) => pipeline.storeFamilies({ [name]: config });

  /** `Build Requested` on the bus, then the clock runs until inspection decided (bounded). */
  const buildAndInspect = async (family: string): Promise<Image> => {
    const { buildId } = await pipeline.requestBuild(family, `pipeline-${family}`);
    const find = () => pipeline.imageOfBuild(family, buildId);
    await pipeline.advanceUntil('inspection decided', async () => isDecided(await find()), {
      maxSeconds: 3 * 3600,
    });
    // One execution of each machine: the build's named by its build id, the inspection's by family.
    const sfn = new SFNClient(cloud.clientConfig);
    for (const machine of ['build', 'inspect']) {
      const stateMachineArn = `arn:aws:states:${REGION}:${cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-${machine}`;
      const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
      const ours = (executions.executions ?? []).filter(
        (e) => e.name === buildId || e.name?.includes(family),
      );
      expect(ours).toHaveLength(1);
    }
    // The clean-up step runs after the verdict: let the executions end and the instances shut down.
    await pipeline.settle();
    return (await find())!;
  };

  /** The publish service takes an approved image on from `Image Approved`; the clock runs until it is done. */
  const untilPublished = async (image: Image): Promise<Image> => {
    const read = () => pipeline.catalog.getImage(image.family, image.version);
    await pipeline.advanceUntil('published', async () => (await read())?.state === 'published', {
      maxSeconds: 3 * 3600,
      stepSeconds: 60,
    });
    await pipeline.settle();
    return (await read())!;
  };

  const running = (family: string) => pipeline.runningInstances({ 'ami-lifecycle:family': family });

  const completed = (family: string) =>
    pipeline
      .ingested('Image Inspection Completed', family)
      .map((d) => imageInspectionCompleted.schema.parse(d));

  it('rejects the image without a waiver, naming the CRITICAL finding, and leaves no instance running', async () => {
    const family = `p${run}-critical`;
    await store(family, withVulnerableHttpd([]));

    const image = await buildAndInspect(family);

    expect(image).toMatchObject({
      state: 'rejected',
      verdict: 'fail',
      findings: expect.objectContaining({ CRITICAL: 1 }),
    });
    expect(completed(family)).toEqual([
      expect.objectContaining({
        verdict: 'fail',
        reasons: expect.arrayContaining(['1 CRITICAL findings exceed the limit of 0']),
      }),
    ]);
    expect(await running(family)).toEqual([]);
  }, 120_000);

  it('approves the same image under a waiver whose expiry is still ahead on the simulated clock, and the publish service publishes it', async () => {
    const family = `p${run}-waived`;
    await store(family, withVulnerableHttpd([{ expiresAt: '2026-12-31T23:59:59Z' }]));

    const image = await untilPublished(await buildAndInspect(family));

    expect(image).toMatchObject({ state: 'published', verdict: 'pass', approver: 'auto' });
    expect(await running(family)).toEqual([]);
  }, 120_000);

  it('rejects it under a waiver that expired before the inspection', async () => {
    const family = `p${run}-expired`;
    await store(family, withVulnerableHttpd([{ expiresAt: '2026-03-01T08:00:00Z' }]));

    const image = await buildAndInspect(family);

    expect(image).toMatchObject({ state: 'rejected', verdict: 'fail' });
    expect(completed(family)[0]?.reasons.join(' ')).toContain(`waiver for ${CRITICAL_CVE} has expired`);
    expect(await running(family)).toEqual([]);
  }, 120_000);

  it('re-inspects the published image on its schedule and flags it vulnerable once its waiver has expired', async () => {
    // Arrange: approved under a waiver that runs out four days later, then published by the publish service.
    const family = `p${run}-reinspect`;
    const expiresAt = new Date(cloud.clock.nowMillis() + 4 * 86_400_000).toISOString();
    await store(family, withVulnerableHttpd([{ expiresAt }]));
    const approved = await untilPublished(await buildAndInspect(family));
    expect(approved).toMatchObject({ state: 'published', vulnerable: false });

    // Act: days pass; the daily schedule re-inspects once the family's 7 days are up.
    const reinspections = () => completed(family).filter((d) => d.purpose === 'reinspection');
    await pipeline.advanceUntil('a re-inspection', async () => reinspections().length > 0, {
      maxSeconds: 10 * 86_400,
      stepSeconds: 6 * 3600,
    });
    await pipeline.settle();

    // Assert: judged against today's clock, the waiver no longer excuses the CVE; the image stays
    // published, now flagged, with one Image Vulnerable; the test instance is gone.
    const image = (await pipeline.catalog.getImage(family, approved.version))!;
    expect(image).toMatchObject({ state: 'published', vulnerable: true });
    expect(reinspections()).toEqual([
      expect.objectContaining({
        verdict: 'fail',
        reasons: expect.arrayContaining([expect.stringContaining('has expired')]),
      }),
    ]);
    expect(pipeline.ingested('Image Vulnerable', family)).toHaveLength(1);
    expect(await running(family)).toEqual([]);
  }, 180_000);

  it('fails a candidate whose inspection was stopped midway, on the hourly repair, and reaps its test instance', async () => {
    // Arrange: a clean build; once its inspection is under way, the execution is stopped by hand, so
    // neither its verdict step nor its Catch path will ever run.
    const family = `p${run}-stopped`;
    await store(family, withVulnerableHttpd([{ expiresAt: '2026-12-31T23:59:59Z' }]));
    const { buildId } = await pipeline.requestBuild(family, `pipeline-${family}`);
    await pipeline.advanceUntil(
      'inspection under way',
      async () => (await pipeline.imageOfBuild(family, buildId))?.state === 'inspecting',
      { maxSeconds: 3 * 3600 },
    );
    const sfn = new SFNClient(cloud.clientConfig);
    const stateMachineArn = `arn:aws:states:${REGION}:${cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-inspect`;
    const [execution] = (
      await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }))
    ).executions!.filter((e) => e.name?.includes(family));
    await sfn.send(
      new StopExecutionCommand({ executionArn: execution!.executionArn, cause: 'stopped by hand' }),
    );
    await pipeline.advanceUntil('a test instance running', async () => (await running(family)).length > 0, {
      maxSeconds: 600,
    });

    // Act: hours pass.
    await pipeline.advanceUntil(
      'the stuck inspection failed',
      async () => (await pipeline.imageOfBuild(family, buildId))?.state === 'failed',
      { maxSeconds: 4 * 3600, stepSeconds: 600 },
    );
    await pipeline.advanceUntil(
      'its test instance reaped',
      async () => (await running(family)).length === 0,
      {
        maxSeconds: 2 * 3600,
        stepSeconds: 600,
      },
    );

    // Assert
    const image = (await pipeline.imageOfBuild(family, buildId))!;
    expect(image.reason).toContain('no verdict');
    expect(completed(family)).toEqual([
      expect.objectContaining({ verdict: 'fail', reasons: [image.reason] }),
    ]);
  }, 180_000);

  it("called no AWS action, over the builds and inspections above, that the calling function's iamRoleStatements do not allow", () => {
    // Both services' functions made calls (the check is not vacuous when run after the cases above).
    const callers = [...cloud.lambda!.awsCalls().keys()];
    expect(callers.some((f) => f.endsWith('-createBuildImage'))).toBe(true);
    expect(callers.some((f) => f.endsWith('-inspectRecordVerdict'))).toBe(true);
    expect(cloud.lambda!.undeclaredActions()).toEqual([]);
  });
});
