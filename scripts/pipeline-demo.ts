// The first half of `npm start`: the deployed services at work on the local cloud. A golden image is
// built from AWS's public SSM parameter and inspected, then an application image is built on it, each
// started by nothing but a `Build Requested` event on the bus, as the CLI or a schedule would send it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Image, parsePolicy } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { isDecided, LocalPipeline } from './local-pipeline';

export const EXAMPLE_POLICY = join(__dirname, '..', 'examples', 'ami-lifecycle.yaml');
/** How far the demo lets the simulated clock run for one image before it calls the run failed. */
const MAX_SIMULATED_SECONDS = 6 * 3600;
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
  /** Instances of either build or inspection still running at the end (none, when all is well). */
  leftRunning: string[];
}

export class PipelineDemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineDemoError';
  }
}

/** Runs the golden and the application build through inspection; returns both images as the catalog has them. */
export const runPipelineDemo = async (opts: PipelineDemoOptions): Promise<PipelineDemoResult> => {
  const { cloud } = opts;
  const log = opts.log ?? ((l: string) => console.log(l));
  const pipeline = new LocalPipeline(cloud, opts.stage);
  const { catalog } = pipeline;
  const path = opts.policyPath ?? EXAMPLE_POLICY;
  const policy = parsePolicy(readFileSync(path, 'utf8'), path);
  await pipeline.storeFamilies(policy.families);
  const d = cloud.deployment;
  log(
    `Deployed serverless.yml on the local cloud: ${d?.functions.length ?? 0} functions, ${d?.stateMachines.length ?? 0} state machines, ${d?.rules.length ?? 0} rules and schedules.`,
  );

  const golden = await buildAndInspect(pipeline, log, 'golden-al2023', 'demo-golden');
  if (golden.state !== 'approved') {
    throw new PipelineDemoError(
      `golden-al2023 ${golden.version} ended ${golden.state}: ${golden.reason ?? ''}`,
    );
  }
  // Publishing (regions, sharing, SSM parameters) is the publish service's; what the application build
  // needs of it is the parent channel its family follows, which the demo moves itself.
  const parentChannel = policy.families['payments-api']?.parent?.channel;
  if (parentChannel === undefined) throw new PipelineDemoError('payments-api names no parent channel');
  const channel = await catalog.getChannel('golden-al2023', parentChannel);
  await catalog.transitionImage({
    family: golden.family,
    version: golden.version,
    from: 'approved',
    to: 'published',
    expectedStateVersion: golden.stateVersion,
    at: cloud.clock.now().toISOString(),
    audit: {
      actor: 'demo',
      reason: 'published by the demo for the application build',
      correlationId: 'demo',
    },
    patch: { publishedAt: cloud.clock.now().toISOString() },
  });
  await catalog.setChannel('golden-al2023', parentChannel, golden.version, {
    expectedRevision: channel?.revision ?? null,
    at: cloud.clock.now().toISOString(),
    audit: { actor: 'demo', reason: 'golden image for the application build', correlationId: 'demo' },
  });
  log(
    `golden-al2023 ${golden.version} published to channel ${parentChannel} (by the demo, standing in for publish).`,
  );

  const application = await buildAndInspect(pipeline, log, 'payments-api', 'demo-payments');
  if (application.verdict !== 'pass') {
    throw new PipelineDemoError(
      `payments-api ${application.version} ended ${application.state}: ${application.reason ?? 'no verdict'}`,
    );
  }
  log(
    `payments-api ${application.version} is built on ${application.parent?.family}@${application.parent?.version} (${application.parent?.amiId}): lineage recorded.`,
  );

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
  return { golden, application, leftRunning };
};

const buildAndInspect = async (
  pipeline: LocalPipeline,
  log: (line: string) => void,
  family: string,
  key: string,
): Promise<Image> => {
  const { cloud } = pipeline;
  const { buildId } = await pipeline.requestBuild(family, key, { requestedBy: 'npm-start' });
  const startedAt = cloud.clock.nowMillis();
  log(`Build Requested for ${family} put on the bus at ${cloud.clock.now().toISOString()} (simulated).`);

  let image: Image | undefined;
  let seen = '';
  await pipeline.advanceUntil(
    `${family} decided`,
    async () => {
      image = await pipeline.imageOfBuild(family, buildId);
      if (image === undefined) return false;
      const status = `${image.state}${image.verdict ? ` (verdict ${image.verdict})` : ''}`;
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
