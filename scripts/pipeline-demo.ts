// The first half of `npm start`: the deployed services at work on the local cloud. A golden image is
// built from AWS's public SSM parameter, inspected, approved by its gate and published to its regions;
// its publication alone makes the refresh service rebuild the application families on it, and a person
// approves payments-api. Then a second golden version is published and payments-api is rebuilt on it,
// again without any command. Only the golden builds are asked for (a `Build Requested` on the bus).
// Last, payments-api 1.0.0 is run in the workloads account and retention is previewed; the weeks of
// daily retention sweeps on these images follow in scripts/retention-demo.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Image, parsePolicy } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { amictlOn } from './amictl-on';
import { isDecided, LocalPipeline } from './local-pipeline';

export const EXAMPLE_POLICY = join(__dirname, '..', 'examples', 'ami-lifecycle.yaml');
/** How far the demo lets the simulated clock run for one image before it calls the run failed. */
const MAX_SIMULATED_SECONDS = 6 * 3600;
/** The example's workloads account, whose role the inventory reads through. */
const WORKLOADS_ROLE = 'arn:aws:iam::222222222222:role/ami-lifecycle-inventory';
const STEP_SECONDS = 30;

export interface PipelineDemoOptions {
  cloud: LocalCloud;
  /** The stage serverless.yml was deployed with: it names the table and the bus. */
  stage?: string;
  policyPath?: string;
  log?: (line: string) => void;
}

export interface PipelineDemoResult {
  golden: Image;
  application: Image;
  /** The second golden version, and payments-api rebuilt on it by the refresh service. */
  golden2: Image;
  refreshed: Image;
  /** Instances of either build or inspection still running at the end (none, when all is well). */
  leftRunning: string[];
}

export class PipelineDemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineDemoError';
  }
}

/** Runs the golden and the application image through build, inspection and publication; returns both as published. */
export const runPipelineDemo = async (opts: PipelineDemoOptions): Promise<PipelineDemoResult> => {
  const { cloud } = opts;
  const log = opts.log ?? ((l: string) => console.log(l));
  const pipeline = new LocalPipeline(cloud, opts.stage);
  const path = opts.policyPath ?? EXAMPLE_POLICY;
  const policy = parsePolicy(readFileSync(path, 'utf8'), path);
  await pipeline.storeOrganization(policy);
  await pipeline.storeFamilies(policy.families);
  const d = cloud.deployment;
  log(
    `Deployed serverless.yml on the local cloud: ${d?.functions.length ?? 0} functions, ${d?.stateMachines.length ?? 0} state machines, ${d?.rules.length ?? 0} rules and schedules.`,
  );

  // The organisation's account baseline: images are never shared publicly in any region.
  await pipeline.blockPublicImageSharing(policy.regions.enabled);

  const inspected = await buildAndInspect(pipeline, log, 'golden-al2023', 'demo-golden');
  if (inspected.state !== 'approved') {
    throw new PipelineDemoError(
      `golden-al2023 ${inspected.version} ended ${inspected.state}: ${inspected.reason ?? ''}`,
    );
  }
  const golden = await untilPublished(pipeline, log, inspected);

  log('Refresh: golden-al2023 was published on latest and stable; the families built on them follow.');
  const candidate = await followRefresh(pipeline, log, 'payments-api', golden);
  if (candidate.verdict !== 'pass' || candidate.state !== 'inspecting') {
    throw new PipelineDemoError(
      `payments-api ${candidate.version} ended ${candidate.state}: ${candidate.reason ?? 'no verdict'}`,
    );
  }
  log(
    `payments-api ${candidate.version} is built on ${candidate.parent?.family}@${candidate.parent?.version} (${candidate.parent?.amiId}): lineage recorded.`,
  );
  const approver = 'release-manager@example.com';
  await operator(pipeline, [
    'approve',
    'payments-api',
    candidate.version,
    '--by',
    approver,
    '--reason',
    'payments-api release signed off',
  ]);
  log(`payments-api ${candidate.version} approved by ${approver} (amictl approve).`);
  const application = await untilPublished(pipeline, log, candidate);

  log('\nA second golden version, as a scheduled patch run would ask for it:');
  const second = await buildAndInspect(pipeline, log, 'golden-al2023', 'demo-golden-2', true);
  if (second.state !== 'approved') {
    throw new PipelineDemoError(
      `golden-al2023 ${second.version} ended ${second.state}: ${second.reason ?? ''}`,
    );
  }
  const golden2 = await untilPublished(pipeline, log, second);
  const refreshed = await followRefresh(pipeline, log, 'payments-api', golden2);
  log('Refresh decisions of payments-api (amictl refresh history payments-api), newest first:');
  for (const line of (await operator(pipeline, ['refresh', 'history', 'payments-api'])).split('\n'))
    log(`  ${line}`);

  // Retention on these images, as an operator previews it: nothing is stored or changed. payments-api
  // 1.0.0 runs in the workloads account, which only that account's role can see.
  await runInWorkloads(pipeline, application.amiIds[cloud.region]!);
  log('\nRetention plan from live inventory (amictl retention plan), a preview:');
  const preview = await amictlOn(pipeline, cloud.region)('retention', 'plan');
  for (const line of preview.out.split('\n')) log(`  ${line}`);
  if (preview.code !== 0) throw new PipelineDemoError(`amictl retention plan failed: ${preview.err}`);

  await pipeline.settle();
  const leftRunning = (await pipeline.runningInstances({ 'ami-lifecycle:managed': 'true' })).map((i) => {
    const name = i.Tags?.find((t) => t.Key === 'Name')?.Value;
    return `${i.InstanceId} (${name ?? 'unnamed'}, ${i.State?.Name})`;
  });
  log(
    leftRunning.length === 0
      ? 'No builder or test instance left running.'
      : `Still running: ${leftRunning.join(', ')}`,
  );
  return { golden, application, golden2, refreshed, leftRunning };
};

/** An operator's amictl command on the deployed stage; a refusal stops the demo with amictl's words. */
export const operator = async (pipeline: LocalPipeline, argv: string[]): Promise<string> => {
  const run = await amictlOn(pipeline, pipeline.cloud.region)(...argv);
  if (run.code !== 0) throw new PipelineDemoError(`amictl ${argv.join(' ')} failed: ${run.err}`);
  return run.out;
};

/** Runs the clock until the publish service has published the approved image (bounded). */
const untilPublished = async (
  pipeline: LocalPipeline,
  log: (line: string) => void,
  approved: Image,
): Promise<Image> => {
  const { cloud, catalog } = pipeline;
  const startedAt = cloud.clock.nowMillis();
  let image: Image | undefined;
  await pipeline.advanceUntil(
    `${approved.family} ${approved.version} published`,
    async () => {
      image = await catalog.getImage(approved.family, approved.version);
      return image?.state === 'published';
    },
    {
      maxSeconds: MAX_SIMULATED_SECONDS,
      stepSeconds: STEP_SECONDS,
      describe: async () => `${image?.state ?? 'no image'}`,
    },
  );
  const published = image!;
  const minutes = ((cloud.clock.nowMillis() - startedAt) / 60_000).toFixed(1);
  const channels = (await catalog.listChannels(published.family))
    .filter((c) => c.version === published.version)
    .map((c) => c.name);
  const event = pipeline
    .ingested('Image Published', published.family)
    .find((d) => (d as { version?: string }).version === published.version) as
    | { ssmParameters?: string[] }
    | undefined;
  log(
    `  +${minutes} min  ${published.family} ${published.version}: published in ${Object.entries(
      published.amiIds,
    )
      .map(([region, ami]) => `${region} (${ami})`)
      .join(', ')}; channels ${channels.join(', ')}; SSM ${event?.ssmParameters?.join(', ') ?? 'none'}`,
  );
  return published;
};

const buildAndInspect = async (
  pipeline: LocalPipeline,
  log: (line: string) => void,
  family: string,
  key: string,
  force = false,
): Promise<Image> => {
  const { cloud } = pipeline;
  // Forced for a second golden version: the same source and config would otherwise be a duplicate.
  const { buildId } = await pipeline.requestBuild(family, key, { requestedBy: 'npm-start', force });
  log(`Build Requested for ${family} put on the bus at ${cloud.clock.now().toISOString()} (simulated).`);
  return followImage(pipeline, log, family, `${family} decided`, () =>
    pipeline.imageOfBuild(family, buildId),
  );
};

/** Runs the clock until the refresh service's build of `family` on `parent` is decided (bounded). */
const followRefresh = (
  pipeline: LocalPipeline,
  log: (line: string) => void,
  family: string,
  parent: Image,
): Promise<Image> =>
  followImage(pipeline, log, family, `${family} rebuilt on ${parent.family} ${parent.version}`, async () =>
    (await pipeline.catalog.listImagesByFamily(family, { limit: 100 })).items.find(
      (i) => i.parent?.family === parent.family && i.parent.version === parent.version,
    ),
  );

/** Logs each state `find`'s image reaches until it is decided; answers it. */
const followImage = async (
  pipeline: LocalPipeline,
  log: (line: string) => void,
  family: string,
  what: string,
  find: () => Promise<Image | undefined>,
): Promise<Image> => {
  const { cloud } = pipeline;
  const startedAt = cloud.clock.nowMillis();

  let image: Image | undefined;
  let seen = '';
  await pipeline.advanceUntil(
    what,
    async () => {
      image = await find();
      if (image === undefined) return false;
      const reason = image.buildReason ? `, built for ${image.buildReason}` : '';
      const status = `${image.state}${image.verdict ? ` (verdict ${image.verdict})` : ''}${reason}`;
      if (status !== seen) {
        seen = status;
        const minutes = ((cloud.clock.nowMillis() - startedAt) / 60_000).toFixed(1);
        log(
          `  +${minutes} min  ${family} ${image.version}: ${status}${image.reason ? `: ${image.reason}` : ''}`,
        );
      }
      return isDecided(image);
    },
    {
      maxSeconds: MAX_SIMULATED_SECONDS,
      stepSeconds: STEP_SECONDS,
      describe: async () => seen || 'no image',
    },
  );
  const decided = image!;
  const ami = decided.amiIds[cloud.region] ?? 'none';
  const f = decided.findings;
  log(
    `  ${decided.family} ${decided.version}: AMI ${ami}, verdict ${decided.verdict ?? 'none'}` +
      (f ? `, findings CRITICAL ${f.CRITICAL} HIGH ${f.HIGH} MEDIUM ${f.MEDIUM} LOW ${f.LOW}` : '') +
      (decided.state === 'inspecting' ? '; the family wants a person to approve it' : ''),
  );
  return decided;
};

/** An instance of the image in the workloads account (the example's), launched through that account's role. */
const runInWorkloads = async (pipeline: LocalPipeline, imageId: string): Promise<void> => {
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
  await ec2.send(
    new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
  );
};
