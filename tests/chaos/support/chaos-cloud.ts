import { join } from 'node:path';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import type { Image } from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LocalPipeline, PipelineTimeoutError } from '../../../scripts/local-pipeline';
import { exampleFamilies, HOME, OTHER, ROOT } from '../../e2e/support/stage';

export { HOME, OTHER };
export const REGIONS = [HOME, OTHER] as const;
/** Midnight, so that every run of a file (a few simulated hours each) builds on the same day. */
export const CHAOS_START = '2026-03-01T00:00:00.000Z';
/** Simulated seconds the story moves per step: the build's and inspection's polling intervals are 30 s. */
export const STEP_SECONDS = 60;
/**
 * How long every run goes on after the story seems over, so that the last (possibly duplicated and late)
 * deliveries land and anything they start ends before the cloud is read.
 */
export const QUIET_SECONDS = 10 * 60;
/**
 * How long the cloud runs without faults after a story: longer than EventBridge's longest backoff (five
 * minutes), so a delivery still being retried shows as a failed invocation.
 */
export const AFTERMATH_SECONDS = 6 * 60;

/**
 * The test's own EC2 and SSM clients read the cloud once the faults have ended; many SDK attempts all the
 * same, so that a fault never fails a run for a reason that is not the story's.
 */
const TEST_MAX_ATTEMPTS = 12;

export interface ChaosWorld {
  cloud: LocalCloud;
  stage: string;
  pipeline: LocalPipeline;
  /** The stage's catalog, read past the cloud's faults. */
  catalog: DynamoDbCatalog;
  documents: DynamoDBDocumentClient;
  table: string;
  accountId: string;
  ec2(region: string): EC2Client;
  ssm(region: string): SSMClient;
  sfn: SFNClient;
}

/**
 * The local cloud with serverless.yml deployed as `stage` (its own table, bus and functions) on the test
 * run's DynamoDB Local, image block public access on in both regions, and terminated instances kept
 * visible for a week so that the final state lists every instance a run launched. The test file passes
 * `dynamoDbEndpoint()` itself: jest's global setup starts DynamoDB Local for the files that call it.
 */
export const startChaosCloud = async (stage: string, dynamoDb: string): Promise<ChaosWorld> => {
  const cloud = await startLocalCloud({
    port: 0,
    region: HOME,
    start: CHAOS_START,
    dynamodb: { endpoint: dynamoDb },
    deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage },
    ec2: { terminatedInstanceRetentionSeconds: 7 * 86_400 },
  });
  const pipeline = new LocalPipeline(cloud, stage);
  await pipeline.blockPublicImageSharing([...REGIONS]);
  // Straight to DynamoDB Local, not through the cloud's edge: the test's reads meet no fault, and the
  // cloud's counts of DynamoDB faults are the story's alone.
  const documents = createDocumentClient({ ...cloud.clientConfig, endpoint: dynamoDb });
  const table = `ami-lifecycle-${stage}`;
  const ec2 = new Map<string, EC2Client>();
  const ssm = new Map<string, SSMClient>();
  const config = (region: string) => ({ ...cloud.clientConfig, region, maxAttempts: TEST_MAX_ATTEMPTS });
  return {
    cloud,
    stage,
    pipeline,
    catalog: new DynamoDbCatalog({ tableName: table, client: documents }),
    documents,
    table,
    accountId: cloud.accounts.defaultAccountId,
    ec2: (region) => {
      if (!ec2.has(region)) ec2.set(region, new EC2Client(config(region)));
      return ec2.get(region)!;
    },
    ssm: (region) => {
      if (!ssm.has(region)) ssm.set(region, new SSMClient(config(region)));
      return ssm.get(region)!;
    },
    sfn: new SFNClient(cloud.clientConfig),
  };
};

/** What the chaos does around the story's steps (nothing, for the fault-free run). */
export interface StoryHooks {
  /** Before the build is requested: what must reach the request's own delivery. */
  beforeRequest?(): Promise<void>;
  /** Once the request is on the bus. */
  afterRequest?(): Promise<void>;
  /** Right after each advance of the clock, while the functions it started are running. */
  afterAdvance?(): Promise<void>;
  /** Once the functions the advance started have finished, before the story is looked at. */
  betweenSteps?(): Promise<void>;
  /** Once the story is over: the faults end here. */
  end?(): Promise<void>;
}

/** How a story ended. */
export interface StoryEnd {
  image: Image;
  buildId: string;
  /** Simulated ms at which the story began: everything the cloud made since then is the story's. */
  since: number;
  /**
   * Invocations that failed in the `AFTERMATH_SECONDS` after the faults ended: an EventBridge delivery
   * still being retried, or anything else the story left failing.
   */
  lateFailures: string[];
}

/** The stage's executions whose names mention `text`, with their machine and status. */
export const executionsOf = async (
  world: ChaosWorld,
  text: string,
): Promise<{ machine: string; name: string; status: string }[]> => {
  const machines = (await world.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
  const out: { machine: string; name: string; status: string }[] = [];
  for (const m of machines) {
    if (!m.name?.startsWith(`ami-lifecycle-${world.stage}-`)) continue;
    let nextToken: string | undefined;
    do {
      const page = await world.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn, maxResults: 100, nextToken }),
      );
      for (const e of page.executions ?? []) {
        if (e.name?.includes(text))
          out.push({
            machine: m.name.slice(`ami-lifecycle-${world.stage}-`.length),
            name: e.name,
            status: e.status ?? '?',
          });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return out;
};

/** How many executions of the stage are running (any family: the reconcilers' included). */
const runningExecutions = async (world: ChaosWorld): Promise<number> => {
  const machines = (await world.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
  let n = 0;
  for (const m of machines) {
    if (!m.name?.startsWith(`ami-lifecycle-${world.stage}-`)) continue;
    const out = await world.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn, statusFilter: 'RUNNING' }),
    );
    n += out.executions?.length ?? 0;
  }
  return n;
};

/**
 * Instances of the account in either region that are not terminated: after a story, what it left. Read
 * from the cloud's own state, so that the test's looking spends none of EC2's tokens and meets no fault.
 */
export const liveInstances = (world: ChaosWorld): string[] =>
  REGIONS.flatMap((region) =>
    world.cloud.services.ec2.instances
      .list(world.accountId, region)
      .filter((i) => i.state !== 'terminated')
      .map((i) => `${region}/${i.instanceId} ${i.state}`),
  );

/** Where the story ends: published, or stopped for good (which the comparison then shows). */
const ended = (image: Image | undefined): boolean =>
  image !== undefined && ['published', 'failed', 'rejected'].includes(image.state);

/**
 * The golden story of one family on the world's cloud: `Build Requested` on the bus, then the clock in
 * steps of `STEP_SECONDS` until the image is published (or has stopped for good), no execution runs and
 * no instance is left running, and all of that still holds `QUIET_SECONDS` later (late, duplicated
 * deliveries land in between). Every step lets the functions the advance started finish before the next
 * one, so the clock does not run away from them. Then `hooks.end()`, and `AFTERMATH_SECONDS` more on a
 * quiet cloud, in which nothing may fail.
 */
export const runStory = async (
  world: ChaosWorld,
  family: string,
  hooks: StoryHooks = {},
  maxSeconds = 12 * 3600,
): Promise<StoryEnd> => {
  const { cloud, pipeline } = world;
  const since = cloud.clock.nowMillis();
  const step = async () => {
    await cloud.lambda?.drain();
    // State machines take their next step on the event loop's next turn.
    await new Promise((resolve) => setImmediate(resolve));
  };
  try {
    await pipeline.storeFamilies({ [family]: { ...exampleFamilies()['golden-al2023']!, name: family } });
    await hooks.beforeRequest?.();
    const { buildId } = await pipeline.requestBuild(family, `${family}-story`, { force: true });
    await hooks.afterRequest?.();
    const image = async () =>
      (await world.catalog.listImagesByFamily(family, { limit: 100 })).items.find(
        (i) => i.buildId === buildId,
      );
    const settled = async () =>
      ended(await image()) && (await runningExecutions(world)) === 0 && liveInstances(world).length === 0;
    let quietUntil: number | undefined;
    const deadline = since + maxSeconds * 1000;
    for (;;) {
      await step();
      await hooks.betweenSteps?.();
      if (await settled()) {
        quietUntil ??= cloud.clock.nowMillis() + QUIET_SECONDS * 1000;
        if (cloud.clock.nowMillis() >= quietUntil) break;
      } else quietUntil = undefined;
      if (cloud.clock.nowMillis() > deadline) {
        const last = await image();
        throw new PipelineTimeoutError(
          `the ${family} story`,
          maxSeconds,
          `image ${last?.state ?? 'missing'}; ${await runningExecutions(world)} executions running; ` +
            `live instances: ${liveInstances(world).join(', ') || 'none'}; ` +
            (await pipeline.describeExecution('build', buildId)),
        );
      }
      await cloud.clock.advance(STEP_SECONDS);
      await hooks.afterAdvance?.();
    }
    await hooks.end?.();
    const quiet = cloud.clock.nowMillis();
    for (let waited = 0; waited < AFTERMATH_SECONDS; waited += STEP_SECONDS) {
      await cloud.clock.advance(STEP_SECONDS);
      await step();
    }
    const lateFailures = (cloud.lambda?.invocations() ?? [])
      .filter((i) => i.outcome !== 'succeeded' && Date.parse(i.at) >= quiet)
      .map((i) => `${i.functionName} at ${i.at}: ${i.error ?? i.outcome}`);
    return { image: (await image())!, buildId, since, lateFailures };
  } finally {
    await hooks.end?.();
  }
};
