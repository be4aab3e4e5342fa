// A decommission sweep against EC2's request token buckets, on a simulated clock: the same workload run
// paced by the product's `Ec2Pacer` (plus the SDK's retries) and with the SDK's retries alone.
//
// This is a simulation, not the local cloud: a clock whose sleeps are timers on a priority queue (virtual
// time advances instantly), a server that keeps AWS's published token bucket per action (continuous
// refill, a request finding less than one token fails with RequestLimitExceeded, as
// packages/local-cloud/src/faults.ts does), and a client retry loop that follows the installed SDK's
// standard retry strategy (@smithy/core/retry StandardRetryStrategy).
import { EC2_REQUEST_BUCKETS, Ec2Pacer, type PacerClock, type TokenBucketSpec } from '@ami-lifecycle/aws';

// ---- Simulated clock --------------------------------------------------------------------------------

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** A binary heap of timers ordered by deadline, then by the order they were set. */
class TimerQueue {
  private readonly heap: Timer[] = [];
  get size(): number {
    return this.heap.length;
  }
  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SimulatedClock implements PacerClock {
  private t = 0;
  private seq = 0;
  private readonly timers = new TimerQueue();

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) =>
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve }),
    );
  }

  /** Runs `work` to the end, firing each timer once every promise has settled (a turn of the loop). */
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const watched = work.finally(() => {
      done = true;
    });
    for (;;) {
      await turn();
      if (done) return watched;
      const next = this.timers.pop();
      if (!next) throw new Error('simulation stalled: work pending and no timer left');
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
  }
}

// ---- Server: AWS's request token buckets ---------------------------------------------------------------

class ServerBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly spec: TokenBucketSpec,
    now: number,
  ) {
    this.tokens = spec.capacity;
    this.last = now;
  }
  /** Spends a token, or answers false (throttled) when less than one is there. */
  take(now: number): boolean {
    this.tokens = Math.min(
      this.spec.capacity,
      this.tokens + ((now - this.last) / 1000) * this.spec.refillPerSecond,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

class SimulatedEc2 {
  private readonly buckets = new Map<string, ServerBucket>();
  readonly calls = new Map<string, number>();
  readonly throttled = new Map<string, number>();

  constructor(
    private readonly clock: PacerClock,
    private readonly specs: Readonly<Record<string, TokenBucketSpec>>,
  ) {}

  /** One request (every sweep request is filtered or paginated: the action's ordinary bucket). */
  request(action: string): boolean {
    const spec = this.specs[action];
    if (!spec) throw new Error(`no bucket for ${action}`);
    let bucket = this.buckets.get(action);
    if (!bucket) {
      bucket = new ServerBucket(spec, this.clock.now());
      this.buckets.set(action, bucket);
    }
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    if (bucket.take(this.clock.now())) return true;
    this.throttled.set(action, (this.throttled.get(action) ?? 0) + 1);
    return false;
  }
}

// ---- Client: the SDK's standard retries ------------------------------------------------------------------

/** Deterministic uniform [0, 1) (mulberry32), standing in for the SDK's Math.random jitter. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * The installed SDK's standard mode for a throttling error: at most 3 attempts; retry n (from 0) waits
 * floor(random × min(1000 ms × 2ⁿ, 20 s)) (full jitter; base 1000 ms for throttling, 50 ms otherwise);
 * a retry spends 5 of the client's 500 retry-quota tokens, refunded when the retry succeeds, and a
 * success without retry adds 1 back (capped at 500).
 */
export const SDK_STANDARD_RETRIES = {
  maxAttempts: 3,
  throttlingBaseMs: 1000,
  maxDelayMs: 20_000,
  quota: 500,
  throttlingCost: 5,
  noRetryIncrement: 1,
} as const;

class RequestLimitExceeded extends Error {
  constructor(readonly action: string) {
    super(`${action}: RequestLimitExceeded after retries`);
  }
}

class Ec2Caller {
  private quota: number = SDK_STANDARD_RETRIES.quota;
  failed = 0;

  constructor(
    private readonly clock: PacerClock,
    private readonly server: SimulatedEc2,
    private readonly random: () => number,
    private readonly pacer: Ec2Pacer | undefined,
  ) {}

  async send(action: string): Promise<void> {
    const r = SDK_STANDARD_RETRIES;
    let retryCost: number | undefined;
    for (let retries = 0; ; retries += 1) {
      // The pacing middleware sits after the retry middleware: every attempt takes a token.
      if (this.pacer) await this.pacer.take(action);
      if (this.server.request(action)) {
        this.quota = Math.min(r.quota, this.quota + (retryCost ?? r.noRetryIncrement));
        return;
      }
      if (retries + 1 >= r.maxAttempts || this.quota < r.throttlingCost) {
        this.failed += 1;
        throw new RequestLimitExceeded(action);
      }
      this.quota -= r.throttlingCost;
      retryCost = r.throttlingCost;
      await this.clock.sleep(
        Math.floor(this.random() * Math.min(r.throttlingBaseMs * 2 ** retries, r.maxDelayMs)),
      );
    }
  }
}

// ---- Workload -----------------------------------------------------------------------------------------

export const WORKLOAD = {
  managedImages: 10_000,
  toRetire: 2_000,
  describeImagesPage: 1000,
  imageReferencesBatch: 10,
  /** The requests of one retirement, in order. */
  perRetirement: [
    'DescribeImages', // the image's tags read again: only a managed image is acted on
    'DescribeImageReferences', // usage asked again just before acting
    'DescribeSnapshots', // the image's snapshots
    'DescribeSnapshots', // whether another image still uses them
    'DeregisterImage',
    'DeleteSnapshot',
  ],
} as const;

/** The sweep's two sequential phases and the requests of each, per action. */
export const phaseCalls = (): Record<string, number>[] => {
  const w = WORKLOAD;
  const retire: Record<string, number> = {};
  for (const a of w.perRetirement) retire[a] = (retire[a] ?? 0) + w.toRetire;
  return [
    {
      DescribeImages: Math.ceil(w.managedImages / w.describeImagesPage),
      DescribeImageReferences: Math.ceil(w.managedImages / w.imageReferencesBatch),
    },
    retire,
  ];
};

/**
 * Lower bound on any schedule's duration, in seconds. An action's requests beyond its bucket's capacity
 * come at most `refill` a second, so n requests take at least max(0, n − capacity) / refill. The
 * retirements cannot start before the inventory has been read, and no bucket ever holds more than its
 * capacity, so each phase needs at least its slowest action's bound and the sweep at least their sum;
 * the whole sweep also needs each action's bound over both phases (an action a bucket serves in both
 * phases, drained in the first, cannot refill past that). The bound is the larger of the two.
 */
export const tokenBucketBound = (
  phases: Record<string, number>[],
  specs: Readonly<Record<string, TokenBucketSpec>> = EC2_REQUEST_BUCKETS,
): { seconds: number; perPhase: { seconds: number; action: string }[] } => {
  const actionBound = (action: string, n: number) => {
    const s = specs[action]!;
    return Math.max(0, n - s.capacity) / s.refillPerSecond;
  };
  const perPhase = phases.map((calls) => {
    let best = { seconds: 0, action: '' };
    for (const [a, n] of Object.entries(calls)) {
      const b = actionBound(a, n);
      if (b > best.seconds) best = { seconds: b, action: a };
    }
    return best;
  });
  const totals: Record<string, number> = {};
  for (const calls of phases) for (const [a, n] of Object.entries(calls)) totals[a] = (totals[a] ?? 0) + n;
  const whole = Math.max(...Object.entries(totals).map(([a, n]) => actionBound(a, n)));
  return {
    seconds: Math.max(
      whole,
      perPhase.reduce((s, p) => s + p.seconds, 0),
    ),
    perPhase,
  };
};

export interface SweepRun {
  mode: 'paced' | 'unpaced';
  simulatedSeconds: number;
  ec2Calls: number;
  throttledCalls: number;
  throttledShare: number;
  callsPerImage: number;
  failedRequests: number;
  imagesRetired: number;
  imagesNotRetired: number;
  referenceBatchesUnread: number;
  throttledByAction: Record<string, number>;
  wallMs: number;
}

/** One sweep by one worker: the inventory, then each retirement's requests in order. */
const runSweep = async (mode: 'paced' | 'unpaced', seed: number): Promise<SweepRun> => {
  const started = performance.now();
  const clock = new SimulatedClock();
  const server = new SimulatedEc2(clock, EC2_REQUEST_BUCKETS);
  const pacer = mode === 'paced' ? new Ec2Pacer({ clock }) : undefined;
  const ec2 = new Ec2Caller(clock, server, seeded(seed), pacer);
  const w = WORKLOAD;
  const [inventory] = phaseCalls() as [Record<string, number>];
  let referenceBatchesUnread = 0;
  let imagesRetired = 0;
  const sweep = async () => {
    for (let page = 0; page < inventory.DescribeImages!; page += 1) await ec2.send('DescribeImages');
    for (let batch = 0; batch < inventory.DescribeImageReferences!; batch += 1) {
      // A batch that stays throttled leaves its images' usage unknown; the sweep goes on with the rest.
      await ec2.send('DescribeImageReferences').catch(() => {
        referenceBatchesUnread += 1;
      });
    }
    for (let image = 0; image < w.toRetire; image += 1) {
      try {
        for (const action of w.perRetirement) await ec2.send(action);
        imagesRetired += 1;
      } catch (err) {
        // A retirement whose request stays throttled is left for the next sweep.
        if (!(err instanceof RequestLimitExceeded)) throw err;
      }
    }
  };
  await clock.run(sweep());
  const ec2Calls = [...server.calls.values()].reduce((s, n) => s + n, 0);
  const throttledCalls = [...server.throttled.values()].reduce((s, n) => s + n, 0);
  return {
    mode,
    simulatedSeconds: clock.now() / 1000,
    ec2Calls,
    throttledCalls,
    throttledShare: ec2Calls === 0 ? 0 : throttledCalls / ec2Calls,
    callsPerImage: ec2Calls / w.managedImages,
    failedRequests: ec2.failed,
    imagesRetired,
    imagesNotRetired: w.toRetire - imagesRetired,
    referenceBatchesUnread,
    throttledByAction: Object.fromEntries(server.throttled),
    wallMs: performance.now() - started,
  };
};

export interface DecommissionSweepBench {
  workload: typeof WORKLOAD;
  phases: Record<string, number>[];
  bound: ReturnType<typeof tokenBucketBound>;
  paced: SweepRun;
  unpaced: SweepRun;
}

export const benchDecommissionSweep = async (seed = 20261205): Promise<DecommissionSweepBench> => {
  const phases = phaseCalls();
  return {
    workload: WORKLOAD,
    phases,
    bound: tokenBucketBound(phases),
    paced: await runSweep('paced', seed),
    unpaced: await runSweep('unpaced', seed),
  };
};

if (require.main === module) {
  benchDecommissionSweep().then((r) => console.log(JSON.stringify(r, null, 2)));
}
