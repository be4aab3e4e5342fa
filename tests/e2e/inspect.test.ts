import { imageInspectionCompleted, imageVulnerable } from '@ami-lifecycle/contracts';
import type { Image } from '@ami-lifecycle/core';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import {
  catalogImage,
  executionArnOf,
  goldenAl2023,
  type InspectCloud,
  imageBuiltOf,
  ingested,
  inspectionIdOf,
  makeAmis,
  putImageBuilt,
  REGION,
  STAGE,
  startInspectCloud,
  storeFamily,
  testInstances,
  VERSION,
  withWaivers,
} from './support/inspect-cloud';

const CRITICAL_CVE = 'CVE-2024-38476';
const VULNERABLE_HTTPD = 'pkg-install httpd=2.4.58-1.amzn2023';

/**
 * The inspect service on the local cloud, started only through EventBridge: `Image Built` on our bus,
 * `Inspector2 Finding` from the Inspector2 emulator on the default bus. Each case has its own family
 * (a copy of the example's golden-al2023), so cases and other suites sharing DynamoDB Local never meet.
 */
describe('the inspect service on the local cloud', () => {
  let world: InspectCloud;
  const run = Date.now().toString(36);
  const family = {
    pass: `i${run}-pass`,
    critical: `i${run}-critical`,
    waived: `i${run}-waived`,
    expired: `i${run}-expired`,
    published: `i${run}-published`,
  };
  const ami: Record<keyof typeof family, string> = {} as Record<keyof typeof family, string>;

  beforeAll(async () => {
    world = await startInspectCloud({ dynamoDbEndpoint: dynamoDbEndpoint() });
    const golden = goldenAl2023();
    await storeFamily(world, family.pass, golden);
    await storeFamily(world, family.critical, golden);
    await storeFamily(
      world,
      family.waived,
      withWaivers(golden, [{ id: CRITICAL_CVE, expiresAt: '2026-12-31T23:59:59Z' }]),
    );
    await storeFamily(
      world,
      family.expired,
      withWaivers(golden, [{ id: CRITICAL_CVE, expiresAt: '2026-03-01T09:00:00Z' }]),
    );
    await storeFamily(world, family.published, golden);
    const keys = Object.keys(family) as (keyof typeof family)[];
    const ids = await makeAmis(
      world,
      keys.map((k) => ({
        family: family[k],
        commands: ['pass', 'published'].includes(k) ? [] : [VULNERABLE_HTTPD],
      })),
    );
    keys.forEach((k, i) => {
      ami[k] = ids[i]!;
    });
  }, 180_000);
  afterAll(() => world?.cloud.stop());

  /** Puts `Image Built` of a built catalog image on the bus and lets its inspection run to its end. */
  const inspect = async (image: Image, deliveries = 1) => {
    const detail = imageBuiltOf(world, image);
    for (let i = 0; i < deliveries; i++) await putImageBuilt(world, detail);
    await world.cloud.clock.advance(0);
    const inspectionId = inspectionIdOf(detail);
    const execution = await world.cloud.services.sfn.waitForExecution(executionArnOf(world, inspectionId), {
      maxAdvanceSeconds: 2 * 3600,
    });
    return { detail, inspectionId, execution };
  };

  const completedOf = (name: string) =>
    ingested(world, 'Image Inspection Completed', name).map((d) => imageInspectionCompleted.schema.parse(d));

  it('approves a clean candidate, terminates its test instance and emits Image Inspection Completed, once for three deliveries', async () => {
    // Arrange
    const image = await catalogImage(world, family.pass, ami.pass);

    const requestCalls = () =>
      (world.cloud.lambda?.invocations() ?? []).filter(
        (c) => c.functionName === `ami-lifecycle-${STAGE}-inspectRequest` && c.outcome === 'succeeded',
      ).length;

    // Act: two deliveries while the inspection runs, a third after it ended.
    const { detail, inspectionId, execution } = await inspect(image, 2);
    await putImageBuilt(world, detail);
    await world.cloud.clock.advance(60);

    // Assert: three deliveries, each acknowledged, one execution, one test instance, one event.
    expect(requestCalls()).toBe(3);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await world.catalog.getImage(family.pass, VERSION)).toMatchObject({
      state: 'approved',
      verdict: 'pass',
      approver: 'auto',
      findings: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 },
    });
    const instances = await testInstances(world, inspectionId);
    expect(instances).toEqual([
      expect.objectContaining({ imageId: ami.pass, httpTokens: 'required', publicIp: undefined }),
    ]);
    expect(['shutting-down', 'terminated']).toContain(instances[0]!.state);
    expect(completedOf(family.pass)).toEqual([
      expect.objectContaining({ purpose: 'candidate', verdict: 'pass', imageId: ami.pass }),
    ]);
    expect(ingested(world, 'Image Approved', family.pass)).toEqual([
      expect.objectContaining({ approver: { kind: 'auto' } }),
    ]);
    const sfn = new SFNClient(world.cloud.clientConfig);
    const executions = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: `arn:aws:states:${REGION}:${world.cloud.accounts.defaultAccountId}:stateMachine:ami-lifecycle-${STAGE}-inspect`,
      }),
    );
    expect((executions.executions ?? []).filter((e) => e.name === inspectionId)).toHaveLength(1);
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000 }),
    );
    const path = (history.events ?? [])
      .filter((e) => e.type?.endsWith('StateEntered'))
      .map((e) => e.stateEnteredEventDetails?.name);
    expect(path[0]).toBe('StartInspection');
    expect(path.slice(-3)).toEqual(['RecordVerdict', 'TerminateTestInstance', 'Inspected']);
    expect(path.length).toBeLessThanOrEqual(20);
    process.stdout.write(`inspect path: ${path.join(' -> ')}\n`);
  }, 120_000);

  it('rejects a candidate whose package has a CRITICAL CVE', async () => {
    // Arrange
    const image = await catalogImage(world, family.critical, ami.critical);

    // Act
    const { inspectionId, execution } = await inspect(image);

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(await world.catalog.getImage(family.critical, VERSION)).toMatchObject({
      state: 'rejected',
      verdict: 'fail',
      findings: expect.objectContaining({ CRITICAL: 1 }),
    });
    expect(completedOf(family.critical)).toEqual([
      expect.objectContaining({
        verdict: 'fail',
        reasons: expect.arrayContaining(['1 CRITICAL findings exceed the limit of 0']),
      }),
    ]);
    expect(ingested(world, 'Image Rejected', family.critical)).toHaveLength(1);
    expect((await testInstances(world, inspectionId)).every((i) => i.state !== 'running')).toBe(true);
  }, 120_000);

  it('passes the same CRITICAL CVE under a waiver that expires in the future', async () => {
    // Arrange
    const image = await catalogImage(world, family.waived, ami.waived);

    // Act
    const { execution } = await inspect(image);

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(await world.catalog.getImage(family.waived, VERSION)).toMatchObject({
      state: 'approved',
      verdict: 'pass',
    });
  }, 120_000);

  it('rejects it under a waiver that has expired by the simulated clock', async () => {
    // Arrange
    const image = await catalogImage(world, family.expired, ami.expired);

    // Act
    const { execution } = await inspect(image);

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(await world.catalog.getImage(family.expired, VERSION)).toMatchObject({ state: 'rejected' });
    expect(completedOf(family.expired)[0]!.reasons).toContain(
      `waiver for ${CRITICAL_CVE} has expired and excuses nothing`,
    );
  }, 120_000);

  it('flags a published image vulnerable when a CVE added to the feed hits it, and emits Image Vulnerable once', async () => {
    // Arrange: the published image runs on a workload instance that Inspector has scanned clean.
    await catalogImage(world, family.published, ami.published, 'published');
    await world.ec2.send(
      new RunInstancesCommand({
        ImageId: ami.published,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
        IamInstanceProfile: { Name: 'workload' },
      }),
    );
    await world.cloud.clock.advance(300);
    expect(await world.catalog.getImage(family.published, VERSION)).toMatchObject({ vulnerable: false });
    const addCve = (vulnerabilityId: string) =>
      fetch(`${world.cloud.endpoint}/_local/inspector/cves`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          vulnerabilityId,
          packageName: 'sudo',
          family: 'rpm',
          fixedVersion: '1.9.16-1.amzn2023',
          severity: 'CRITICAL',
          cvssScore: 9.8,
          title: 'sudo lets a local user run commands as root',
        }),
      });

    // Act
    expect((await addCve('CVE-2026-1001')).status).toBe(200);
    await world.cloud.clock.advance(60);
    expect((await addCve('CVE-2026-1002')).status).toBe(200);
    await world.cloud.clock.advance(60);

    // Assert
    expect(await world.catalog.getImage(family.published, VERSION)).toMatchObject({
      state: 'published',
      vulnerable: true,
      // Both CVEs are on record; only the first made it vulnerable, and only that one was announced.
      findings: expect.objectContaining({ CRITICAL: 2 }),
    });
    const events = ingested(world, 'Image Vulnerable', family.published).map((d) =>
      imageVulnerable.schema.parse(d),
    );
    expect(events).toEqual([
      expect.objectContaining({
        imageId: ami.published,
        findings: [expect.objectContaining({ vulnerabilityId: 'CVE-2026-1001', severity: 'CRITICAL' })],
      }),
    ]);
  }, 120_000);
});
