import { listAll } from '@ami-lifecycle/catalog';
import type { Image } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { Inspector2Client, ListFindingsCommand } from '@aws-sdk/client-inspector2';
import { isDecided, type LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { HOME, startStage } from './support/stage';

const START = '2026-03-01T09:00:00.000Z';
const GOLDEN = 'golden-al2023';
const APP = 'payments-api';
const HOUR = 3600;
/** Critical and fixable, in the Java runtime only payments-api's `java-runtime` component installs. */
const JAVA_CVE = {
  vulnerabilityId: 'CVE-2026-31337',
  packageName: 'java-21-amazon-corretto-headless',
  family: 'rpm',
  fixedVersion: '1:21.0.7+6-1.amzn2023.1',
  severity: 'CRITICAL',
  cvssScore: 9.1,
  title: 'Corretto 21 JIT miscompilation allows sandbox escape',
};

/**
 * A child image's builder runs on its parent's AMI and then installs the child's own packages: Inspector
 * lists its findings among the parent AMI's. They are the child's, not the parent's: a CVE only the child
 * installs must not flag the golden image vulnerable and have it rebuilt (and its child with it, forever).
 */
describe("the inspect service on the local cloud, with a child image's builders on a golden image", () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    ({ cloud, pipeline } = await startStage('e2e-builders', [GOLDEN, APP], START, dynamoDbEndpoint()));
  }, 120_000);
  afterAll(() => cloud?.stop());

  const images = (family: string) =>
    listAll(`images of ${family}`, (page) => pipeline.catalog.listImagesByFamily(family, page), 10);
  /** Runs the clock (bounded) until `find` answers an image. */
  const until = async (what: string, find: () => Promise<Image | undefined>, maxSeconds = 4 * HOUR) => {
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

  it('keeps the golden image un-flagged and un-rebuilt when the Java CVE is found on the payments-api builder', async () => {
    // Arrange: the CVE is in the feed from the start; the golden image has no Java, so it publishes.
    await pipeline.addCve(JAVA_CVE);
    const { buildId } = await pipeline.requestBuild(GOLDEN, 'builders-golden-1', { force: true });
    const golden = await until(`${GOLDEN} published`, async () => {
      const image = await pipeline.imageOfBuild(GOLDEN, buildId);
      return image?.state === 'published' ? image : undefined;
    });
    const goldenAmi = golden.amiIds[HOME]!;

    // Act: its publication has payments-api rebuilt on it; the builder installs Java on the golden AMI.
    const app = await until(`${APP} on ${GOLDEN}@${golden.version} decided`, async () =>
      (await images(APP)).find((i) => i.parent?.version === golden.version && isDecided(i)),
    );
    await pipeline.settle(HOUR);

    // Assert: Inspector did find the CVE on the builder, among the golden AMI's findings...
    const { findings = [] } = await new Inspector2Client(cloud.clientConfig).send(
      new ListFindingsCommand({
        filterCriteria: {
          ec2InstanceImageId: [{ comparison: 'EQUALS', value: goldenAmi }],
          vulnerabilityId: [{ comparison: 'EQUALS', value: JAVA_CVE.vulnerabilityId }],
        },
      }),
    );
    const builderTags = findings.flatMap((f) => f.resources ?? []).map((r) => r.tags ?? {});
    expect(builderTags).toContainEqual(
      expect.objectContaining({
        'ami-lifecycle:managed': 'true',
        'ami-lifecycle:family': APP,
        'ami-lifecycle:version': app.version,
      }),
    );
    // ...and on the child's own test instance, which judges the child: it is rejected for it.
    expect(app).toMatchObject({
      state: 'rejected',
      buildReason: 'parent-published',
      findings: expect.objectContaining({ CRITICAL: 1 }),
    });
    // The golden image stays clean: not flagged, no Image Vulnerable, no rebuild asked for.
    expect(await pipeline.catalog.getImage(GOLDEN, golden.version)).toMatchObject({
      state: 'published',
      vulnerable: false,
    });
    expect(pipeline.ingested('Image Vulnerable', GOLDEN)).toEqual([]);
    const goldenRequests = (pipeline.ingested('Build Requested', GOLDEN) as { idempotencyKey: string }[]).map(
      (r) => r.idempotencyKey,
    );
    expect(goldenRequests).toEqual(['builders-golden-1']);
    expect((await images(GOLDEN)).map((i) => i.version)).toEqual([golden.version]);
  }, 300_000);
});
