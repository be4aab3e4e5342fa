import { listAll } from '@ami-lifecycle/catalog';
import type { Image } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { amictlOn } from '../../scripts/amictl-on';
import { isDecided, type LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { HOME, startStage } from './support/stage';

const START = '2026-03-01T09:00:00.000Z';
const GOLDEN = 'golden-al2023';
const HOUR = 3600;

/**
 * The refresh service on the local cloud: nothing but a golden `Build Requested` and a person's approval,
 * and the application images follow their base; an image that turns vulnerable is rebuilt once.
 */
describe('the refresh service on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let amictl: ReturnType<typeof amictlOn>;
  let v1: Image;
  let v2: Image;

  beforeAll(async () => {
    ({ cloud, pipeline } = await startStage(
      'e2e-refresh',
      [GOLDEN, 'payments-api', 'orders-worker'],
      START,
      dynamoDbEndpoint(),
    ));
    amictl = amictlOn(pipeline, HOME);
  }, 120_000);
  afterAll(() => cloud?.stop());

  const images = (family: string) =>
    listAll(`images of ${family}`, (page) => pipeline.catalog.listImagesByFamily(family, page), 10);
  const builtOn = async (family: string, parent: Image) =>
    (await images(family)).filter((i) => i.parent?.version === parent.version);
  /** Runs the clock (bounded) until `find` answers an image. */
  const until = async (
    what: string,
    find: () => Promise<Image | undefined>,
    maxSeconds = 6 * HOUR,
  ): Promise<Image> => {
    let found: Image | undefined;
    await pipeline.advanceUntil(
      what,
      async () => {
        found = await find();
        return found !== undefined;
      },
      { maxSeconds, stepSeconds: 60 },
    );
    return found!;
  };
  const publishedGolden = async (key: string) => {
    const { buildId } = await pipeline.requestBuild(GOLDEN, key, { force: true });
    return until(`${GOLDEN} ${key} published`, async () => {
      const image = await pipeline.imageOfBuild(GOLDEN, buildId);
      return image?.state === 'published' ? image : undefined;
    });
  };
  const requested = () =>
    pipeline.ingested('Build Requested') as { family: string; idempotencyKey: string }[];

  it('builds payments-api on golden v1 with no command; a person approves it; golden v2 gets it rebuilt on v2 within an hour', async () => {
    v1 = await publishedGolden('refresh-golden-1');

    // No command: the publication of v1 on stable is what asks for payments-api.
    const first = await until('payments-api on v1 decided', async () =>
      (await builtOn('payments-api', v1)).find(isDecided),
    );
    expect(first).toMatchObject({
      state: 'inspecting',
      verdict: 'pass',
      buildReason: 'parent-published',
      parent: { family: GOLDEN, version: v1.version, amiId: v1.amiIds[HOME] },
    });
    const approve = await amictl(
      'approve',
      'payments-api',
      first.version,
      '--reason',
      'signed off',
      '--by',
      'alice@example.com',
    );
    expect(approve.code).toBe(0);
    await until('payments-api on v1 published', async () => {
      const image = await pipeline.catalog.getImage('payments-api', first.version);
      return image?.state === 'published' ? image : undefined;
    });

    v2 = await publishedGolden('refresh-golden-2');
    const second = await until(
      'payments-api on v2 started',
      async () => (await builtOn('payments-api', v2))[0],
      HOUR,
    );

    expect(Date.parse(second.createdAt) - Date.parse(v2.publishedAt!)).toBeLessThanOrEqual(HOUR * 1000);
    expect(second).toMatchObject({ buildReason: 'parent-published', parent: { version: v2.version } });
    const shown = await amictl('image', 'show', 'payments-api', second.version, '--json');
    expect(JSON.parse(shown.out)).toMatchObject({
      parent: { family: GOLDEN, version: v2.version, amiId: v2.amiIds[HOME] },
      buildReason: 'parent-published',
    });
    // orders-worker builds on latest, which moved too; golden-al2023 itself is never rebuilt by it.
    expect(await builtOn('orders-worker', v2)).toHaveLength(1);
    expect((await images(GOLDEN)).filter((i) => i.buildReason === 'parent-published')).toEqual([]);
  }, 600_000);

  it('rebuilds once per family for an Image Published delivered three times, not a family on another channel, and is quiet for six hours', async () => {
    // Arrange: the v2 publication goes on the bus twice more.
    const event = pipeline
      .ingested('Image Published', GOLDEN)
      .find((d) => (d as { version: string }).version === v2.version)!;
    await pipeline.put('Image Published', event);
    await pipeline.put('Image Published', event);
    await cloud.clock.advance(30 * 60);

    // Assert: one build per family on v2.
    expect(await builtOn('payments-api', v2)).toHaveLength(1);
    expect(await builtOn('orders-worker', v2)).toHaveLength(1);
    const keys = new Set(requested().map((r) => `${r.family} ${r.idempotencyKey}`));
    expect([...keys].filter((k) => k.includes(`${GOLDEN}@${v2.version}`)).sort()).toEqual([
      `orders-worker refresh:orders-worker:parent-published:${GOLDEN}@${v2.version}`,
      `payments-api refresh:payments-api:parent-published:${GOLDEN}@${v2.version}`,
    ]);

    // Act: stable is rolled back to v1; latest stays on v2.
    const ordersBefore = (await images('orders-worker')).length;
    const rollback = await amictl(
      'channel',
      'rollback',
      GOLDEN,
      'stable',
      '--reason',
      'v2 breaks payments',
      '--by',
      'bob',
    );
    expect(rollback.code).toBe(0);
    await cloud.clock.advance(30 * 60);

    // Assert: payments-api (stable) is considered and already has its image on v1; orders-worker
    // (latest) is not considered at all.
    const decisions = async (family: string) =>
      (await pipeline.catalog.listRefreshDecisions(family, { limit: 50 })).items;
    const rolledBack = (await decisions('payments-api')).find((d) => d.triggerKey.includes('channel-moved'));
    expect(rolledBack).toMatchObject({ outcome: 'skipped', skip: 'build-key-unchanged' });
    expect((await decisions('orders-worker')).filter((d) => d.triggerKey.includes('channel-moved'))).toEqual(
      [],
    );
    expect(await images('orders-worker')).toHaveLength(ordersBefore);

    // Six quiet hours: nothing else is asked for.
    const before = requested().length;
    const counts = async () =>
      (await Promise.all([GOLDEN, 'payments-api', 'orders-worker'].map(images))).map((l) => l.length);
    const imagesBefore = await counts();
    for (let h = 0; h < 6; h++) await cloud.clock.advance(HOUR);
    expect(requested()).toHaveLength(before);
    expect(await counts()).toEqual(imagesBefore);
  }, 300_000);

  it('rebuilds golden-al2023 once when a new critical CVE hits its current image running in an instance', async () => {
    // Arrange: a workload runs golden v2 (latest); Inspector has scanned it.
    await new EC2Client(cloud.clientConfig).send(
      new RunInstancesCommand({
        ImageId: v2.amiIds[HOME],
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
      }),
    );
    await cloud.clock.advance(600);

    // Act: a critical CVE on sudo, fixed in a version the image does not have.
    const added = await fetch(`${cloud.endpoint}/_local/inspector/cves`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        vulnerabilityId: 'CVE-2026-4242',
        packageName: 'sudo',
        family: 'rpm',
        fixedVersion: '1.9.16-1.amzn2023',
        severity: 'CRITICAL',
        cvssScore: 9.8,
        title: 'sudo lets a local user run commands as root',
      }),
    });
    expect(added.status).toBe(200);

    // Assert: flagged, then rebuilt with reason vulnerable.
    const rebuilt = await until('a vulnerable rebuild of golden-al2023', async () =>
      (await images(GOLDEN)).find((i) => i.buildReason === 'vulnerable'),
    );
    expect(await pipeline.catalog.getImage(GOLDEN, v2.version)).toMatchObject({ vulnerable: true });
    const vulnerable = pipeline.ingested('Image Vulnerable', GOLDEN);
    expect(vulnerable).toHaveLength(1);

    // Once: the event again, and a day of schedules, ask for nothing more.
    await pipeline.put('Image Vulnerable', vulnerable[0]!);
    await pipeline.advanceUntil(
      'the rebuild decided',
      async () => isDecided(await pipeline.catalog.getImage(GOLDEN, rebuilt.version)),
      {
        maxSeconds: 6 * HOUR,
        stepSeconds: 60,
      },
    );
    for (let h = 0; h < 24; h++) await cloud.clock.advance(HOUR);
    expect((await images(GOLDEN)).filter((i) => i.buildReason === 'vulnerable')).toHaveLength(1);
    const keys = requested()
      .filter((r) => r.family === GOLDEN && r.idempotencyKey.startsWith(`refresh:${GOLDEN}:vulnerable:`))
      .map((r) => r.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set([`refresh:${GOLDEN}:vulnerable:${GOLDEN}@${v2.version}`]));
  }, 600_000);
});
