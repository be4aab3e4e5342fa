import type { EC2Client } from '@aws-sdk/client-ec2';

/**
 * Client-side pacing of EC2 requests: one token bucket per API action, sized and refilled as AWS
 * publishes, so that a long run of calls (a decommission sweep) spends each action's bucket at its refill
 * rate instead of draining it and provoking a storm of `RequestLimitExceeded`.
 *
 * Bucket sizes and refill rates from "Request throttling for the Amazon EC2 API", Amazon EC2 Developer
 * Guide, https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html (section "Request token
 * bucket sizes and refill rates"); buckets are per account, per Region and per API action. Only the
 * actions the lifecycle's sweeps call are listed; any other action passes unpaced.
 */

export interface TokenBucketSpec {
  /** Bucket maximum capacity, in tokens. */
  capacity: number;
  /** Tokens added back per second. */
  refillPerSecond: number;
}

/** The "non-mutating actions" category (Describe*, filtered or paginated). */
const NON_MUTATING: TokenBucketSpec = { capacity: 100, refillPerSecond: 20 };
/** The "unfiltered and unpaginated non-mutating actions" category. */
const UNFILTERED_NON_MUTATING: TokenBucketSpec = { capacity: 50, refillPerSecond: 10 };
/** The "mutating actions" category. */
const MUTATING: TokenBucketSpec = { capacity: 50, refillPerSecond: 5 };

/** The request bucket of each action a sweep calls (the uncategorized ones have buckets of their own). */
export const EC2_REQUEST_BUCKETS: Readonly<Record<string, TokenBucketSpec>> = {
  DescribeImages: NON_MUTATING,
  DescribeImageReferences: NON_MUTATING,
  DescribeSnapshots: NON_MUTATING,
  DescribeInstances: NON_MUTATING,
  DescribeLaunchTemplates: NON_MUTATING,
  DescribeLaunchTemplateVersions: NON_MUTATING,
  EnableImageDeprecation: MUTATING,
  DisableImage: MUTATING,
  EnableImageDeregistrationProtection: MUTATING,
  DisableImageDeregistrationProtection: MUTATING,
  // Uncategorized actions, with buckets of their own.
  DeregisterImage: { capacity: 100, refillPerSecond: 5 },
  DeleteSnapshot: { capacity: 100, refillPerSecond: 5 },
};

/**
 * Actions whose requests with neither a filter nor pagination are counted against the smaller
 * "unfiltered and unpaginated" bucket (of those above).
 */
export const EC2_UNFILTERED_SMALL_BUCKET: ReadonlySet<string> = new Set([
  'DescribeInstances',
  'DescribeSnapshots',
]);
export const EC2_UNFILTERED_BUCKET: TokenBucketSpec = UNFILTERED_NON_MUTATING;

/** Time for the pacer: real on Lambda, simulated in tests and the bench. */
export interface PacerClock {
  /** Milliseconds, monotonic enough for bucket arithmetic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemPacerClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** One bucket: `tokens` may go below zero, each waiter owning one token of the debt, in arrival order. */
class PacedBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly spec: TokenBucketSpec,
    now: number,
  ) {
    this.tokens = spec.capacity;
    this.last = now;
  }

  /** Spends a token now and answers how long (ms) the caller must wait until it exists; 0 if it does. */
  reserve(now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(
        this.spec.capacity,
        this.tokens + ((now - this.last) / 1000) * this.spec.refillPerSecond,
      );
      this.last = now;
    }
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    // Whole milliseconds, rounded up: a token is never used before the server would have it.
    return Math.ceil((-this.tokens / this.spec.refillPerSecond) * 1000);
  }
}

export interface Ec2PacerOptions {
  clock?: PacerClock;
  /** The buckets to pace; `EC2_REQUEST_BUCKETS` unless given. */
  buckets?: Readonly<Record<string, TokenBucketSpec>>;
}

/**
 * Token buckets per EC2 action, mirroring the server's. `take` resolves when the caller's token exists:
 * at once while the bucket has tokens, else after exactly the time the refill takes to reach it (one
 * sleep, no polling). Callers of one action are served in the order they called.
 */
export class Ec2Pacer {
  private readonly clock: PacerClock;
  private readonly specs: Readonly<Record<string, TokenBucketSpec>>;
  private readonly buckets = new Map<string, PacedBucket>();

  constructor(options: Ec2PacerOptions = {}) {
    this.clock = options.clock ?? systemPacerClock;
    this.specs = options.buckets ?? EC2_REQUEST_BUCKETS;
  }

  /** Whether `action` is paced (others pass through `take` at once). */
  knows(action: string): boolean {
    return Object.hasOwn(this.specs, action);
  }

  /**
   * Waits for a token of `action`'s bucket; `unfiltered` (a request with neither filter nor
   * pagination, for the actions AWS counts apart) takes from that action's smaller bucket.
   */
  async take(action: string, options: { unfiltered?: boolean } = {}): Promise<void> {
    const bucket = this.bucketOf(action, options.unfiltered === true);
    if (!bucket) return;
    const wait = bucket.reserve(this.clock.now());
    if (wait > 0) await this.clock.sleep(wait);
  }

  private bucketOf(action: string, unfiltered: boolean): PacedBucket | undefined {
    if (!this.knows(action)) return undefined;
    const small = unfiltered && EC2_UNFILTERED_SMALL_BUCKET.has(action);
    const key = small ? `${action}:unfiltered` : action;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new PacedBucket(small ? EC2_UNFILTERED_BUCKET : this.specs[action]!, this.clock.now());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}

/** Whether an EC2 request narrows its answer (a filter, `MaxResults` or `NextToken`), as AWS counts. */
const filteredOrPaginated = (input: unknown): boolean => {
  if (typeof input !== 'object' || input === null) return false;
  const i = input as { Filters?: unknown[]; MaxResults?: unknown; NextToken?: unknown };
  return (i.Filters?.length ?? 0) > 0 || i.MaxResults !== undefined || i.NextToken !== undefined;
};

const MIDDLEWARE_NAME = 'ec2PacerMiddleware';

/** A finalize-step middleware, in the few terms it uses (the SDK's own types are a union of all steps). */
type Ec2Middleware = Parameters<EC2Client['middlewareStack']['addRelativeTo']>[0];
type Handler = (args: { input: unknown }) => Promise<unknown>;
type PacingMiddleware = (next: Handler, context: { commandName?: string }) => Handler;

/**
 * Makes `client` wait for `pacer`'s token before every attempt of a request the pacer knows: placed
 * after the SDK's retry middleware, so that each retry spends a token too, and before signing, so that
 * a request is signed when it leaves, not when it started waiting. Idempotent per client.
 */
export const pace = (client: EC2Client, pacer: Ec2Pacer): EC2Client => {
  client.middlewareStack.remove(MIDDLEWARE_NAME);
  const middleware: PacingMiddleware = (next, context) => async (args) => {
    const action = context.commandName?.replace(/Command$/, '');
    if (action !== undefined && pacer.knows(action))
      await pacer.take(
        action,
        EC2_UNFILTERED_SMALL_BUCKET.has(action) && !filteredOrPaginated(args.input)
          ? { unfiltered: true }
          : {},
      );
    return next(args);
  };
  client.middlewareStack.addRelativeTo(middleware as unknown as Ec2Middleware, {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: MIDDLEWARE_NAME,
  });
  return client;
};
