import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Image, parsePolicy } from '@ami-lifecycle/core';
import { startLocalCloud } from '@ami-lifecycle/local-cloud';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { LocalPipeline } from '../scripts/local-pipeline';

const ROOT = join(__dirname, '..');
const STAGE = 'local';
const REGION = 'eu-west-1';
const FAMILY = 'golden-al2023';
/** How long EC2 takes to make the AMI available, in simulated seconds (the 10 minutes). */
const IMAGE_CREATION_SECONDS = 600;

/**
 * List prices, eu-west-1, as published on the AWS pricing pages (checked 2026-11): Step Functions
 * Standard per state transition, Lambda per request and per GB-second on arm64, EventBridge per custom
 * event put on a bus. AWS's own events on the default bus are free.
 */
export const PRICES = {
  stateTransition: 0.025 / 1000,
  lambdaRequest: 0.2 / 1_000_000,
  lambdaGbSecondArm: 0.0000133334,
  customEvent: 1 / 1_000_000,
} as const;
const LAMBDA_MEMORY_GB = 512 / 1024;
/** Lambda bills at least 1 ms per invocation; in-process handler time stands in for the real duration. */
const MIN_BILLED_MS = 1;

export interface MachineCount {
  machine: string;
  executions: number;
  /** States entered: what Step Functions Standard bills as transitions. */
  transitions: number;
  status: string[];
}

export interface PipelineResult {
  family: string;
  finalState: string;
  simulatedMinutes: number;
  machines: MachineCount[];
  invocations: { total: number; byFunction: Record<string, number>; billedMs: number };
  customEvents: number;
  cost: { stepFunctions: number; lambda: number; events: number; total: number };
}

// The example's golden family publishes on a passing gate: the story ends published, or rejected or failed.
const DONE: ReadonlySet<string> = new Set(['published', 'rejected', 'failed']);

/**
 * One golden build of the example policy on the local cloud, started by `Build Requested` on the bus and
 * followed through its inspection and publication (published, rejected or failed), with the organisation
 * config stored and image block public access on, as a deployment has them. Counts what AWS would bill:
 * state transitions per state machine, Lambda invocations and their time, custom events put.
 */
export const benchGoldenPipeline = async (): Promise<PipelineResult> => {
  const start = '2026-03-01T09:00:00.000Z';
  const cloud = await startLocalCloud({
    port: 0,
    region: REGION,
    start,
    dynamodb: true,
    ec2: { imageCreationSeconds: IMAGE_CREATION_SECONDS },
    deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage: STAGE },
  });
  try {
    const pipeline = new LocalPipeline(cloud, STAGE);
    const policy = parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example');
    await pipeline.storeOrganization(policy);
    await pipeline.storeFamilies({ [FAMILY]: policy.families[FAMILY]! });
    await pipeline.blockPublicImageSharing(policy.regions.enabled);
    const { buildId } = await pipeline.requestBuild(FAMILY, 'bench-golden-1', { requestedBy: 'bench' });

    // Until the image is published (or rejected, or failed) and every execution ended, within 8 simulated hours.
    let image: Image | undefined;
    await pipeline.advanceUntil(
      'the golden build published',
      async () => {
        image = await pipeline.imageOfBuild(FAMILY, buildId);
        return image !== undefined && DONE.has(image.state);
      },
      { maxSeconds: 8 * 3600, describe: async () => image?.state ?? 'no image' },
    );
    const minutes = (cloud.clock.nowMillis() - Date.parse(start)) / 60_000;
    await pipeline.settle();

    const machines = await countTransitions(pipeline);
    const invocations = cloud.lambda?.invocations() ?? [];
    const byFunction: Record<string, number> = {};
    let billedMs = 0;
    for (const i of invocations) {
      const key = i.functionName.replace(`ami-lifecycle-${STAGE}-`, '');
      byFunction[key] = (byFunction[key] ?? 0) + 1;
      billedMs += Math.max(MIN_BILLED_MS, Math.ceil(i.durationMs));
    }
    const customEvents = cloud.services.events
      .ingested()
      .filter((e) => e.event.source === 'ami-lifecycle').length;
    const transitions = machines.reduce((n, m) => n + m.transitions, 0);
    const stepFunctions = transitions * PRICES.stateTransition;
    const lambda =
      invocations.length * PRICES.lambdaRequest +
      (billedMs / 1000) * LAMBDA_MEMORY_GB * PRICES.lambdaGbSecondArm;
    const events = customEvents * PRICES.customEvent;
    return {
      family: FAMILY,
      finalState: image!.state,
      simulatedMinutes: minutes,
      machines,
      invocations: { total: invocations.length, byFunction, billedMs },
      customEvents,
      cost: { stepFunctions, lambda, events, total: stepFunctions + lambda + events },
    };
  } finally {
    await cloud.stop();
  }
};

/** Per state machine: its executions, their statuses and the state transitions they made. */
const countTransitions = async (pipeline: LocalPipeline): Promise<MachineCount[]> => {
  const sfn = new SFNClient(pipeline.cloud.clientConfig);
  const counts: MachineCount[] = [];
  for (const m of (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []) {
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn, maxResults: 100 }),
    );
    let transitions = 0;
    for (const e of executions) transitions += await pipeline.stateTransitions(e.executionArn!);
    counts.push({
      machine: m.name!.replace(`ami-lifecycle-${STAGE}-`, ''),
      executions: executions.length,
      transitions,
      status: executions.map((e) => e.status ?? 'UNKNOWN'),
    });
  }
  return counts;
};
