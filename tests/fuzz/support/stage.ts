import { join } from 'node:path';
import { createDocumentClient } from '@ami-lifecycle/catalog';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { capture, isRefusalCall, type Outcome } from './refusal';

export const ROOT = join(__dirname, '..', '..', '..');
export const HOME = 'eu-west-1';
export const OTHER = 'eu-central-1';

/** What the functions did while one event was handled: besides its own invocation, nothing should show. */
export interface Activity {
  /** Invocations of any function, the handled one included. */
  invocations: number;
  /** AWS calls the functions made, as `<function>: <service>:<Operation>`. */
  calls: string[];
  /** Events the emulated services emitted: EC2 and SSM state changes, Step Functions executions. */
  cloudEvents: string[];
  /** Events put on any bus. */
  busEvents: number;
}

/** The state a refused event must leave as it found it, as read through the cloud's APIs. */
export interface World {
  catalog: string;
  ec2: string;
  executions: string;
  parameters: string;
  busEvents: number;
}

/**
 * serverless.yml deployed as `stage` on a fresh local cloud, with a spy on the AWS calls its functions
 * make (the edge reports each one to the Lambda runtime) and readers of everything a refused event must
 * not change.
 */
export class FuzzStage {
  private calls: string[] = [];
  private cloudEvents: string[] = [];
  /** Every invocation's outcome, whoever asked for it (this stage, an EventBridge delivery, a task). */
  private outcomes: { functionName: string; outcome: Promise<Outcome> }[] = [];
  private unsubscribe: () => void = () => {};

  private constructor(
    readonly cloud: LocalCloud,
    readonly stage: string,
  ) {
    const runtime = cloud.lambda!;
    const record = runtime.recordCall.bind(runtime);
    runtime.recordCall = (functionName: string, action: string) => {
      this.calls.push(`${functionName}: ${action}`);
      record(functionName, action);
    };
    const invoke = runtime.invoke.bind(runtime);
    runtime.invoke = (ref: string, payload: unknown) => {
      const run = invoke(ref, payload);
      this.outcomes.push({ functionName: ref.slice(ref.lastIndexOf(':') + 1), outcome: capture(() => run) });
      return run;
    };
    this.unsubscribe = cloud.events.subscribe((event) => {
      this.cloudEvents.push(`${event.source} ${event.detailType}`);
    });
  }

  static async start(
    stage: string,
    dynamoDb: string,
    start = '2026-03-01T09:00:00.000Z',
  ): Promise<FuzzStage> {
    const cloud = await startLocalCloud({
      port: 0,
      region: HOME,
      start,
      dynamodb: { endpoint: dynamoDb },
      deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage },
    });
    return new FuzzStage(cloud, stage);
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.cloud.stop();
  }

  get tableName(): string {
    return `ami-lifecycle-${this.stage}`;
  }

  /** The deployed function of a serverless.yml key (`requestBuild` -> `ami-lifecycle-<stage>-requestBuild`). */
  functionName(key: string): string {
    return `ami-lifecycle-${this.stage}-${key}`;
  }

  functionKeys(): string[] {
    const prefix = `ami-lifecycle-${this.stage}-`;
    return this.cloud
      .lambda!.functions()
      .map((f) => f.name)
      .filter((name) => name.startsWith(prefix))
      .map((name) => name.slice(prefix.length));
  }

  /** Invokes a deployed function in process, as Lambda would, and tells what else happened meanwhile. */
  async invoke(key: string, event: unknown): Promise<{ outcome: Outcome; activity: Activity }> {
    const runtime = this.cloud.lambda!;
    const invocations = runtime.invocations().length;
    const busEvents = this.cloud.services.events.ingested().length;
    this.calls = [];
    this.cloudEvents = [];
    const outcome = await capture(() => runtime.invoke(this.functionName(key), event));
    // Whatever the handler set off without awaiting would land on the next turns of the event loop.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    return {
      outcome,
      activity: {
        invocations: runtime.invocations().length - invocations,
        calls: [...this.calls],
        cloudEvents: [...this.cloudEvents],
        busEvents: this.cloud.services.events.ingested().length - busEvents,
      },
    };
  }

  /**
   * Puts one of our events on the stage's bus, as a producer would, and lets EventBridge deliver it. Answers
   * whether the bus took it, and the outcome of each function it was delivered to.
   */
  async putOnBus(
    detailType: string,
    detail: unknown,
  ): Promise<{ accepted: boolean; delivered: { key: string; outcome: Outcome }[]; activity: Activity }> {
    const runtime = this.cloud.lambda!;
    const invocations = runtime.invocations().length;
    const busEvents = this.cloud.services.events.ingested().length;
    this.calls = [];
    this.cloudEvents = [];
    this.outcomes = [];
    const put = new EventBridgeClient(this.cloud.clientConfig).send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'ami-lifecycle',
            DetailType: detailType,
            Detail: JSON.stringify(detail),
            EventBusName: `ami-lifecycle-${this.stage}`,
          },
        ],
      }),
    );
    // The bus may refuse the request as a whole (over its size limit): then nothing was put.
    const out = await put.catch((error: Error) => {
      if (error.name !== 'ValidationException') throw error;
      return { FailedEntryCount: 1 };
    });
    // A delivery is due at once; the clock holds until the function it invokes has answered.
    await this.cloud.clock.advance(0);
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    const prefix = `ami-lifecycle-${this.stage}-`;
    const delivered = await Promise.all(
      this.outcomes.map(async ({ functionName, outcome }) => ({
        key: functionName.startsWith(prefix) ? functionName.slice(prefix.length) : functionName,
        outcome: await outcome,
      })),
    );
    return {
      accepted: !out.FailedEntryCount,
      delivered,
      activity: {
        invocations: runtime.invocations().length - invocations,
        calls: [...this.calls],
        cloudEvents: [...this.cloudEvents],
        // The event itself was put on the bus; anything more was put by a function.
        busEvents: this.cloud.services.events.ingested().length - busEvents - (out.FailedEntryCount ? 0 : 1),
      },
    };
  }

  /**
   * Lets what valid events set off (executions, their tasks, deliveries) run until nothing moves while the
   * clock stands still, so that the next reading of the world is not taken in the middle of it.
   */
  async settle(): Promise<void> {
    const runtime = this.cloud.lambda!;
    let quiet = 0;
    let last = -1;
    for (let round = 0; round < 200 && quiet < 3; round++) {
      await runtime.drain();
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      const now = runtime.invocations().length + this.cloudEvents.length;
      quiet = now === last ? quiet + 1 : 0;
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Every item of the stage's catalog table, in key order, as JSON. */
  async catalog(): Promise<string> {
    const items: Record<string, unknown>[] = [];
    const doc = createDocumentClient(this.cloud.clientConfig);
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start !== undefined);
    const key = (item: Record<string, unknown>) => `${String(item.PK)}\u0000${String(item.SK)}`;
    items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    return JSON.stringify(items);
  }

  /** Everything a refused event must leave as it was: the catalog, EC2, executions, parameters, the buses. */
  async world(): Promise<World> {
    const config = this.cloud.clientConfig;
    const regions = [...new Set([HOME, OTHER, ...this.cloud.services.ec2.regions()])].sort();

    const ec2: unknown[] = [];
    const parameters: unknown[] = [];
    for (const region of regions) {
      const client = new EC2Client({ ...config, region });
      const images = await client.send(new DescribeImagesCommand({ Owners: ['self'] }));
      const snapshots = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
      const instances = await client.send(new DescribeInstancesCommand({}));
      ec2.push({
        region,
        images: (images.Images ?? []).map((i) => [i.ImageId, i.State, i.Tags]).sort(),
        snapshots: (snapshots.Snapshots ?? []).map((s) => [s.SnapshotId, s.State, s.Tags]).sort(),
        instances: (instances.Reservations ?? [])
          .flatMap((r) => r.Instances ?? [])
          .map((i) => [i.InstanceId, i.State?.Name, i.Tags])
          .sort(),
      });
      const ssm = new SSMClient({ ...config, region });
      let token: string | undefined;
      do {
        const page = await ssm.send(
          new GetParametersByPathCommand({ Path: '/', Recursive: true, NextToken: token, MaxResults: 10 }),
        );
        parameters.push(...(page.Parameters ?? []).map((p) => [region, p.Name, p.Version, p.Value]));
        token = page.NextToken;
      } while (token !== undefined);
    }

    const sfn = new SFNClient(config);
    const executions: unknown[] = [];
    for (const machine of (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []) {
      const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn }));
      executions.push(...(listed.executions ?? []).map((e) => [machine.name, e.name, e.status]));
    }

    return {
      catalog: await this.catalog(),
      ec2: JSON.stringify(ec2),
      executions: JSON.stringify(executions.sort()),
      parameters: JSON.stringify(parameters),
      busEvents: this.cloud.services.events.ingested().length,
    };
  }
}

/** Throws unless handling the event did nothing but answer: no other invocation, write, event or execution. */
/** `invocations`: how many functions the event itself reached (two when notify takes it beside another). */
export const expectQuiet = (activity: Activity, invocations = 1): void => {
  const problems: string[] = [];
  if (activity.invocations !== invocations)
    problems.push(`${activity.invocations - invocations} other invocations`);
  const calls = activity.calls.filter((call) => !isRefusalCall(call.slice(call.indexOf(': ') + 2)));
  if (calls.length > 0) problems.push(`AWS calls ${calls.join(', ')}`);
  if (activity.cloudEvents.length > 0) problems.push(`cloud events ${activity.cloudEvents.join(', ')}`);
  if (activity.busEvents > 0) problems.push(`${activity.busEvents} events put on a bus`);
  if (problems.length > 0) throw new Error(`a refused event set things off: ${problems.join('; ')}`);
};

/** Throws when something was added to Object.prototype (a `__proto__` key that became a prototype). */
export const expectNoPrototypePollution = (): void => {
  const added = Object.getOwnPropertyNames(Object.prototype).filter((name) => !BASELINE_PROTOTYPE.has(name));
  if (added.length > 0) throw new Error(`Object.prototype was polluted with ${added.join(', ')}`);
  const probe: Record<string, unknown> = {};
  for (const name of ['polluted', 'isAdmin', 'family', 'status']) {
    if (probe[name] !== undefined) throw new Error(`every object now has "${name}"`);
  }
};

const BASELINE_PROTOTYPE = new Set(Object.getOwnPropertyNames(Object.prototype));
