// Acts 1 to 4 of `npm start`: the deployed services at work on the local cloud, driven by nothing but
// `Build Requested` on the bus and a person's amictl commands.
//
// 1. Golden builds and their inspection: golden-al2023 is built from AWS's public SSM parameter and
//    passes its gate; golden-web, the story's own family (golden-al2023's build plus a component that
//    pins an httpd build the CVE feed calls CRITICAL), is rejected by its gate.
// 2. golden-al2023 is published: copied encrypted to a second region, shared with the workloads account,
//    its SSM parameters written in both regions, its channels moved.
// 3. Its publication alone makes the refresh service build the application families on it; orders-worker
//    is approved by its gate, payments-api by a person; payments-api 1.0.0 runs in the workloads account.
// 4. A second golden version is published and the refresh service rebuilds both application families on
//    it; a person rejects the new payments-api.
//
// Act 5 (a CVE on a published image) is in story-vulnerable.ts, act 6 (retention) in retention-demo.ts.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { listAll } from '@ami-lifecycle/catalog';
import {
  type FamilyConfig,
  type Image,
  type Policy,
  parsePolicy,
  type RefreshDecision,
  validatePolicy,
} from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { amictlOn } from './amictl-on';
import { isDecided, LocalPipeline } from './local-pipeline';
import {
  describeFinding,
  findingsOfAmi,
  gateBreakers,
  gateRule,
  refreshDecisions,
  regionalCopies,
  type StoryFinding,
  storedConfig,
} from './story-facts';
import { findingCounts, Story } from './story-log';

export const EXAMPLE_POLICY = join(__dirname, '..', 'examples', 'ami-lifecycle.yaml');
/** How far the story lets the simulated clock run for one image to be decided or published. */
export const MAX_SIMULATED_SECONDS = 6 * 3600;
/** How long the refresh service may take to decide on a trigger. */
const MAX_DECISION_SECONDS = 3600;
/** The example's workloads account, whose role the inventory reads through. */
const WORKLOADS_ROLE = 'arn:aws:iam::222222222222:role/ami-lifecycle-inventory';
/** How far the clock moves between two looks at the catalog while the story waits. */
export const STEP_SECONDS = 60;
const GOLDEN = 'golden-al2023';
/** The story's own golden family: golden-al2023's build plus an httpd the CVE feed calls CRITICAL. */
export const WEB = 'golden-web';
/** The httpd build the web team certified, pinned by golden-web's build. */
const PINNED_HTTPD = 'httpd-2.4.58-1.amzn2023';
const APPLICATION_APPROVER = 'release-manager@example.com';
/** Who asks for the first golden build (`amictl build --by`): the outcome is mailed to her. */
export const ORIGINATOR = 'alice@example.com';

export interface PipelineDemoOptions {
  cloud: LocalCloud;
  /** The stage serverless.yml was deployed with: it names the table and the bus. */
  stage?: string;
  policyPath?: string;
  /** Where the story's lines go (console.log by default); ignored when `story` is given. */
  log?: (line: string) => void;
  story?: Story;
}

export interface PipelineDemoResult {
  golden: Image;
  /** golden-web's first version, rejected by its gate for a CRITICAL finding. */
  rejectedGolden: Image;
  /** The findings that broke golden-web's gate, as Inspector has them. */
  rejectedFindings: StoryFinding[];
  application: Image;
  /** orders-worker, built on each golden version and approved by its gate. */
  orders: Image[];
  /** The second golden version, and payments-api rebuilt on it by the refresh service (rejected by a person). */
  golden2: Image;
  refreshed: Image;
  /** The workloads account's instance of payments-api 1.0.0. */
  workloadInstance: string;
  /** Instances of either build or inspection still running at the end (none, when all is well). */
  leftRunning: string[];
}

export class PipelineDemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineDemoError';
  }
}

/** The story's families: the example's, and golden-web, checked as `amictl config validate` checks a file. */
export const storyPolicy = (policy: Policy): Policy => {
  const golden = policy.families[GOLDEN];
  if (golden === undefined) throw new PipelineDemoError(`the policy has no ${GOLDEN} family`);
  const web: FamilyConfig = {
    ...golden,
    name: WEB,
    description: `${GOLDEN}'s base with Apache httpd at the build the web team certified.`,
    publish: { ...golden.publish, channels: ['latest'] },
    build: {
      ...golden.build,
      components: [
        ...golden.build.components,
        {
          name: 'httpd',
          kind: 'application',
          commands: [`dnf -y install ${PINNED_HTTPD}`, 'systemctl enable httpd'],
          timeoutSeconds: 600,
        },
      ],
    },
  };
  const checked = validatePolicy({ ...policy, families: { ...policy.families, [WEB]: web } });
  if (!checked.ok) {
    throw new PipelineDemoError(
      `the story's policy is invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
  return checked.policy;
};

export const storyOf = (opts: { cloud: LocalCloud; story?: Story; log?: (line: string) => void }): Story =>
  opts.story ?? new Story(opts.cloud.clock, opts.log);

/** Acts 1 to 4: golden builds (one rejected), publication, application images, a new golden version. */
export const runPipelineDemo = async (opts: PipelineDemoOptions): Promise<PipelineDemoResult> => {
  const { cloud } = opts;
  const story = storyOf(opts);
  const pipeline = new LocalPipeline(cloud, opts.stage);
  const path = opts.policyPath ?? EXAMPLE_POLICY;

  story.heading(1, 'golden builds and their inspection');
  const policy = await story.step('store the policy', async () => {
    const policy = storyPolicy(parsePolicy(readFileSync(path, 'utf8'), path));
    await pipeline.storeOrganization(policy);
    await pipeline.storeFamilies(policy.families);
    // The organisation's account baseline: images are never shared publicly in any region.
    await pipeline.blockPublicImageSharing(policy.regions.enabled);
    return policy;
  });
  const d = cloud.deployment;
  story.at(
    `serverless.yml deployed: ${d?.functions.length ?? 0} functions, ${d?.stateMachines.length ?? 0} state ` +
      `machines, ${d?.rules.length ?? 0} rules and schedules`,
  );
  const names = Object.keys(policy.families).filter((f) => f !== WEB);
  story.at(`policy ${relative(process.cwd(), path) || path} stored in the catalog: ${names.join(', ')}`);
  const web = await storedConfig(pipeline, WEB);
  story.more(
    `and the story's ${WEB}: ${GOLDEN}'s build plus \`${web.build.components.at(-1)?.commands[0]}\`; ` +
      `gate ${gateRule(web.inspect.gate)}`,
  );

  const [inspected, rejected] = await story.step('golden builds decided', async () => {
    // Requested by a person of a domain the policy's notify.originators lists: she is told the outcome.
    const goldenBuild = await requestBuild(pipeline, story, GOLDEN, 'story-golden-1', false, ORIGINATOR);
    const webBuild = await requestBuild(pipeline, story, WEB, 'story-web-1');
    const [golden, web] = await followImages(pipeline, story, 'golden-al2023 and golden-web decided', [
      () => pipeline.imageOfBuild(GOLDEN, goldenBuild),
      () => pipeline.imageOfBuild(WEB, webBuild),
    ]);
    return [expectState(golden!, 'approved'), web!] as const;
  });
  const rejectedFindings = await story.step(`${WEB} rejected for a CRITICAL finding`, () =>
    tellRejection(pipeline, story, rejected),
  );

  story.heading(2, 'publishing to two regions and the workloads account');
  const golden = await story.step(`${GOLDEN} ${inspected.version} published`, () =>
    untilPublished(pipeline, story, inspected),
  );

  story.heading(3, 'application images, and a person approves one');
  const first = await story.step(
    `the application images on ${GOLDEN} ${golden.version} decided`,
    async () => {
      const images = await followRefresh(pipeline, story, golden);
      expectState(pick(images, 'orders-worker'), 'approved');
      expectState(pick(images, 'payments-api'), 'inspecting');
      return images;
    },
  );
  const candidate = pick(first, 'payments-api');
  const orders1 = await story.step('orders-worker published', () =>
    untilPublished(pipeline, story, pick(first, 'orders-worker')),
  );
  await story.step(`payments-api ${candidate.version} approved by a person`, () =>
    operator(pipeline, [
      'approve',
      'payments-api',
      candidate.version,
      '--by',
      APPLICATION_APPROVER,
      '--reason',
      'payments-api release signed off',
    ]),
  );
  story.at(
    `payments-api ${candidate.version} approved by ${APPLICATION_APPROVER} (amictl approve), on ` +
      `${candidate.parent?.family} ${candidate.parent?.version} (${candidate.parent?.amiId})`,
  );
  const application = await story.step(`payments-api ${candidate.version} published`, () =>
    untilPublished(pipeline, story, candidate),
  );
  const workloadInstance = await story.step('payments-api runs in the workloads account', () =>
    runInWorkloads(pipeline, application.amiIds[cloud.region]!),
  );
  story.at(
    `the workloads account runs payments-api ${application.version}: ${workloadInstance} ` +
      `(${cloud.region}, ${application.amiIds[cloud.region]})`,
  );

  story.heading(4, 'a new golden version and the refresh it causes');
  const second = await story.step(`a second ${GOLDEN} version decided`, async () => {
    // Forced: the same source and config would otherwise be a duplicate of the first build.
    const buildId = await requestBuild(pipeline, story, GOLDEN, 'story-golden-2', true);
    const [image] = await followImages(pipeline, story, `a second ${GOLDEN} decided`, [
      () => pipeline.imageOfBuild(GOLDEN, buildId),
    ]);
    return expectState(image!, 'approved');
  });
  const golden2 = await story.step(`${GOLDEN} ${second.version} published`, () =>
    untilPublished(pipeline, story, second),
  );
  const rebuilt = await story.step(
    `the application images on ${GOLDEN} ${golden2.version} decided`,
    async () => {
      const images = await followRefresh(pipeline, story, golden2);
      expectState(pick(images, 'orders-worker'), 'approved');
      expectState(pick(images, 'payments-api'), 'inspecting');
      return images;
    },
  );
  const orders2 = await story.step('orders-worker published', () =>
    untilPublished(pipeline, story, pick(rebuilt, 'orders-worker')),
  );
  const next = pick(rebuilt, 'payments-api');
  await story.step(`payments-api ${next.version} rejected by a person`, () =>
    operator(pipeline, [
      'reject',
      'payments-api',
      next.version,
      '--by',
      APPLICATION_APPROVER,
      '--reason',
      'the payments-api release is held back',
    ]),
  );
  const refreshed = (await pipeline.catalog.getImage('payments-api', next.version)) ?? next;
  const stable = (await pipeline.catalog.listChannels('payments-api')).find((c) => c.name === 'stable');
  story.at(
    `payments-api ${refreshed.version} ${refreshed.state} by ${APPLICATION_APPROVER} (amictl reject): ` +
      `the release is held back; stable stays on ${stable?.version ?? 'nothing'}`,
  );

  const leftRunning = await story.step('every build and inspection ended', async () => {
    await pipeline.settle();
    return (await pipeline.runningInstances({ 'ami-lifecycle:managed': 'true' })).map((i) => {
      const name = i.Tags?.find((t) => t.Key === 'Name')?.Value;
      return `${i.InstanceId} (${name ?? 'unnamed'}, ${i.State?.Name})`;
    });
  });
  story.at(
    leftRunning.length === 0
      ? 'No builder or test instance left running.'
      : `Still running: ${leftRunning.join(', ')}`,
  );
  return {
    golden,
    rejectedGolden: rejected,
    rejectedFindings,
    application,
    orders: [orders1, orders2],
    golden2,
    refreshed,
    workloadInstance,
    leftRunning,
  };
};

/** An operator's amictl command on the deployed stage; a refusal stops the story with amictl's words. */
export const operator = async (pipeline: LocalPipeline, argv: string[]): Promise<string> => {
  const run = await amictlOn(pipeline, pipeline.cloud.region)(...argv);
  if (run.code !== 0) throw new PipelineDemoError(`amictl ${argv.join(' ')} failed: ${run.err}`);
  return run.out;
};

/**
 * The image, when its gate passed and it reached the state (`inspecting` with a passing verdict: it waits
 * for a person); otherwise an error saying where it ended and why.
 */
const expectState = (image: Image, state: 'approved' | 'inspecting'): Image => {
  if (image.state === state && image.verdict === 'pass') return image;
  throw new PipelineDemoError(
    `${image.family} ${image.version} ended ${image.state} (verdict ${image.verdict ?? 'none'}), not ${state} ` +
      `with a passing verdict: ${image.reason ?? 'no reason'}`,
  );
};

const pick = (images: readonly Image[], family: string): Image => {
  const image = images.find((i) => i.family === family);
  if (image === undefined) throw new PipelineDemoError(`no ${family} image was built`);
  return image;
};

/** Puts `Build Requested` on the bus and says so; answers the build id. */
const requestBuild = async (
  pipeline: LocalPipeline,
  story: Story,
  family: string,
  key: string,
  force = false,
  requestedBy = 'npm-start',
): Promise<string> => {
  const { buildId, detail } = await pipeline.requestBuild(family, key, { requestedBy, force });
  story.at(
    `Build Requested: ${family} (reason ${detail.reason}${force ? ', forced' : ''})` +
      (requestedBy.includes('@') ? ` by ${requestedBy}` : ''),
  );
  return buildId;
};

/** `latest, stable` of `/ami-lifecycle/f/latest, /ami-lifecycle/f/stable` as `/ami-lifecycle/f/{latest,stable}`. */
const parameterList = (names: readonly string[]): string => {
  if (names.length < 2) return names.join(', ') || 'none';
  const dir = names[0]!.slice(0, names[0]!.lastIndexOf('/') + 1);
  return names.every((n) => n.startsWith(dir) && !n.slice(dir.length).includes('/'))
    ? `${dir}{${names.map((n) => n.slice(dir.length)).join(',')}}`
    : names.join(', ');
};

/**
 * Runs the clock until the publish service has published the approved image (bounded); tells where it
 * is, as EC2 and SSM in each region have it, and which channels point to it.
 */
export const untilPublished = async (
  pipeline: LocalPipeline,
  story: Story,
  approved: Image,
): Promise<Image> => {
  const { catalog } = pipeline;
  let image: Image | undefined;
  await pipeline.advanceUntil(
    `${approved.family} ${approved.version} published`,
    async () => {
      image = await catalog.getImage(approved.family, approved.version);
      return image?.state === 'published' || image?.state === 'failed';
    },
    {
      maxSeconds: MAX_SIMULATED_SECONDS,
      stepSeconds: STEP_SECONDS,
      describe: async () => `${image?.state ?? 'no image'}`,
    },
  );
  const published = image!;
  if (published.state !== 'published') {
    throw new PipelineDemoError(
      `${published.family} ${published.version} ${published.state}: ${published.reason}`,
    );
  }
  const channels = (await catalog.listChannels(published.family))
    .filter((c) => c.version === published.version)
    .map((c) => c.name);
  const event = pipeline
    .ingested('Image Published', published.family)
    .find((d) => (d as { version?: string }).version === published.version) as
    | { ssmParameters?: string[] }
    | undefined;
  const copies = await regionalCopies(pipeline, published, event?.ssmParameters ?? []);
  story.at(
    `${published.family} ${published.version} published (Image Published) in ${copies.length} ` +
      `region${copies.length === 1 ? '' : 's'}; channels ${channels.join(', ') || 'none'} moved to it`,
    published.publishedAt,
  );
  const width = Math.max(...copies.map((c) => c.region.length));
  for (const c of copies) {
    story.more(
      `${c.region.padEnd(width)}  ${c.amiId}  ${c.region === pipeline.cloud.region ? 'built here' : 'a copy    '}  ` +
        `${c.encrypted ? 'encrypted' : 'NOT encrypted'}, ` +
        `shared with ${c.sharedWith.join(', ') || 'no one'}, SSM ${parameterList(c.parameters)}`,
    );
  }
  return published;
};

/** Where a build started from and why, as the catalog records it. */
const origin = (image: Image): string =>
  image.parent
    ? `on ${image.parent.family} ${image.parent.version}, reason ${image.buildReason ?? 'unknown'}`
    : `reason ${image.buildReason ?? 'unknown'}`;

/** One line for where an image stands: what the story prints each time it moves. */
const stateLine = (image: Image, approval: string, region: string): string => {
  const id = `${image.family} ${image.version}`;
  const findings = `findings ${findingCounts(image.findings)}`;
  switch (image.state) {
    case 'building':
      return `${id}: building (${origin(image)})`;
    case 'built':
      return `${id}: built, ${image.amiIds[region] ?? 'no AMI'}`;
    case 'inspecting':
      return image.verdict === undefined
        ? `${id}: inspecting (test instance, Inspector scan, tests)`
        : `${id}: verdict ${image.verdict}, ${findings}; waits for a person (publish.approval ${approval})`;
    case 'approved':
      return `${id}: approved by ${image.approver === 'auto' ? 'its gate' : image.approver}, ${findings}`;
    case 'rejected':
      return `${id}: REJECTED by its gate, ${findings}: ${image.reason ?? ''}`;
    default:
      return `${id}: ${image.state}${image.reason ? `: ${image.reason}` : ''}`;
  }
};

/**
 * Runs the clock (bounded) until every image the finders answer is decided; prints each one's moves,
 * stamped with when the catalog says it moved. Answers them in the finders' order.
 */
export const followImages = async (
  pipeline: LocalPipeline,
  story: Story,
  what: string,
  finders: readonly (() => Promise<Image | undefined>)[],
  maxSeconds = MAX_SIMULATED_SECONDS,
): Promise<Image[]> => {
  const { cloud } = pipeline;
  const images: (Image | undefined)[] = finders.map(() => undefined);
  const seen = finders.map(() => '');
  const states = finders.map((): string | undefined => undefined);
  const approvals = new Map<string, string>();
  await pipeline.advanceUntil(
    what,
    async () => {
      for (const [n, find] of finders.entries()) {
        const image = await find();
        images[n] = image;
        if (image === undefined) continue;
        if (!approvals.has(image.family)) {
          approvals.set(image.family, (await storedConfig(pipeline, image.family)).publish.approval);
        }
        const line = stateLine(image, approvals.get(image.family)!, cloud.region);
        if (line !== seen[n]) {
          seen[n] = line;
          // A move to another state happened when the catalog says; a verdict recorded on an image that
          // stays `inspecting` was seen within the last step of the clock.
          story.at(line, image.state !== states[n] ? image.stateChangedAt : undefined);
          states[n] = image.state;
        }
      }
      return images.every(isDecided);
    },
    {
      maxSeconds,
      stepSeconds: STEP_SECONDS,
      describe: async () => images.map((i, n) => (i ? seen[n] : 'no image yet')).join('; '),
    },
  );
  return images as Image[];
};

/**
 * Tells, under the line that said an image was rejected, why: the findings that broke a limit as
 * Inspector has them (its test instance's, found by the image's AMI), the gate rule from the stored config
 * and the `Image Rejected` event. Answers those findings; an image that was not rejected for a finding
 * stops the story.
 */
export const tellRejection = async (
  pipeline: LocalPipeline,
  story: Story,
  image: Image,
): Promise<StoryFinding[]> => {
  if (image.state !== 'rejected') {
    throw new PipelineDemoError(
      `${image.family} ${image.version} ended ${image.state}, not rejected: ${image.reason ?? 'no reason'}`,
    );
  }
  const config = await storedConfig(pipeline, image.family);
  const breakers = gateBreakers(
    await findingsOfAmi(pipeline, image.amiIds[pipeline.cloud.region]!),
    image,
    config.inspect.gate,
  );
  if (breakers.length === 0) {
    throw new PipelineDemoError(
      `${image.family} ${image.version} was rejected without a finding over its gate: ${image.reason}`,
    );
  }
  const event = pipeline
    .ingested('Image Rejected', image.family)
    .find((e) => (e as { version?: string }).version === image.version) as
    | { approver: { kind: string } }
    | undefined;
  for (const f of breakers) story.more(`${describeFinding(f)}: ${f.title}`);
  story.more(
    `the rule that failed: ${gateRule(config.inspect.gate, [...new Set(breakers.map((f) => f.severity))])}; ` +
      (event
        ? `Image Rejected on the bus (approver ${event.approver.kind})`
        : 'no Image Rejected on the bus'),
  );
  return breakers;
};

/** The application families that build on `family`, from the stored configs. */
const childrenOf = async (pipeline: LocalPipeline, family: string): Promise<string[]> =>
  (await listAll('family configs', (page) => pipeline.catalog.listFamilyConfigs(page), 50))
    .filter((c) => (c.config as FamilyConfig).kind === 'application')
    .filter((c) => (c.config as { parent?: { family?: string } }).parent?.family === family)
    .map((c) => c.family)
    .sort();

/** `refresh: payments-api requested: golden-al2023 2026.03.02.1 was published on stable, ...`. */
export const decisionLine = (d: RefreshDecision): string =>
  `refresh service on ${d.family}: ${d.outcome}${d.skip ? ` (${d.skip})` : ''}: ${d.reason}`;

/**
 * The refresh service's answer to a golden publication: its decision for each family built on it
 * (bounded), then the builds it requested followed until decided.
 */
const followRefresh = async (pipeline: LocalPipeline, story: Story, parent: Image): Promise<Image[]> => {
  const families = await childrenOf(pipeline, parent.family);
  const trigger = `parent-published:${parent.family}@${parent.version}`;
  let decisions: RefreshDecision[] = [];
  await pipeline.advanceUntil(
    `the refresh service's decisions on ${trigger}`,
    async () => {
      decisions = (
        await Promise.all(
          families.map(async (f) =>
            (await refreshDecisions(pipeline, f)).find((d) => d.triggerKey === trigger),
          ),
        )
      ).filter((d) => d !== undefined);
      return decisions.length === families.length;
    },
    {
      maxSeconds: MAX_DECISION_SECONDS,
      stepSeconds: STEP_SECONDS,
      describe: async () => `decided for ${decisions.map((d) => d.family).join(', ') || 'no family'}`,
    },
  );
  for (const d of decisions) story.at(decisionLine(d), d.decidedAt);
  const requested = decisions.filter((d) => d.outcome === 'requested').map((d) => d.family);
  if (requested.length === 0)
    throw new PipelineDemoError(`the refresh service requested nothing for ${trigger}`);
  return followImages(
    pipeline,
    story,
    `the builds on ${parent.family} ${parent.version} decided`,
    requested.map(
      (family) => async () =>
        (await pipeline.catalog.listImagesByFamily(family, { limit: 100 })).items.find(
          (i) => i.parent?.family === parent.family && i.parent.version === parent.version,
        ),
    ),
  );
};

/** An instance of the image in the workloads account (the example's), launched through that account's role. */
const runInWorkloads = async (pipeline: LocalPipeline, imageId: string): Promise<string> => {
  const { cloud } = pipeline;
  const sts = new STSClient(cloud.clientConfig);
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: WORKLOADS_ROLE, RoleSessionName: 'npm-start' }),
  );
  const ec2 = new EC2Client({
    ...cloud.clientConfig,
    credentials: {
      accessKeyId: c!.AccessKeyId!,
      secretAccessKey: c!.SecretAccessKey!,
      sessionToken: c!.SessionToken!,
    },
  });
  const out = await ec2.send(
    new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
  );
  return out.Instances?.[0]?.InstanceId ?? 'no instance';
};
