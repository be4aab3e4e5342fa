// Act 6 of `npm start`: weeks pass, and the deployed decommission service retires the images the acts
// before built, and nothing else. golden-ubuntu gets five versions, two more than the newest three its
// policy keeps, and a legal hold is put on the oldest. Then the days pass on the simulated clock. Every
// day, at the time of day the stage was deployed, the `decommissionStart` schedule starts the
// decommission state machine, which reads every region and account, plans, stores the plan and acts on
// it. The first sweep under the policy only plans; the next ones retire the rejected images once their
// week is over, and walk the unprotected golden-ubuntu version down: deprecated, disabled five days
// later, retired with its snapshots five days after that. Every image that is in use, held, pointed to
// by a channel or the parent of an image that stays is kept, with its reasons.
//
// The retention is the example policy's with that of two families shortened, stored as their next config
// version (see `demoRetention`): every simulated day costs the daily schedules' real time, and the
// example's two fortnights of grace would more than double the run.
import { readFileSync } from 'node:fs';
import { listAll } from '@ami-lifecycle/catalog';
import type { RetentionShowView } from '@ami-lifecycle/cli';
import type { ImageVulnerableDetail } from '@ami-lifecycle/contracts';
import {
  DAY_MS,
  type FamilyConfig,
  type Image,
  type ImageDecision,
  imageKey,
  type Policy,
  parsePolicy,
  type Reason,
} from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { amictlOn } from './amictl-on';
import { isDecided, LocalPipeline } from './local-pipeline';
import {
  decisionLine,
  EXAMPLE_POLICY,
  operator,
  PipelineDemoError,
  type PipelineDemoResult,
  STEP_SECONDS,
  storyOf,
} from './pipeline-demo';
import { findingCounts, type Story, table } from './story-log';

const GOLDEN = 'golden-al2023';
const UBUNTU = 'golden-ubuntu';
/** Two more than the newest three golden-ubuntu keeps: one to hold, one to walk down. */
const UBUNTU_VERSIONS = 5;
/** Pages of a catalog listing the end-of-story table reads at most. */
const MAX_PAGES = 50;
/** Daily sweeps the story waits at most for the walked-down image to be retired. */
const MAX_SWEEPS = 45;
/** How far the clock may run for the golden-ubuntu builds before the run is called failed. */
const MAX_BUILD_SECONDS = 6 * 3600;
const APPROVER = 'platform-lead@example.com';

export interface RetentionDemoOptions {
  cloud: LocalCloud;
  /** The stage serverless.yml was deployed with: it names the table and the bus. */
  stage?: string;
  /** When serverless.yml was deployed: the daily schedules fire at this time of day. */
  deployedAt: Date;
  /** What acts 1 to 4 built: payments-api 1.0.0 runs in the workloads account, 1.1.0 was rejected by a person. */
  built: PipelineDemoResult;
  policyPath?: string;
  log?: (line: string) => void;
  story?: Story;
}

/** One daily sweep: its stored plan and what its actions came to (`amictl retention show`). */
export interface SweepReport {
  sweepId: string;
  /** Planned only: the first sweep under a new policy acts on nothing. */
  withheld: boolean;
  guard: 'ok' | 'tripped';
  /** `family@version` of the images the sweep moved, by the stage they reached. */
  deprecated: string[];
  disabled: string[];
  retired: string[];
  kept: number;
  /** The reason codes of every image the sweep kept, by `family@version`. */
  keptCodes: Record<string, string[]>;
  /** From the sweep's `Retention Sweep Completed` events, every family's added up. */
  snapshotGiBFreed: number;
  monthlyCostSavedUsd: number;
}

/** An image at the end: its state in the catalog and the last decision a sweep took on it. */
export interface ImageRow {
  family: string;
  version: string;
  state: string;
  decision?: string;
  /** Reason codes of that decision, each once. */
  codes: string[];
  reasons: Reason[];
  sweepId?: string;
}

export interface RetentionDemoResult {
  sweeps: SweepReport[];
  images: ImageRow[];
  /** The golden-ubuntu versions built for the story, oldest first: the first is held, the second walked down. */
  ubuntu: Image[];
  /** payments-api 1.1.0, rejected by a person. */
  rejected: Image;
  /** What `amictl retention plan` previewed before the first sweep. */
  preview: string;
  /** AMIs and snapshots of retired images still in EC2 (none, when all is well). */
  left: string[];
}

/** Builds golden-ubuntu, puts the hold, previews retention, then lets the daily sweeps run. */
export const runRetentionDemo = async (opts: RetentionDemoOptions): Promise<RetentionDemoResult> => {
  const { cloud, built } = opts;
  const story = storyOf(opts);
  const pipeline = new LocalPipeline(cloud, opts.stage);
  const amictl = amictlOn(pipeline, cloud.region);
  const path = opts.policyPath ?? EXAMPLE_POLICY;
  const policy = parsePolicy(readFileSync(path, 'utf8'), path);
  story.heading(6, 'weeks pass: the daily retention sweeps');
  const families = demoRetention(policy);
  await story.step("the story's retention stored", () => pipeline.storeFamilies(families));
  const [golden, was] = [families[GOLDEN]!.retention, policy.families[GOLDEN]!.retention];
  const [ubuntuRetention, ubuntuWas] = [families[UBUNTU]!.retention, policy.families[UBUNTU]!.retention];
  story.at(
    "the story's retention, stored as two families' next config version (the policy file stays as it is):",
  );
  story.more(
    `${GOLDEN} keeps its newest ${golden.keepLatest} and counts a launch as use for ` +
      `${golden.inUseGraceDays} days (the example: ${was.keepLatest} and ${was.inUseGraceDays})`,
  );
  story.more(
    `${UBUNTU} disables an image ${ubuntuRetention.disableAfterDeprecatedDays} days after deprecating it and ` +
      `retires it ${ubuntuRetention.retireAfterDisabledDays} days later (the example: ` +
      `${ubuntuWas.disableAfterDeprecatedDays} and ${ubuntuWas.retireAfterDisabledDays}); it keeps its newest ` +
      `${ubuntuRetention.keepLatest}`,
  );
  story.at(`${UBUNTU}, the Ubuntu base, gets ${UBUNTU_VERSIONS} versions today; a person approves each:`);
  const ubuntu = await story.step(`${UBUNTU} built ${UBUNTU_VERSIONS} times`, () =>
    buildUbuntu(pipeline, story),
  );
  const [held, walked] = ubuntu as [Image, Image];

  const hold = await amictl(
    'hold',
    'add',
    '--image',
    `${UBUNTU}@${held.version}`,
    '--reason',
    'evidence for the incident review',
    '--owner',
    'security@example.com',
    '--ticket',
    'SEC-1042',
  );
  if (hold.code !== 0) throw new PipelineDemoError(`amictl hold add failed: ${hold.err}`);
  story.at(`legal hold (amictl hold add): ${hold.out.split('\n')[0]}`);

  const rejected =
    (await pipeline.catalog.getImage(built.refreshed.family, built.refreshed.version)) ?? built.refreshed;
  const preview = await story.step('retention previewed', () => amictl('retention', 'plan'));
  if (preview.code !== 0) throw new PipelineDemoError(`amictl retention plan failed: ${preview.err}`);
  tellPreview(story, preview.out, built);

  story.note(
    `Every day at ${opts.deployedAt.toISOString().slice(11, 16)} UTC the decommissionStart schedule starts the ` +
      'decommission state machine (sweep-<date>); what each sweep did, from amictl retention show:',
  );
  const sweeps: SweepReport[] = [];
  const happenings = new Happenings(pipeline, story);
  await happenings.start();
  const last = new Map<string, { decision: ImageDecision; sweepId: string }>();
  const shownCodes = new Map<string, string>();
  for (let day = 1; ; day++) {
    if (day > MAX_SWEEPS) {
      throw new PipelineDemoError(
        `${UBUNTU} ${walked.version} was not retired within ${MAX_SWEEPS} daily sweeps`,
      );
    }
    const at = opts.deployedAt.getTime() + day * DAY_MS;
    const view = await story.step(`the daily sweep ${new Date(at).toISOString().slice(0, 10)}`, async () => {
      const sweepId = await pipeline.dailySweep(at);
      const shown = await amictl('retention', 'show', sweepId, '--json');
      if (shown.code !== 0)
        throw new PipelineDemoError(`amictl retention show ${sweepId} failed: ${shown.err}`);
      return JSON.parse(shown.out) as RetentionShowView;
    });
    await happenings.tell(view.plan.generatedAt);
    const report = sweepReport(view, pipeline.ingested('Retention Sweep Completed'));
    sweeps.push(report);
    for (const d of view.plan.decisions) last.set(imageKey(d), { decision: d, sweepId: view.plan.sweepId });
    logSweep(story, view, report, shownCodes);
    if ((await pipeline.catalog.getImage(UBUNTU, walked.version))?.state === 'retired') break;
  }

  await happenings.tell(cloud.clock.now().toISOString());
  const images = await imageRows(pipeline, last);
  story.at('the images now (state from the catalog, why from the last decision a sweep took):');
  for (const line of table(
    ['FAMILY', 'VERSION', 'STATE', 'WHY'],
    images.map((r) => [r.family, r.version, r.state, why(r)]),
  ))
    story.more(line);
  // The four ways an image outlives its policy, each in the words of the last plan.
  const workloads = Object.values(policy.accounts).find((a) => a.roleArn !== undefined)?.id ?? '';
  const kept: [Image, string][] = [
    [built.application, 'in-use'],
    [held, 'held'],
    [ubuntu.at(-1)!, 'channel-target'],
    [built.golden, 'parent-of-kept'],
  ];
  story.note('Why some of them stay, in the words of the last plan:');
  for (const [image, code] of kept) {
    const row = images.find((r) => r.family === image.family && r.version === image.version);
    const said = row?.reasons.filter((r) => r.code === code) ?? [];
    const reason = said.find((r) => workloads !== '' && r.message.includes(`:${workloads}:`)) ?? said[0];
    story.more(
      `${image.family} ${image.version}: ${reason ? `${code}: ${shorten(reason.message)}` : `not ${code} (${row?.codes.join(', ') ?? 'not seen'})`}`,
    );
  }

  const left = await leftInEc2(pipeline, images);
  story.note('What the retirements removed (Image Retired):');
  for (const event of pipeline.ingested('Image Retired')) {
    const e = event as {
      family: string;
      version: string;
      imageId: string;
      deletedSnapshotIds: string[];
      occurredAt: string;
    };
    story.at(
      `${e.family} ${e.version}: ${e.imageId} deregistered, snapshots ${e.deletedSnapshotIds.join(', ') || 'none'} deleted`,
      e.occurredAt,
    );
  }
  const gib = sweeps.reduce((n, s) => n + s.snapshotGiBFreed, 0);
  const usd = sweeps.reduce((n, s) => n + s.monthlyCostSavedUsd, 0);
  story.at(
    `Retention Sweep Completed, over ${sweeps.length} daily sweeps: ${gib} GiB of snapshots freed, ` +
      `USD ${usd.toFixed(2)} a month saved. ${left.length === 0 ? 'Nothing of the retired images is left in EC2.' : `Still in EC2: ${left.join(', ')}`}`,
  );
  const final = await Promise.all(ubuntu.map((i) => pipeline.catalog.getImage(i.family, i.version)));
  return {
    sweeps,
    images,
    ubuntu: final.map((i, n) => i ?? ubuntu[n]!),
    rejected: (await pipeline.catalog.getImage(rejected.family, rejected.version)) ?? rejected,
    preview: preview.out,
    left,
  };
};

/** A reason's message cut to a readable length: the in-use ones list every user of every copy. */
const shorten = (message: string, max = 160): string =>
  message.length <= max ? message : `${message.slice(0, max - 3)}...`;

/**
 * What `amictl retention plan` previews before the first sweep, in a few lines: its summary and
 * withheld notes, and the workloads account's use of payments-api as the inventory saw it.
 */
const tellPreview = (story: Story, out: string, built: PipelineDemoResult): void => {
  const lines = out.split('\n');
  const summary = lines.find((l) => l.startsWith('decisions:')) ?? 'no summary';
  const withheld = lines.filter((l) => l.startsWith('withheld:')).length;
  story.at(
    `retention previewed (amictl retention plan, from live inventory; nothing stored): ${summary.replace('decisions: ', '')}` +
      (withheld > 0 ? `; withheld for ${withheld} families: the first sweep under a policy only plans` : ''),
  );
  const app = lines.find((l) =>
    new RegExp(`^${built.application.family}\\s+${built.application.version.replaceAll('.', '\\.')}\\s`).test(
      l,
    ),
  );
  const use = app?.match(/in use by (arn:aws:ec2:[^,;]*:instance\/[^,;\s]+)/)?.[1];
  if (app !== undefined) {
    story.more(
      `${built.application.family} ${built.application.version}: ${app.split(/\s{2,}/)[3] ?? '?'}` +
        (use ? `, in use by ${use} (seen through the workloads account's role)` : ''),
    );
  }
};

/**
 * What the services did on their own while the days passed, told before each sweep: the weekly
 * re-inspections of published images, `Image Vulnerable`, the refresh service's decisions and the builds
 * they asked for, once decided. Only what happened after `start` and by the time `tell` is given.
 */
class Happenings {
  private readonly known = new Set<string>();
  private readonly vulnerable = new Set<string>();
  private readonly decisions = new Set<string>();
  private reinspected = 0;

  constructor(
    private readonly pipeline: LocalPipeline,
    private readonly story: Story,
  ) {}

  private async families(): Promise<string[]> {
    return (
      await listAll('family configs', (page) => this.pipeline.catalog.listFamilyConfigs(page), MAX_PAGES)
    ).map((c) => c.family);
  }

  /** Everything up to now is the story so far: only what comes later is told. */
  async start(): Promise<void> {
    for (const family of await this.families()) {
      for (const image of (await this.pipeline.catalog.listImagesByFamily(family, { limit: 100 })).items)
        this.known.add(imageKey(image));
      for (const d of (await this.pipeline.catalog.listRefreshDecisions(family, { limit: 100 })).items)
        this.decisions.add(`${d.family} ${d.triggerKey}`);
    }
    for (const e of this.pipeline.ingested('Image Vulnerable')) this.vulnerable.add(imageKey(e as Image));
    this.reinspected = this.reinspections().length;
  }

  private reinspections() {
    return this.pipeline
      .ingested('Image Inspection Completed')
      .filter((e) => (e as { purpose: string }).purpose === 'reinspection') as {
      family: string;
      version: string;
      verdict: string;
      reasons: string[];
      occurredAt: string;
    }[];
  }

  /** `Image Vulnerable` events up to `until` not told yet, one per image. */
  private newVulnerable(until: string): ImageVulnerableDetail[] {
    const seen = new Set(this.vulnerable);
    return (this.pipeline.ingested('Image Vulnerable') as ImageVulnerableDetail[]).filter((e) => {
      const key = imageKey(e);
      if (seen.has(key) || e.occurredAt > until) return false;
      seen.add(key);
      return true;
    });
  }

  /** Tells, in the order they happened, what happened up to `until` and was not told yet. */
  async tell(until: string): Promise<void> {
    const items: { at: string; line: string }[] = [];
    const done = this.reinspections();
    const fresh = done.slice(this.reinspected).filter((e) => e.occurredAt <= until);
    this.reinspected += fresh.length;
    if (fresh.length > 0) {
      const failed = fresh.filter((e) => e.verdict === 'fail');
      items.push({
        // Told before the Image Vulnerable events its failures raise, which come a moment before it ends.
        at: [fresh[0]!.occurredAt, ...this.newVulnerable(until).map((e) => e.occurredAt)].sort()[0]!,
        line:
          `re-inspected ${fresh.length} published images (a new test instance each, today's CVE feed): ` +
          `${fresh.length - failed.length} pass` +
          (failed.length > 0
            ? `; fail: ${failed.map((e) => `${e.family} ${e.version}`).join(', ')} (${failed[0]!.reasons[0]})`
            : ''),
      });
    }
    for (const e of this.newVulnerable(until)) {
      this.vulnerable.add(imageKey(e));
      items.push({
        at: e.occurredAt,
        line: `Image Vulnerable: ${e.family} ${e.version} (${e.imageId}) for ${e.findings.map((f) => `${f.vulnerabilityId} ${f.severity}`).join(', ')}`,
      });
    }
    for (const family of await this.families()) {
      for (const d of (await this.pipeline.catalog.listRefreshDecisions(family, { limit: 100 })).items) {
        const key = `${d.family} ${d.triggerKey}`;
        if (this.decisions.has(key) || d.decidedAt > until) continue;
        this.decisions.add(key);
        items.push({ at: d.decidedAt, line: decisionLine(d) });
      }
      for (const image of (await this.pipeline.catalog.listImagesByFamily(family, { limit: 100 })).items) {
        const key = imageKey(image);
        if (this.known.has(key) || !isDecided(image) || image.stateChangedAt > until) continue;
        this.known.add(key);
        items.push({
          at: image.stateChangedAt,
          line:
            `${image.family} ${image.version} (reason ${image.buildReason}` +
            `${image.parent ? `, on ${image.parent.family} ${image.parent.version}` : ''}): ${image.state}, ` +
            `verdict ${image.verdict ?? 'none'}: ${image.reason ?? ''}`,
        });
      }
    }
    for (const item of items.sort((a, b) => a.at.localeCompare(b.at))) this.story.at(item.line, item.at);
  }
}

/**
 * The example's families with a shorter retention for two of them. golden-al2023 keeps only its newest
 * version and counts a launch as use for three days (the example: 5 versions, 30 days), so once the
 * builds of its children are three days old its older version is past its policy and stays only as the
 * parent of images that stay. golden-ubuntu disables a deprecated image after five days and retires it
 * five days later (the example: 14 days each), so its walk down takes two weeks of daily sweeps, not five.
 */
const demoRetention = (policy: Policy): Record<string, FamilyConfig> => {
  const golden = policy.families[GOLDEN];
  const ubuntu = policy.families[UBUNTU];
  if (golden === undefined || ubuntu === undefined)
    throw new PipelineDemoError(`the policy has no ${GOLDEN} or no ${UBUNTU} family`);
  return {
    [GOLDEN]: {
      ...golden,
      retention: { ...golden.retention, keepLatest: 1, retainAtLeast: 1, inUseGraceDays: 3 },
    },
    [UBUNTU]: {
      ...ubuntu,
      retention: { ...ubuntu.retention, disableAfterDeprecatedDays: 5, retireAfterDisabledDays: 5 },
    },
  };
};

/**
 * golden-ubuntu built UBUNTU_VERSIONS times: each request waits until the one before has taken its
 * version (requests of one family at the same instant race for it), the builds and inspections then run
 * side by side. Each is approved, as a person does with amictl, and published before the next one is:
 * publications of one family at once would contend for its channel's SSM parameter.
 */
const buildUbuntu = async (pipeline: LocalPipeline, story: Story): Promise<Image[]> => {
  const builds: string[] = [];
  for (let n = 1; n <= UBUNTU_VERSIONS; n++) {
    const { buildId } = await pipeline.requestBuild(UBUNTU, `demo-ubuntu-${n}`, {
      requestedBy: 'npm-start',
      // The same source and config each time: without force the next request would be a duplicate.
      force: true,
    });
    await pipeline.advanceUntil(
      `${UBUNTU} build ${n} started`,
      async () => (await pipeline.imageOfBuild(UBUNTU, buildId)) !== undefined,
      { maxSeconds: 3600, stepSeconds: STEP_SECONDS },
    );
    builds.push(buildId);
  }
  let images: (Image | undefined)[] = [];
  await pipeline.advanceUntil(
    `${UBUNTU} builds inspected`,
    async () => {
      images = await Promise.all(builds.map((b) => pipeline.imageOfBuild(UBUNTU, b)));
      return images.every(isDecided);
    },
    {
      maxSeconds: MAX_BUILD_SECONDS,
      stepSeconds: STEP_SECONDS,
      describe: async () => images.map((i) => `${i?.version ?? '?'} ${i?.state ?? 'no image'}`).join(', '),
    },
  );
  const decided = (images as Image[]).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const published: Image[] = [];
  for (const candidate of decided) {
    if (candidate.verdict !== 'pass' || candidate.state !== 'inspecting') {
      throw new PipelineDemoError(
        `${UBUNTU} ${candidate.version} ended ${candidate.state}: ${candidate.reason ?? 'no verdict'}`,
      );
    }
    await operator(pipeline, [
      'approve',
      UBUNTU,
      candidate.version,
      '--by',
      APPROVER,
      '--reason',
      'Ubuntu base signed off',
    ]);
    let image: Image | undefined;
    await pipeline.advanceUntil(
      `${UBUNTU} ${candidate.version} published`,
      async () => {
        image = await pipeline.catalog.getImage(UBUNTU, candidate.version);
        return image?.state === 'published';
      },
      { maxSeconds: 3600, stepSeconds: STEP_SECONDS, describe: async () => image?.state ?? 'no image' },
    );
    published.push(image!);
    story.at(
      `${UBUNTU} ${candidate.version}: ${image!.amiIds[pipeline.cloud.region]}, verdict ${candidate.verdict} ` +
        `(findings ${findingCounts(candidate.findings)}), approved by ${image!.approver}, published`,
      image!.publishedAt,
    );
  }
  const channels = await pipeline.catalog.listChannels(UBUNTU);
  story.more(`channels: ${channels.map((c) => `${c.name} -> ${c.version}`).join(', ')}`);
  return published;
};

const sweepReport = (view: RetentionShowView, completed: readonly unknown[]): SweepReport => {
  const { plan, actions } = view;
  const done = (decision: string) =>
    actions.filter((a) => a.decision === decision && a.done).map((a) => `${a.family}@${a.version}`);
  const events = completed.filter((d) => (d as { sweepId: string }).sweepId === plan.sweepId) as {
    snapshotGiBFreed: number;
    monthlyStorageCostSaved: { amount: number };
  }[];
  return {
    sweepId: plan.sweepId,
    withheld: (plan.withheld ?? []).length > 0,
    guard: plan.guard.status,
    deprecated: done('deprecate'),
    disabled: done('disable'),
    retired: done('retire'),
    kept: plan.summary.keep,
    keptCodes: Object.fromEntries(
      plan.decisions.filter((d) => d.decision === 'keep').map((d) => [imageKey(d), codesOf(d)]),
    ),
    snapshotGiBFreed: events.reduce((n, e) => n + e.snapshotGiBFreed, 0),
    // Cents, as the events carry them: a sum of floats would print as 0.30000000000000004.
    monthlyCostSavedUsd:
      Math.round(events.reduce((n, e) => n + e.monthlyStorageCostSaved.amount, 0) * 100) / 100,
  };
};

const codesOf = (d: ImageDecision): string[] => [...new Set(d.reasons.map((r) => r.code))];

/**
 * One line per sweep (day, counts, what moved, what it freed), then the kept images whose reasons are new
 * or changed since the sweep before: the first sweep lists them all.
 */
const logSweep = (
  story: Story,
  view: RetentionShowView,
  report: SweepReport,
  shownCodes: Map<string, string>,
): void => {
  const { plan } = view;
  const moved = [
    ...report.deprecated.map((i) => `${i} deprecated`),
    ...report.disabled.map((i) => `${i} disabled`),
    ...report.retired.map((i) => `${i} retired`),
  ];
  const planned = plan.decisions
    .filter((d) => d.decision !== 'keep')
    .map((d) => `${d.decision} ${imageKey(d)}`);
  const notes = [
    ...(report.withheld
      ? [`planned only (${plan.withheld?.[0]?.reason}); would ${planned.join(', ') || 'keep everything'}`]
      : []),
    ...(report.guard === 'tripped' ? [`guard tripped: ${plan.guard.reasons.join('; ')}`] : []),
    ...moved,
    ...(report.snapshotGiBFreed > 0
      ? [
          `${report.snapshotGiBFreed} GiB of snapshots freed, USD ${report.monthlyCostSavedUsd.toFixed(2)} a month saved`,
        ]
      : []),
  ];
  story.at(
    `${plan.sweepId}: deprecated ${report.deprecated.length}, disabled ${report.disabled.length}, ` +
      `retired ${report.retired.length}, kept ${report.kept}` +
      (notes.length > 0 ? `; ${notes.join('; ')}` : ''),
    plan.generatedAt,
  );
  // The kept images whose reasons changed, grouped by their reasons.
  const changed = new Map<string, string[]>();
  for (const d of plan.decisions) {
    if (d.decision !== 'keep') continue;
    const key = `${d.family} ${d.version}`;
    const codes = codesOf(d).join(', ');
    if (shownCodes.get(key) === codes) continue;
    shownCodes.set(key, codes);
    changed.set(codes, [...(changed.get(codes) ?? []), key]);
  }
  for (const [codes, keys] of changed) story.more(`kept (${codes}): ${keys.join('; ')}`);
};

/** Every image of every family in the catalog, with the last decision a sweep took on it. */
const imageRows = async (
  pipeline: LocalPipeline,
  last: ReadonlyMap<string, { decision: ImageDecision; sweepId: string }>,
): Promise<ImageRow[]> => {
  const rows: ImageRow[] = [];
  const families = (
    await listAll('family configs', (page) => pipeline.catalog.listFamilyConfigs(page), MAX_PAGES)
  ).map((c) => c.family);
  for (const family of families.sort()) {
    const images = await listAll(
      `${family} images`,
      (page) => pipeline.catalog.listImagesByFamily(family, page),
      MAX_PAGES,
    );
    for (const image of images.sort((a, b) => b.createdAt.localeCompare(a.createdAt))) {
      const seen = last.get(imageKey(image));
      rows.push({
        family,
        version: image.version,
        state: image.state,
        ...(seen ? { decision: seen.decision.decision, sweepId: seen.sweepId } : {}),
        codes: seen ? codesOf(seen.decision) : [],
        reasons: seen?.decision.reasons ?? [],
      });
    }
  }
  return rows;
};

const why = (row: ImageRow): string => {
  if (row.decision === undefined) return 'no sweep has seen it yet';
  const codes = row.codes.join(', ');
  if (row.decision === 'keep') return `kept: ${codes}`;
  return row.state === 'retired' ? `retired by ${row.sweepId}: ${codes}` : `${row.decision}: ${codes}`;
};

/** The AMIs and snapshots of the retired images that EC2 still has, in every region they were in. */
const leftInEc2 = async (pipeline: LocalPipeline, rows: readonly ImageRow[]): Promise<string[]> => {
  const left: string[] = [];
  for (const row of rows.filter((r) => r.state === 'retired')) {
    const image = await pipeline.catalog.getImage(row.family, row.version);
    for (const [region, amiId] of Object.entries(image?.amiIds ?? {})) {
      const ec2 = new EC2Client({ ...pipeline.cloud.clientConfig, region });
      const ami = await ec2
        .send(
          new DescribeImagesCommand({ ImageIds: [amiId], IncludeDeprecated: true, IncludeDisabled: true }),
        )
        .catch(() => ({ Images: [] }));
      left.push(...(ami.Images ?? []).map((i) => `${region} ${i.ImageId}`));
      const snapshots = await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [
            { Name: 'tag:ami-lifecycle:family', Values: [row.family] },
            { Name: 'tag:ami-lifecycle:version', Values: [row.version] },
          ],
        }),
      );
      left.push(...(snapshots.Snapshots ?? []).map((s) => `${region} ${s.SnapshotId}`));
    }
  }
  return left;
};
