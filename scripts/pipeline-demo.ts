// The first half of `npm start`: the deployed services at work on the local cloud. A golden image is
// built from AWS's public SSM parameter and inspected, then an application image is built on it, each
// started by nothing but a `Build Requested` event on the bus, as the CLI or a schedule would send it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { buildRequested } from '@ami-lifecycle/contracts';
import { type FamilyConfig, type Image, parsePolicy } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';

export const EXAMPLE_POLICY = join(__dirname, '..', 'examples', 'ami-lifecycle.yaml');
/** Where the inspect service leaves an image: decided, or verdict recorded and waiting for a person. */
const isDecided = (image: Image | undefined): image is Image =>
  image !== undefined &&
  (['approved', 'rejected', 'failed'].includes(image.state) ||
    (image.state === 'inspecting' && image.verdict !== undefined));
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
  const catalog = new DynamoDbCatalog({
    tableName: `ami-lifecycle-${opts.stage ?? 'local'}`,
    client: createDocumentClient(cloud.clientConfig),
  });
  const path = opts.policyPath ?? EXAMPLE_POLICY;
  const policy = parsePolicy(readFileSync(path, 'utf8'), path);
  for (const f of Object.values(policy.families) as FamilyConfig[]) {
    const current = await catalog.getFamilyConfig(f.name);
    await catalog.putFamilyConfig(f.name, f, {
      expectedCurrent: current?.version ?? null,
      at: cloud.clock.now().toISOString(),
      by: 'demo',
    });
  }
  const d = cloud.deployment;
  log(
    `Deployed serverless.yml on the local cloud: ${d?.functions.length ?? 0} functions, ${d?.stateMachines.length ?? 0} state machines, ${d?.rules.length ?? 0} rules and schedules.`,
  );

  const golden = await buildAndInspect(opts, catalog, 'golden-al2023', 'demo-golden');
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

  const application = await buildAndInspect(opts, catalog, 'payments-api', 'demo-payments');
  if (application.verdict !== 'pass') {
    throw new PipelineDemoError(
      `payments-api ${application.version} ended ${application.state}: ${application.reason ?? 'no verdict'}`,
    );
  }
  log(
    `payments-api ${application.version} is built on ${application.parent?.family}@${application.parent?.version} (${application.parent?.amiId}): lineage recorded.`,
  );

  const leftRunning = await runningInstances(cloud);
  log(
    leftRunning.length === 0
      ? 'No builder or test instance left running.'
      : `Still running: ${leftRunning.join(', ')}`,
  );
  return { golden, application, leftRunning };
};

const buildAndInspect = async (
  opts: PipelineDemoOptions,
  catalog: DynamoDbCatalog,
  family: string,
  key: string,
): Promise<Image> => {
  const { cloud } = opts;
  const log = opts.log ?? ((l: string) => console.log(l));
  const before = new Set((await catalog.listImagesByFamily(family)).items.map((i) => i.version));
  const detail = buildRequested.schema.parse({
    schemaVersion: 1,
    family,
    correlationId: key,
    idempotencyKey: key,
    occurredAt: cloud.clock.now().toISOString(),
    reason: 'manual',
    requestedBy: 'npm-start',
    force: false,
  });
  const put = await new EventBridgeClient(cloud.clientConfig).send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'ami-lifecycle',
          DetailType: 'Build Requested',
          Detail: JSON.stringify(detail),
          EventBusName: `ami-lifecycle-${opts.stage ?? 'local'}`,
        },
      ],
    }),
  );
  if (put.FailedEntryCount) throw new PipelineDemoError(`the bus refused Build Requested for ${family}`);
  const startedAt = cloud.clock.nowMillis();
  log(`Build Requested for ${family} put on the bus at ${cloud.clock.now().toISOString()} (simulated).`);

  let image: Image | undefined;
  let seen = '';
  for (let waited = 0; waited <= MAX_SIMULATED_SECONDS; waited += STEP_SECONDS) {
    image = (await catalog.listImagesByFamily(family)).items.find((i) => !before.has(i.version));
    const status =
      image === undefined ? '' : `${image.state}${image.verdict ? ` (verdict ${image.verdict})` : ''}`;
    if (image !== undefined && status !== seen) {
      seen = status;
      const minutes = ((cloud.clock.nowMillis() - startedAt) / 60_000).toFixed(1);
      log(
        `  +${minutes} min  ${family} ${image.version}: ${status}${image.reason ? `: ${image.reason}` : ''}`,
      );
    }
    if (isDecided(image)) break;
    await cloud.clock.advance(STEP_SECONDS);
  }
  if (!isDecided(image)) {
    throw new PipelineDemoError(
      `${family} was not decided within ${MAX_SIMULATED_SECONDS / 3600} simulated hours (${seen || 'no image'})`,
    );
  }
  const ami = image.amiIds[cloud.region] ?? 'none';
  const f = image.findings;
  log(
    `  ${image.family} ${image.version}: AMI ${ami}, verdict ${image.verdict ?? 'none'}` +
      (f ? `, findings CRITICAL ${f.CRITICAL} HIGH ${f.HIGH} MEDIUM ${f.MEDIUM} LOW ${f.LOW}` : '') +
      (image.state === 'inspecting' ? '; the family wants a person to approve it' : ''),
  );
  return image;
};

/** Lets the state machines finish their last steps (clean-up comes after the verdict), bounded. */
const settle = async (cloud: LocalCloud): Promise<void> => {
  const sfn = new SFNClient(cloud.clientConfig);
  const machines = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
  for (let waited = 0; waited <= 1800; waited += STEP_SECONDS) {
    let running = 0;
    for (const m of machines) {
      const out = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn, statusFilter: 'RUNNING' }),
      );
      running += out.executions?.length ?? 0;
    }
    if (running === 0) break;
    await cloud.clock.advance(STEP_SECONDS);
  }
  // Instances take a moment of simulated time to shut down once terminated.
  await cloud.clock.advance(120);
};

const runningInstances = async (cloud: LocalCloud): Promise<string[]> => {
  await settle(cloud);
  const out = await new EC2Client(cloud.clientConfig).send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:ami-lifecycle:managed', Values: ['true'] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  return (out.Reservations ?? []).flatMap((r) =>
    (r.Instances ?? []).map((i) => {
      const name = i.Tags?.find((t) => t.Key === 'Name')?.Value;
      return `${i.InstanceId} (${name ?? 'unnamed'}, ${i.State?.Name})`;
    }),
  );
};
