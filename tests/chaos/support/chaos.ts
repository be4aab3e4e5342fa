import type { FaultInjector, FaultState, FaultUpdate } from '@ami-lifecycle/local-cloud';
import {
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type ChaosWorld, HOME, type StoryHooks } from './chaos-cloud';

/** 5xx answers on this share of calls, before the effect. */
export const ERROR_RATE = 0.05;
/** Services whose calls fail at `ERROR_RATE`. */
export const ERROR_SERVICES = ['ec2', 'ssm', 'dynamodb'] as const;
/** Every EventBridge delivery made one to three times, each copy within this window. */
export const DUPLICATES = { max: 3, windowSeconds: 60 } as const;

/**
 * A call that takes effect and then loses its answer (`crash: "after"`), `budget` times over a story:
 * armed `first` at a time to begin with (one by default), then again, one at a time, between the story's
 * steps once the previous ones have crashed, until the budget is spent. So crashes land on different
 * steps of the state machines, and `first: 2` also crashes twice in a row. Each budget is at most the
 * number of the story's steps that make the call.
 */
export interface CrashSpec {
  service: string;
  operation: string;
  budget: number;
  first?: number;
  /** Which steps make the call, for the failure message. */
  steps: string;
}

/** Every mutating call of the build, inspect and publish state machines, and of the functions that start them. */
export const CRASHES: readonly CrashSpec[] = [
  {
    service: 'ec2',
    operation: 'RunInstances',
    budget: 2,
    steps: 'build StartBuild, inspect StartInspection',
  },
  {
    service: 'ssm',
    operation: 'SendCommand',
    budget: 5,
    first: 2,
    steps: 'build RunComponent, inspect RunTests',
  },
  { service: 'ec2', operation: 'StopInstances', budget: 1, steps: 'build StopBuilder' },
  { service: 'ec2', operation: 'CreateImage', budget: 1, steps: 'build CreateImage' },
  {
    service: 'ec2',
    operation: 'TerminateInstances',
    budget: 2,
    steps: 'build: builder on AMI available; inspect TerminateTestInstance',
  },
  { service: 'ec2', operation: 'CopyImage', budget: 1, steps: 'publish CopyToRegions' },
  { service: 'ec2', operation: 'ModifyImageAttribute', budget: 1, steps: 'publish ShareImage' },
  { service: 'ssm', operation: 'PutParameter', budget: 1, steps: 'publish WriteParameters' },
  {
    service: 'events',
    operation: 'PutEvents',
    budget: 3,
    steps: 'Image Built, Image Approved, Image Published',
  },
  {
    service: 'states',
    operation: 'StartExecution',
    budget: 3,
    steps: 'the build, inspect and publish requests',
  },
  {
    service: 'dynamodb',
    operation: 'TransactWriteItems',
    budget: 3,
    steps: 'every catalog transition',
  },
];

/** EC2 actions whose resource buckets (AWS's, per instance acted on) the neighbour empties. */
const NEIGHBOUR_ACTIONS = ['RunInstances', 'StopInstances', 'TerminateInstances'] as const;
type NeighbourAction = (typeof NEIGHBOUR_ACTIONS)[number];
/** Neither an image nor instances EC2 has: the neighbour's calls spend tokens and then fail. */
const NO_IMAGE = 'ami-00000000000000000';
const NO_INSTANCE = 'i-00000000000000000';

/** How many faults of each kind one `service:operation` met (`FaultInjector.injectedCounts`). */
export type InjectedCounts = ReturnType<FaultInjector['injectedCounts']>[string];
type Counts = Record<string, InjectedCounts>;

const add = (a: InjectedCounts, b: InjectedCounts): InjectedCounts => {
  const out: InjectedCounts = { ...a };
  for (const [k, v] of Object.entries(b) as [keyof InjectedCounts, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
};

/** `after - before`, per `service:operation` and kind, leaving out what did not change. */
export const countsSince = (before: Counts, after: Counts): Counts => {
  const out: Counts = {};
  for (const [key, counts] of Object.entries(after)) {
    const diff: InjectedCounts = {};
    for (const [kind, n] of Object.entries(counts) as [keyof InjectedCounts, number][]) {
      const d = n - (before[key]?.[kind] ?? 0);
      if (d > 0) diff[kind] = d;
    }
    if (Object.keys(diff).length > 0) out[key] = diff;
  }
  return out;
};

/**
 * Another client of the same account and Region, as on a shared AWS account: right after the clock
 * moves it spends what is left in the resource buckets of RunInstances, StopInstances and
 * TerminateInstances (AWS's, as the local cloud models them) with calls that then fail, so the story's
 * own calls of those actions, made while the clock stands, are throttled until it moves again. The faults
 * its own calls meet are counted apart (`met`), to be told from the story's.
 */
class NoisyNeighbour {
  private readonly ec2: EC2Client;
  /** Faults its own calls met, per `ec2:<action>`. */
  met: Counts = {};

  constructor(private readonly world: ChaosWorld) {
    this.ec2 = new EC2Client({ ...world.cloud.clientConfig, region: HOME, maxAttempts: 1 });
  }

  /** Tokens left in the action's resource bucket, as the cloud shows them (a bucket not made yet is full). */
  private left(buckets: FaultState['buckets'], action: NeighbourAction): number {
    const key = `${this.world.accountId}/${HOME}/ec2:${action}:resource`;
    return Math.floor(buckets.find((b) => b.key === key)?.tokens ?? 1000);
  }

  async burst(): Promise<void> {
    const { buckets } = this.world.cloud.faults.snapshot();
    for (const action of NEIGHBOUR_ACTIONS) {
      const n = Math.min(1000, this.left(buckets, action));
      if (n < 1) continue;
      const ids = Array.from({ length: n }, () => NO_INSTANCE);
      let outcome: string;
      try {
        if (action === 'RunInstances')
          await this.ec2.send(
            new RunInstancesCommand({
              ImageId: NO_IMAGE,
              InstanceType: 't3.micro',
              MinCount: 1,
              MaxCount: n,
            }),
          );
        else if (action === 'StopInstances')
          await this.ec2.send(new StopInstancesCommand({ InstanceIds: ids }));
        else await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
        outcome = 'ok';
      } catch (error) {
        const e = error as { name?: string; message?: string };
        outcome =
          e.name === 'RequestLimitExceeded'
            ? 'throttled'
            : /^injected fault/.test(e.message ?? '')
              ? 'errors'
              : 'refused';
      }
      if (outcome === 'ok')
        throw new Error(`the neighbour's ${action} took effect: it must only spend tokens`);
      if (outcome === 'throttled' || outcome === 'errors') {
        const key = `ec2:${action}`;
        this.met = { ...this.met, [key]: add(this.met[key] ?? {}, { [outcome]: 1 }) };
      }
    }
  }

  close(): void {
    this.ec2.destroy();
  }
}

/**
 * The chaos of one story: the seed; EC2 throttled with AWS's token buckets (and a noisy neighbour to
 * empty some of them); 5xx answers on `ERROR_RATE` of EC2, SSM and DynamoDB calls; every EventBridge
 * delivery made 1..3 times within `DUPLICATES.windowSeconds`; and the crashes after the effect of
 * `CRASHES`. `injected()` answers what the story itself met, from the cloud's counts.
 */
export class Chaos implements StoryHooks {
  private before: Counts = {};
  private lastStep: Counts = {};
  private readonly armed = new Map<string, number>();
  private readonly neighbour: NoisyNeighbour;
  /** After a step in which the story was throttled the neighbour holds back once (retries are bounded). */
  private holdBack = false;
  /** What the story met and the crash rules it left armed, kept when the chaos ended. */
  private final: { injected: Counts; unspent: string[] } | undefined;

  constructor(
    private readonly world: ChaosWorld,
    readonly seed: number,
  ) {
    this.neighbour = new NoisyNeighbour(world);
  }

  private async fault(rule: FaultUpdate): Promise<void> {
    await this.world.pipeline.injectFault(rule);
  }

  /** The request's own delivery is duplicated too, so the seed and the duplicates come first. */
  async beforeRequest(): Promise<void> {
    await this.fault({ clear: true, seed: this.seed });
    this.before = this.world.cloud.faults.injectedCounts();
    await this.fault({ service: 'events', duplicates: DUPLICATES });
  }

  /** The rest once the request is on the bus (the test's own PutEvents must not spend a crash). */
  async afterRequest(): Promise<void> {
    await this.fault({ service: 'ec2', throttling: true });
    for (const service of ERROR_SERVICES) await this.fault({ service, errorRate: ERROR_RATE });
    for (const c of CRASHES) await this.arm(c, c.first ?? 1);
  }

  private async arm(c: CrashSpec, times: number): Promise<void> {
    const key = `${c.service}:${c.operation}`;
    await this.fault({ service: c.service, operation: c.operation, crash: 'after', crashTimes: times });
    this.armed.set(key, (this.armed.get(key) ?? 0) + times);
  }

  async afterAdvance(): Promise<void> {
    if (this.holdBack) this.holdBack = false;
    else await this.neighbour.burst();
  }

  /** Re-arms each crash that has happened while its budget lasts; holds the neighbour back after a throttle. */
  async betweenSteps(): Promise<void> {
    const total = this.injected();
    const step = countsSince(this.lastStep, total);
    this.lastStep = total;
    if (Object.entries(step).some(([key, c]) => key.startsWith('ec2:') && (c.throttled ?? 0) > 0))
      this.holdBack = true;
    for (const c of CRASHES) {
      const key = `${c.service}:${c.operation}`;
      const armed = this.armed.get(key) ?? 0;
      if (armed < c.budget && (total[key]?.crashedAfter ?? 0) >= armed) await this.arm(c, 1);
    }
  }

  /** What the story met since the chaos began, per `service:operation` (the neighbour's calls left out). */
  injected(): Counts {
    return countsSince(
      this.neighbour.met,
      countsSince(this.before, this.world.cloud.faults.injectedCounts()),
    );
  }

  /** The crash rules still armed: crashes that never happened. */
  unspent(): string[] {
    return this.world.cloud.faults
      .snapshot()
      .rules.filter((r) => r.crash !== undefined)
      .map((r) => `${r.service}:${r.operation} x${r.crashTimes ?? 'every call'}`);
  }

  /** The story's end: clears every rule, once, keeping first what the story met for `outcome()`. */
  async end(): Promise<void> {
    if (this.final) return;
    this.final = { injected: this.injected(), unspent: this.unspent() };
    await this.fault({ clear: true });
    this.neighbour.close();
  }

  get disarmed(): boolean {
    return this.final !== undefined;
  }

  /** What the story met and the crash rules it left armed, as they stood when the chaos ended. */
  outcome(): { injected: Counts; unspent: string[] } {
    if (!this.final) throw new Error('the chaos is still armed: end() first');
    return this.final;
  }
}
