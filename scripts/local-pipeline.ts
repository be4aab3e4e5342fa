// Driving the deployed services on the local cloud from outside, as the CLI or a schedule would: store
// family configs, put `Build Requested` on the bus, and follow the image and the executions on the
// simulated clock, always within a bound. Shared by `npm start`, the bench and the end-to-end tests.
import { buildIdFor } from '@ami-lifecycle/build-service';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { type BuildRequestedDetail, buildRequested } from '@ami-lifecycle/contracts';
import { type FamilyConfig, type Image, organizationConfigOf, type Policy } from '@ami-lifecycle/core';
import { dailySweepId } from '@ami-lifecycle/decommission-service';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import {
  DescribeInstancesCommand,
  EC2Client,
  EnableImageBlockPublicAccessCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';

export class PipelineTimeoutError extends Error {
  constructor(what: string, seconds: number, last: string) {
    super(`${what} did not happen within ${seconds / 60} simulated minutes (last seen: ${last})`);
    this.name = 'PipelineTimeoutError';
  }
}

/** An entry of the local Inspector2's CVE feed, as its control API answers it. */
export interface CveEntry {
  vulnerabilityId: string;
  packageName: string;
  family?: 'rpm' | 'deb';
  fixedVersion?: string;
  affectsVersionsBelow?: string;
  introducedIn?: string;
  severity: string;
  cvssScore: number;
  title: string;
}

/** The id the daily schedule gives the retention sweep it starts at `at`: `sweep-<YYYY-MM-DD>`. */
/** The id of the daily sweep that runs at `at`: the decommission service's own rule. */
export const dailySweepIdAt = (at: number | Date): string => dailySweepId(new Date(at).toISOString());

/** The deployed stage's table and bus, and the catalog over them. */
export class LocalPipeline {
  readonly catalog: DynamoDbCatalog;
  readonly bus: string;

  constructor(
    readonly cloud: LocalCloud,
    readonly stage = 'local',
  ) {
    this.catalog = new DynamoDbCatalog({
      tableName: `ami-lifecycle-${stage}`,
      client: createDocumentClient(cloud.clientConfig),
    });
    this.bus = `ami-lifecycle-${stage}`;
  }

  /** Stores each family's config as its next version, as `amictl config apply` would. */
  async storeFamilies(families: Readonly<Record<string, FamilyConfig>>): Promise<void> {
    for (const [name, config] of Object.entries(families)) {
      const current = await this.catalog.getFamilyConfig(name);
      await this.catalog.putFamilyConfig(
        name,
        { ...config, name },
        {
          expectedCurrent: current?.version ?? null,
          at: this.cloud.clock.now().toISOString(),
          by: 'local-pipeline',
        },
      );
    }
  }

  /** Stores the policy's organisation sections (accounts, roles, regions, sweep guards) as their next version. */
  async storeOrganization(policy: Policy): Promise<void> {
    const current = await this.catalog.getOrganizationConfig();
    await this.catalog.putOrganizationConfig(organizationConfigOf(policy), {
      expectedCurrent: current?.version ?? null,
      at: this.cloud.clock.now().toISOString(),
      by: 'local-pipeline',
    });
  }

  /** Puts a contract-checked `Build Requested` on the bus; answers the detail and the build id it gets. */
  async requestBuild(
    family: string,
    key: string,
    overrides: Partial<BuildRequestedDetail> = {},
  ): Promise<{ detail: BuildRequestedDetail; buildId: string }> {
    const detail = buildRequested.schema.parse({
      schemaVersion: 1,
      family,
      correlationId: `corr-${key}`,
      idempotencyKey: key,
      occurredAt: this.cloud.clock.now().toISOString(),
      reason: 'manual',
      requestedBy: 'local-pipeline',
      force: false,
      ...overrides,
    });
    await this.put('Build Requested', detail);
    return { detail, buildId: buildIdFor(family, detail.idempotencyKey) };
  }

  /** Puts one of our events on the bus; a refused entry is an error naming why. */
  async put(detailType: string, detail: object): Promise<void> {
    const out = await new EventBridgeClient(this.cloud.clientConfig).send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'ami-lifecycle',
            DetailType: detailType,
            Detail: JSON.stringify(detail),
            EventBusName: this.bus,
          },
        ],
      }),
    );
    if (out.FailedEntryCount) {
      const entry = out.Entries?.[0];
      throw new Error(`the bus refused ${detailType}: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
    }
  }

  /** Injects a fault into the local cloud (`POST /_local/faults`); a refused rule is an error naming why. */
  async injectFault(rule: object): Promise<void> {
    const res = await fetch(`${this.cloud.endpoint}/_local/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });
    if (res.status !== 200)
      throw new Error(`the local cloud refused the fault ${JSON.stringify(rule)}: ${await res.text()}`);
  }

  /**
   * Adds (or replaces) an entry of the local Inspector2's CVE feed (`POST /_local/inspector/cves`), as a
   * vendor publishing an advisory: every scanned instance is evaluated against it before this answers.
   * Answers the local cloud's reply: the entry, whether it replaced one, and the instances it affects.
   */
  async addCve(entry: object): Promise<{ entry: CveEntry; replaced: boolean; affectedInstances: string[] }> {
    const res = await fetch(`${this.cloud.endpoint}/_local/inspector/cves`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(entry),
    });
    if (res.status !== 200)
      throw new Error(`the local cloud refused the CVE ${JSON.stringify(entry)}: ${await res.text()}`);
    return (await res.json()) as { entry: CveEntry; replaced: boolean; affectedInstances: string[] };
  }

  /** The local Inspector2's CVE feed as it stands (`GET /_local/inspector/cves`). */
  async cves(): Promise<CveEntry[]> {
    const res = await fetch(`${this.cloud.endpoint}/_local/inspector/cves`);
    if (res.status !== 200)
      throw new Error(`the local cloud did not answer its CVE feed: ${await res.text()}`);
    return ((await res.json()) as { cves: CveEntry[] }).cves;
  }

  /**
   * Turns image block public access on in each region, as an organisation's account baseline does:
   * the publish service refuses to share in a region where it is off.
   */
  async blockPublicImageSharing(regions: readonly string[]): Promise<void> {
    for (const region of regions) {
      await new EC2Client({ ...this.cloud.clientConfig, region }).send(
        new EnableImageBlockPublicAccessCommand({ ImageBlockPublicAccessState: 'block-new-sharing' }),
      );
    }
  }

  /** The catalog image of a build, by the build id its request gave it. */
  async imageOfBuild(family: string, buildId: string): Promise<Image | undefined> {
    return (await this.catalog.listImagesByFamily(family, { limit: 100 })).items.find(
      (i) => i.buildId === buildId,
    );
  }

  /** The details of one detail-type put on the bus so far (our own events), of one family if named. */
  ingested(detailType: string, family?: string): unknown[] {
    return this.cloud.services.events
      .ingested()
      .filter(
        (e) =>
          e.event['detail-type'] === detailType &&
          (family === undefined || (e.event.detail as { family?: unknown }).family === family),
      )
      .map((e) => e.event.detail);
  }

  /** Instances not (yet) shutting down that carry every one of the tags: what a clean-up left behind. */
  async runningInstances(tags: Readonly<Record<string, string>>): Promise<Instance[]> {
    const out = await new EC2Client(this.cloud.clientConfig).send(
      new DescribeInstancesCommand({
        Filters: [
          ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
      }),
    );
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  /**
   * Advances the clock in steps until `done` answers true, at most `maxSeconds`; throws with the last
   * thing `describe` said otherwise.
   */
  async advanceUntil(
    what: string,
    done: () => Promise<boolean>,
    options: { maxSeconds: number; stepSeconds?: number; describe?: () => Promise<string> },
  ): Promise<void> {
    const step = options.stepSeconds ?? 30;
    for (let waited = 0; waited <= options.maxSeconds; waited += step) {
      if (await done()) return;
      await this.cloud.clock.advance(step);
    }
    if (await done()) return;
    throw new PipelineTimeoutError(what, options.maxSeconds, (await options.describe?.()) ?? 'nothing');
  }

  /**
   * Runs the clock a minute at a time until `done`, letting the functions invoked so far finish before each
   * check: a sweep reads its inventory while the clock stands, as a real one takes seconds, not the half
   * hour after which the policy calls an inventory stale.
   */
  async minuteByMinute(
    what: string,
    done: () => Promise<boolean>,
    options: { maxSeconds: number; describe?: () => Promise<string> },
  ): Promise<void> {
    for (let waited = 0; waited <= options.maxSeconds; waited += 60) {
      await this.cloud.lambda?.drain();
      // The state machines take their next step on the event loop's next turn: a check that does no I/O
      // would otherwise run the clock on without them.
      await new Promise((resolve) => setImmediate(resolve));
      if (await done()) return;
      await this.cloud.clock.advance(60);
    }
    throw new PipelineTimeoutError(what, options.maxSeconds, (await options.describe?.()) ?? 'nothing');
  }

  /**
   * The retention sweep the deployed daily schedule starts at `at` (the time of day the stage was
   * deployed): the clock runs to a minute before it, then a minute at a time around it until the sweep's
   * `Retention Sweep Completed` events are on the bus. Answers the sweep id.
   */
  async dailySweep(at: number, maxSeconds = 2 * 3600): Promise<string> {
    const sweepId = dailySweepIdAt(at);
    const ahead = (at - this.cloud.clock.nowMillis()) / 1000 - 60;
    if (ahead > 0) await this.cloud.clock.advance(ahead);
    await this.minuteByMinute(
      `retention sweep ${sweepId}`,
      async () => this.ingested('Retention Sweep Completed').some((d) => sweepIdOf(d) === sweepId),
      { maxSeconds, describe: () => this.describeExecution('decommission', sweepId) },
    );
    return sweepId;
  }

  /** How the named execution of one of the stage's state machines stands, for a timeout's "last seen". */
  async describeExecution(machine: string, name: string): Promise<string> {
    const sfn = new SFNClient(this.cloud.clientConfig);
    const stateMachineArn = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.find(
      (m) => m.name === `ami-lifecycle-${this.stage}-${machine}`,
    )?.stateMachineArn;
    if (stateMachineArn === undefined) return `no ${machine} state machine`;
    const execution = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions?.find(
      (e) => e.name === name,
    );
    if (execution?.executionArn === undefined) return `no ${machine} execution named ${name}`;
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
    return `execution ${name} ${out.status}${out.error ? `: ${out.error} ${out.cause ?? ''}` : ''}`.slice(
      0,
      2000,
    );
  }

  /** States the execution entered: what Step Functions Standard bills as state transitions. */
  async stateTransitions(executionArn: string): Promise<number> {
    const sfn = new SFNClient(this.cloud.clientConfig);
    let transitions = 0;
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
      );
      transitions += (page.events ?? []).filter((h) => h.type?.endsWith('StateEntered')).length;
      nextToken = page.nextToken;
    } while (nextToken);
    return transitions;
  }

  /**
   * Runs the clock until no execution of any state machine is running (the clean-up steps after a verdict
   * included), then lets instances that were told to terminate finish shutting down.
   */
  async settle(maxSeconds = 3600): Promise<void> {
    const sfn = new SFNClient(this.cloud.clientConfig);
    const machines = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    const running = async () => {
      let n = 0;
      for (const m of machines) {
        const out = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn, statusFilter: 'RUNNING' }),
        );
        n += out.executions?.length ?? 0;
      }
      return n;
    };
    await this.advanceUntil('every execution ended', async () => (await running()) === 0, {
      maxSeconds,
      describe: async () => `${await running()} executions running`,
    });
    await this.cloud.clock.advance(120);
  }
}

const sweepIdOf = (detail: unknown): unknown => (detail as { sweepId?: unknown }).sweepId;

/** Where the inspect service leaves an image: decided, or its verdict recorded and waiting for a person. */
export const isDecided = (image: Image | undefined): image is Image =>
  image !== undefined &&
  (['approved', 'rejected', 'failed'].includes(image.state) ||
    (image.state === 'inspecting' && image.verdict !== undefined));
