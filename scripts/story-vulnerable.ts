// Act 5 of `npm start`: a CVE on a published image, and the rebuild it causes. The current golden image
// (golden-al2023's second version) runs as a canary in the tooling account, where Inspector scans it. A
// CVE in its sudo is added to the local cloud's feed (`POST /_local/inspector/cves`); Inspector finds it
// on the canary at once, the inspect service's findings handling flags the image vulnerable and emits
// `Image Vulnerable`, and the refresh service requests a rebuild of golden-al2023 with reason
// `vulnerable`. The rebuild is followed through its build and inspection to whatever its gate decides,
// which the story tells from the catalog and Inspector.
import type { ImageVulnerableDetail } from '@ami-lifecycle/contracts';
import type { Image, RefreshDecision } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { Inspector2Client, ListCoverageCommand } from '@aws-sdk/client-inspector2';
import { LocalPipeline } from './local-pipeline';
import {
  decisionLine,
  followImages,
  MAX_SIMULATED_SECONDS,
  PipelineDemoError,
  type PipelineDemoResult,
  STEP_SECONDS,
  storyOf,
  tellRejection,
} from './pipeline-demo';
import { describeFinding, inspectorFindings, refreshDecisions, type StoryFinding } from './story-facts';
import { findingCounts, type Story } from './story-log';

/**
 * The advisory the story adds to the feed: the sudo of every Amazon Linux 2023 image, at the build the
 * local cloud's package repositories carry, is below its fixed build.
 */
export const STORY_CVE = {
  vulnerabilityId: 'CVE-2026-21042',
  packageName: 'sudo',
  family: 'rpm',
  fixedVersion: '1.9.16-1.amzn2023',
  severity: 'CRITICAL',
  cvssScore: 9.8,
  title: 'sudo lets a local user run commands as root through a crafted host option',
} as const;

/** How long Inspector, the inspect service and the refresh service may take to answer the CVE. */
const MAX_ANSWER_SECONDS = 1800;

export interface VulnerableDemoOptions {
  cloud: LocalCloud;
  stage?: string;
  built: PipelineDemoResult;
  log?: (line: string) => void;
  story?: Story;
}

export interface VulnerableDemoResult {
  /** The feed entry as the local cloud holds it. */
  cve: { vulnerabilityId: string; packageName: string; severity: string; fixedVersion?: string };
  /** The tooling account's canary of the published image. */
  canary: string;
  /** The published image the CVE hit, after it was flagged. */
  vulnerable: Image;
  event: ImageVulnerableDetail;
  decision: RefreshDecision;
  /** The rebuild the refresh service asked for, once its gate decided. */
  rebuild: Image;
  /** What Inspector found on the rebuild's test instance that broke its gate (none if it passed). */
  rebuildBreakers: StoryFinding[];
}

/** Act 5: a CVE on the current golden image, `Image Vulnerable`, and the rebuild the refresh service asks for. */
export const runVulnerableDemo = async (opts: VulnerableDemoOptions): Promise<VulnerableDemoResult> => {
  const { cloud } = opts;
  const story = storyOf(opts);
  const pipeline = new LocalPipeline(cloud, opts.stage);
  const target = opts.built.golden2;
  const ami = target.amiIds[cloud.region]!;
  const id = `${target.family} ${target.version}`;
  story.heading(5, 'a CVE on a published image and the rebuild it causes');

  const canary = await story.step(`a canary of ${id} scanned by Inspector`, async () => {
    const ec2 = new EC2Client(cloud.clientConfig);
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: ami,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `${target.family}-canary` }] },
        ],
      }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId;
    if (instanceId === undefined) throw new PipelineDemoError('RunInstances answered no instance');
    story.at(`${id} runs as a canary in the tooling account: ${instanceId} (${ami})`);
    const scannedAt = await untilScanned(pipeline, instanceId);
    const findings = await inspectorFindings(pipeline, {
      resourceId: [{ comparison: 'EQUALS', value: instanceId }],
      findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }],
    });
    story.at(`Inspector scanned ${instanceId}: ${findings.length} active findings`, scannedAt);
    return instanceId;
  });

  const cve = await story.step(`${STORY_CVE.vulnerabilityId} added to the CVE feed`, async () => {
    const added = await pipeline.addCve({ ...STORY_CVE, publishedAt: cloud.clock.now().toISOString() });
    const feed = await pipeline.cves();
    const entry = feed.find(
      (e) => e.vulnerabilityId === STORY_CVE.vulnerabilityId && e.packageName === STORY_CVE.packageName,
    );
    if (entry === undefined)
      throw new PipelineDemoError(`the feed does not hold ${STORY_CVE.vulnerabilityId}`);
    story.at(
      `the CVE feed gets ${entry.vulnerabilityId} (${entry.severity}, CVSS ${entry.cvssScore}): ${entry.packageName} ` +
        `below ${entry.fixedVersion ?? entry.affectsVersionsBelow} (POST /_local/inspector/cves)`,
    );
    const label = (i: string) =>
      i === canary
        ? `${i} (the canary)`
        : i === opts.built.workloadInstance
          ? `${i} (${opts.built.application.family} ${opts.built.application.version} in the workloads account)`
          : i;
    story.more(`"${entry.title}"`);
    story.more(
      `Inspector finds it at once on ${added.affectedInstances.map(label).join(', ') || 'no instance'}`,
    );
    return entry;
  });

  const { vulnerable, event } = await story.step(`Image Vulnerable for ${id}`, async () => {
    let detail: ImageVulnerableDetail | undefined;
    await pipeline.advanceUntil(
      `Image Vulnerable for ${id}`,
      async () => {
        detail = pipeline
          .ingested('Image Vulnerable', target.family)
          .find((d) => (d as ImageVulnerableDetail).version === target.version) as ImageVulnerableDetail;
        return detail !== undefined;
      },
      { maxSeconds: MAX_ANSWER_SECONDS, stepSeconds: STEP_SECONDS },
    );
    const found = await inspectorFindings(pipeline, {
      resourceId: [{ comparison: 'EQUALS', value: canary }],
      vulnerabilityId: [{ comparison: 'EQUALS', value: cve.vulnerabilityId }],
    });
    for (const f of found)
      story.at(`Inspector2 Finding on ${f.instanceId}: ${describeFinding(f)}`, detail!.occurredAt);
    const image = (await pipeline.catalog.getImage(target.family, target.version))!;
    story.at(
      `Image Vulnerable: ${id} (${detail!.imageId}) for ` +
        `${detail!.findings.map((f) => `${f.vulnerabilityId} ${f.severity}`).join(', ')}; ` +
        `findings ${findingCounts(detail!.summary)}; flagged vulnerable in the catalog: ${image.vulnerable}`,
      detail!.occurredAt,
    );
    return { vulnerable: image, event: detail! };
  });

  const decision = await story.step(`the refresh service's decision on ${id}`, async () => {
    const trigger = `vulnerable:${target.family}@${target.version}`;
    let found: RefreshDecision | undefined;
    await pipeline.advanceUntil(
      `the refresh service's decision on ${trigger}`,
      async () => {
        found = (await refreshDecisions(pipeline, target.family)).find((d) => d.triggerKey === trigger);
        return found !== undefined;
      },
      { maxSeconds: MAX_ANSWER_SECONDS, stepSeconds: STEP_SECONDS },
    );
    story.at(decisionLine(found!), found!.decidedAt);
    if (found!.outcome !== 'requested') {
      throw new PipelineDemoError(`the refresh service did not request a rebuild: ${found!.reason}`);
    }
    story.more(`Build Requested ${found!.request?.idempotencyKey} (forced: ${found!.request?.force})`);
    return found!;
  });

  const rebuild = await story.step(`the rebuild of ${target.family} decided`, async () => {
    const [image] = await followImages(
      pipeline,
      story,
      `the vulnerable rebuild of ${target.family} decided`,
      [
        async () =>
          (await pipeline.catalog.listImagesByFamily(target.family, { limit: 100 })).items.find(
            (i) => i.buildReason === 'vulnerable' && i.createdAt >= decision.decidedAt,
          ),
      ],
      MAX_SIMULATED_SECONDS,
    );
    return image!;
  });

  const rebuildBreakers = await story.step(`the outcome of ${target.family} ${rebuild.version}`, async () => {
    const breakers = rebuild.state === 'rejected' ? await tellRejection(pipeline, story, rebuild) : [];
    const now = (await pipeline.catalog.getImage(target.family, target.version))!;
    const channels = (await pipeline.catalog.listChannels(target.family))
      .filter((c) => c.version === target.version)
      .map((c) => c.name);
    story.at(
      `${id} is ${now.state}${now.vulnerable ? `, vulnerable since [${story.stamp(now.vulnerableSince!)}]` : ''}; ` +
        `channels ${channels.join(', ') || 'none'} point to it`,
    );
    return breakers;
  });

  await story.step('the canary terminated', async () => {
    await new EC2Client(cloud.clientConfig).send(new TerminateInstancesCommand({ InstanceIds: [canary] }));
    await pipeline.settle();
  });
  story.at(`the canary ${canary} is terminated; every build and inspection has ended`);
  return { cve, canary, vulnerable, event, decision, rebuild, rebuildBreakers };
};

/** Runs the clock (bounded) until Inspector has scanned the instance; answers when it did. */
const untilScanned = async (pipeline: LocalPipeline, instanceId: string): Promise<Date> => {
  const inspector = new Inspector2Client(pipeline.cloud.clientConfig);
  let scannedAt: Date | undefined;
  await pipeline.advanceUntil(
    `Inspector's first scan of ${instanceId}`,
    async () => {
      const out = await inspector.send(
        new ListCoverageCommand({
          filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: instanceId }] },
        }),
      );
      const covered = out.coveredResources?.find((r) => r.resourceId === instanceId);
      scannedAt = covered?.scanStatus?.reason === 'SUCCESSFUL' ? covered.lastScannedAt : undefined;
      return scannedAt !== undefined;
    },
    { maxSeconds: MAX_ANSWER_SECONDS, stepSeconds: STEP_SECONDS },
  );
  return scannedAt!;
};
