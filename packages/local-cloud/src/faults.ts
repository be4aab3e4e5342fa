import { z } from 'zod';
import { ec2RequestBucket, ec2ResourceCost } from './ec2-throttling';
import { AwsError } from './errors';
import { queryRequestParams } from './protocols/query';
import type { SimClock } from './sim-clock';
import type { FaultView, ServiceRequest } from './types';

/**
 * Real latency holds a real socket and a real test for that long, so it is opt-in (`realLatency`) and
 * capped; simulated latency (the default) waits on the simulated clock and costs nothing real.
 */
export const MAX_REAL_LATENCY_MS = 5_000;
/** Simulated latency up to a day: more is a mistake, not a fault. */
const MAX_SIMULATED_LATENCY_MS = 86_400_000;
/** Copies of one delivery: AWS documents at-least-once delivery, not how many; ten is plenty for a test. */
const MAX_DELIVERY_COPIES = 10;
/** Delivery copies spread over up to a day, EventBridge's own default retry window. */
const MAX_DELIVERY_WINDOW_SECONDS = 86_400;

const name = z.string().regex(/^(\*|[A-Za-z0-9-]+)$/, 'a service or operation name, or *');
const rate = z.number().min(0).max(1);
/** A Region name as SigV4 scopes carry it: `us-east-1`, `eu-west-1`, `us-gov-west-1`, `cn-north-1`. */
const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS Region such as us-east-1 (omit it for every Region)');

/** The fields that say which rule an update is about, as opposed to what the rule does. */
const KEY_FIELDS: readonly string[] = ['service', 'operation', 'region', 'clear', 'seed'];

/**
 * The body of `POST /_local/faults`: which rule to change (`service`, `operation`, `*` for all, and
 * optionally the `region` of the requests it applies to) and the fields to set on it; `null` removes a
 * field. `clear` first removes the matching rules (all of them without `service` or `region`); `seed`
 * restarts the random numbers, so a run with the same requests repeats.
 */
export const FaultUpdateSchema = z
  .strictObject({
    service: name.optional(),
    operation: name.optional(),
    /** Only requests signed for this Region (the SigV4 credential scope); every Region without it. */
    region: region.optional(),
    clear: z.boolean().optional(),
    seed: z.number().int().optional(),
    /** EC2: AWS's token buckets per action; other services: a `bucket` if given, else every call. */
    throttling: z.boolean().nullable().optional(),
    /** A bucket of your own instead of AWS's (EC2) or for a service without published ones. */
    bucket: z
      .strictObject({ capacity: z.number().positive(), refillPerSecond: z.number().min(0) })
      .nullable()
      .optional(),
    errorRate: rate.nullable().optional(),
    errorCode: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9.]*$/, 'an AWS error code such as InternalError')
      .nullable()
      .optional(),
    errorStatus: z.number().int().min(400).max(599).nullable().optional(),
    latencyMs: z.number().int().min(0).max(MAX_SIMULATED_LATENCY_MS).nullable().optional(),
    realLatency: z.boolean().nullable().optional(),
    /** `before`: a 500 and no effect; `after`: the effect happens and the caller still gets a 500. */
    crash: z.enum(['before', 'after']).nullable().optional(),
    /** How many calls crash before the rule lapses; every call while unset. */
    crashTimes: z.number().int().positive().nullable().optional(),
    /** Chance that work finishing later (CreateImage, CopyImage, SendCommand) ends in failure. */
    asyncFailureRate: rate.nullable().optional(),
    /**
     * EventBridge (`service: "events"`, every operation): each matched event reaches each target 1 to
     * `max` times, each copy at a random offset of up to `windowSeconds` on the simulated clock, so copies
     * of one event and of events close in time arrive out of order.
     */
    duplicates: z
      .strictObject({
        max: z.number().int().min(1).max(MAX_DELIVERY_COPIES),
        windowSeconds: z.number().min(0).max(MAX_DELIVERY_WINDOW_SECONDS),
      })
      .nullable()
      .optional(),
  })
  .superRefine((u, ctx) => {
    const ruleFields = Object.keys(u).filter((k) => !KEY_FIELDS.includes(k));
    const scoped = u.operation !== undefined || (u.region !== undefined && u.clear !== true);
    if (u.service === undefined && (ruleFields.length > 0 || scoped)) {
      ctx.addIssue({ code: 'custom', path: ['service'], message: 'required to set a fault rule (or *)' });
    }
    if (u.duplicates != null && (u.service !== 'events' || (u.operation ?? '*') !== '*')) {
      ctx.addIssue({
        code: 'custom',
        path: ['duplicates'],
        message: 'only EventBridge deliveries are duplicated: service "events", every operation',
      });
    }
    if (u.realLatency === true && (u.latencyMs ?? 0) > MAX_REAL_LATENCY_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['latencyMs'],
        message: `real latency is capped at ${MAX_REAL_LATENCY_MS} ms`,
      });
    }
  });

export type FaultUpdate = z.infer<typeof FaultUpdateSchema>;

type RuleField = Exclude<keyof FaultUpdate, 'service' | 'operation' | 'region' | 'clear' | 'seed'>;
export type FaultRule = { [K in RuleField]?: NonNullable<FaultUpdate[K]> };

/** A fault rule as `GET /_local/faults` shows it; `region` only on a rule scoped to one Region. */
export interface FaultRuleState extends FaultRule {
  service: string;
  operation: string;
  region?: string;
}

/** A small, fast, seedable PRNG (mulberry32): reproducible runs need no cryptographic quality. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/** FNV-1a, 32 bits: mixes an operation's name into the seed of its own stream. */
const fnv1a = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

/** Each service's own codes for a throttled call and for a server failure, as its SDK expects them. */
const SERVICE_ERRORS: Record<string, { throttle: [string, number]; internal: [string, number] }> = {
  ec2: { throttle: ['RequestLimitExceeded', 503], internal: ['InternalError', 500] },
  ssm: { throttle: ['ThrottlingException', 400], internal: ['InternalServerError', 500] },
  sts: { throttle: ['Throttling', 400], internal: ['InternalFailure', 500] },
  dynamodb: { throttle: ['ThrottlingException', 400], internal: ['InternalServerError', 500] },
};
const GENERIC_ERRORS = {
  throttle: ['ThrottlingException', 400],
  internal: ['InternalFailure', 500],
} as const;
const errorsOf = (service: string) => SERVICE_ERRORS[service] ?? GENERIC_ERRORS;

/** The status an injected code comes with when the rule does not say: what AWS sends with that code. */
const defaultStatus = (code: string): number => {
  if (code === 'RequestLimitExceeded' || /Unavailable/.test(code)) return 503;
  if (/Internal/.test(code)) return 500;
  return 400;
};

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Tokens at `now`: refilled continuously on the simulated clock, never above capacity. */
  level(now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.refillPerSecond);
      this.last = now;
    }
    return this.tokens;
  }

  take(n: number): void {
    this.tokens -= n;
  }
}

/** A rule's identity; `region` undefined for a rule that applies in every Region. */
interface RuleScope {
  service: string;
  operation: string;
  region: string | undefined;
}

const ruleKey = (service: string, operation: string, region?: string) =>
  `${service}:${operation}:${region ?? '*'}`;

/**
 * The rules that can apply to a request, least specific first: the operation and service as always
 * (`*:*`, `*:op`, `svc:*`, `svc:op`), each followed by its Region-scoped twin, so a Region rule refines
 * the rule of the same service and operation without Region.
 */
const candidateKeys = (service: string, operation: string, region: string | undefined): string[] =>
  (
    [
      ['*', '*'],
      ['*', operation],
      [service, '*'],
      [service, operation],
    ] as const
  ).flatMap(([s, o]) => (region === undefined ? [ruleKey(s, o)] : [ruleKey(s, o), ruleKey(s, o, region)]));

/** How many faults of each kind were injected into one `service:operation`. */
export interface InjectedCounts {
  /** Refused by a token bucket (or by a `throttling` rule without one). */
  throttled?: number;
  /** Failed by `errorRate`. */
  errors?: number;
  /** Crashed before the effect. */
  crashedBefore?: number;
  /** Took effect, then lost the answer. */
  crashedAfter?: number;
  /** Held by `latencyMs`. */
  delayed?: number;
  /** Work that finished later in failure (`asyncFailureRate`). */
  asyncFailures?: number;
  /** EventBridge (`events:Delivery`): copies made on top of the one delivery each target is due. */
  duplicates?: number;
  /** EventBridge (`events:Delivery`): copies due before a copy scheduled earlier for the same target. */
  reordered?: number;
}
export type InjectedKind = keyof InjectedCounts;

/** The pseudo-operation EventBridge's deliveries are counted under (`events:Delivery`). */
export const DELIVERY_OPERATION = 'Delivery';

export interface FaultState {
  seed: number;
  rules: FaultRuleState[];
  /** Requests waiting out a simulated latency right now (a test can wait for them before advancing). */
  delayed: number;
  buckets: { key: string; tokens: number; capacity: number; refillPerSecond: number }[];
}

/**
 * Request-level faults, applied by the edge around every operation (`beforeOperation`/`afterOperation`),
 * and the asynchronous failures services ask about (`FaultView`). Rules are per service and operation,
 * with `*` for either, and optionally per Region (the request's SigV4 Region); the most specific rule
 * wins field by field (see `candidateKeys`). Nothing is injected until a rule says so, so normal runs
 * never throttle or fail. EventBridge's dispatcher asks it how many copies of a delivery to make, and
 * when (`deliveryCopies`). Every fault injected is counted (`injectedCounts`).
 *
 * Crashes: `before` fails the call with no effect; `after` lets the call take effect and loses the
 * answer. A call the service refuses by itself spends no crash after the effect: the crash waits for a
 * call that has one.
 *
 * Latency: `latencyMs` holds the call until the simulated clock has moved that far, i.e. it passes with
 * `speed` or an explicit advance, and a clock standing still holds it (see `delayed`). Because the clock
 * runs its tasks one at a time, a scheduled task must not await a call delayed on the same clock.
 * `realLatency: true` waits in real time instead, at most `MAX_REAL_LATENCY_MS`.
 */
export class FaultInjector implements FaultView {
  private readonly rules = new Map<string, { scope: RuleScope; rule: FaultRule }>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly injected = new Map<string, InjectedCounts>();
  private seed = 1;
  /** One stream per `service:operation` (see `errorRandom`). */
  private readonly errorStreams = new Map<string, () => number>();
  private asyncRandom = seededRandom(1);
  private deliveryRandom = seededRandom(1);
  private delayedCount = 0;

  constructor(
    private readonly clock: SimClock,
    opts: { seed?: number; rules?: readonly FaultUpdate[] } = {},
  ) {
    this.reseed(opts.seed ?? 1);
    for (const rule of opts.rules ?? []) this.update(FaultUpdateSchema.parse(rule));
  }

  /**
   * Restarts the random numbers; separate streams keep request errors (one stream per operation), async
   * failures and EventBridge's delivery copies independent of one another.
   */
  reseed(seed: number): void {
    this.seed = seed;
    this.errorStreams.clear();
    this.asyncRandom = seededRandom(seed ^ 0x5bd1e995);
    this.deliveryRandom = seededRandom(seed ^ 0x27d4eb2f);
  }

  /** Applies a validated update (see `FaultUpdateSchema`). */
  update(u: FaultUpdate): void {
    if (u.clear) this.clear(u.service, u.operation, u.region);
    if (u.seed !== undefined) this.reseed(u.seed);
    if (u.service === undefined) return;
    const scope: RuleScope = { service: u.service, operation: u.operation ?? '*', region: u.region };
    const key = ruleKey(scope.service, scope.operation, scope.region);
    const rule: Record<string, unknown> = { ...this.rules.get(key)?.rule };
    let changed = false;
    for (const [field, value] of Object.entries(u)) {
      if (KEY_FIELDS.includes(field) || value === undefined) continue;
      changed = true;
      if (value === null) delete rule[field];
      else rule[field] = value;
    }
    if (!changed) return;
    if (u.throttling !== undefined || u.bucket !== undefined) this.resetBuckets(u.service, u.region);
    if (Object.keys(rule).length === 0) this.rules.delete(key);
    else this.rules.set(key, { scope, rule: rule as FaultRule });
  }

  /**
   * Removes rules: all of them, a service's, or one operation's; with `region`, only the rules scoped to
   * that Region (the rules for every Region stay).
   */
  clear(service?: string, operation?: string, region?: string): void {
    for (const [key, { scope }] of [...this.rules.entries()]) {
      if (service !== undefined && scope.service !== service) continue;
      if (operation !== undefined && scope.operation !== operation) continue;
      if (region !== undefined && scope.region !== region) continue;
      this.rules.delete(key);
    }
    this.resetBuckets(service, region);
  }

  snapshot(): FaultState {
    const now = this.clock.nowMillis();
    return {
      seed: this.seed,
      rules: [...this.rules.values()].map(({ scope, rule }) => ({
        service: scope.service,
        operation: scope.operation,
        ...(scope.region === undefined ? {} : { region: scope.region }),
        ...rule,
      })),
      delayed: this.delayedCount,
      buckets: [...this.buckets.entries()].map(([key, b]) => ({
        key,
        tokens: Math.floor(b.level(now) * 1000) / 1000,
        capacity: b.capacity,
        refillPerSecond: b.refillPerSecond,
      })),
    };
  }

  /**
   * Faults injected since the injector was made, per `service:operation`: neither `clear` nor `seed`
   * resets them, so a caller compares two readings to see what one run met.
   */
  injectedCounts(): Record<string, InjectedCounts> {
    return Object.fromEntries([...this.injected.entries()].map(([key, counts]) => [key, { ...counts }]));
  }

  /** Counts `n` injected faults of `kind` on `service:operation` (see `injectedCounts`). */
  count(service: string, operation: string, kind: InjectedKind, n = 1): void {
    if (n <= 0) return;
    const key = `${service}:${operation}`;
    const counts = this.injected.get(key) ?? {};
    counts[kind] = (counts[kind] ?? 0) + n;
    this.injected.set(key, counts);
  }

  /**
   * When each copy of one EventBridge delivery (one matched event, one target) is due, in milliseconds
   * from now: `[0]` without a `duplicates` rule for the rule's Region; otherwise 1 to `max` copies, each at
   * a random offset within the window, drawn from the seeded numbers so that a seed replays. The copies
   * beyond the first are counted as `duplicates` of `events:Delivery`.
   */
  deliveryCopies(region?: string): number[] {
    let spec: FaultRule['duplicates'];
    for (const key of [
      ruleKey('events', '*'),
      ...(region === undefined ? [] : [ruleKey('events', '*', region)]),
    ]) {
      const rule = this.rules.get(key)?.rule;
      if (rule?.duplicates) spec = rule.duplicates;
    }
    if (spec === undefined) return [0];
    const copies = 1 + Math.min(spec.max - 1, Math.floor(this.deliveryRandom() * spec.max));
    const windowMs = spec.windowSeconds * 1000;
    const delays = Array.from({ length: copies }, () => Math.floor(this.deliveryRandom() * windowMs));
    this.count('events', DELIVERY_OPERATION, 'duplicates', copies - 1);
    return delays;
  }

  /**
   * Whether work of this operation that finishes later fails. Without `region` only the rules for every
   * Region apply: a caller that knows the request's Region passes it.
   */
  asyncFailure(service: string, operation: string, region?: string): boolean {
    const p = this.effective(service, operation, region).asyncFailureRate;
    const fails = p !== undefined && p > 0 && this.asyncRandom() < p;
    if (fails) this.count(service, operation, 'asyncFailures');
    return fails;
  }

  /** The edge's `beforeOperation`: latency, throttling, injected errors, crash before the effect. */
  readonly beforeOperation = async (
    service: string,
    operation: string,
    req: ServiceRequest,
  ): Promise<void> => {
    const rule = this.effective(service, operation, req.region);
    if (rule.latencyMs) {
      this.count(service, operation, 'delayed');
      await this.delay(rule.latencyMs, rule.realLatency === true);
    }
    if (rule.throttling) this.throttle(service, operation, req, rule);
    if (
      rule.errorRate !== undefined &&
      rule.errorRate > 0 &&
      this.errorRandom(service, operation) < rule.errorRate
    ) {
      this.count(service, operation, 'errors');
      const code = rule.errorCode ?? errorsOf(service).internal[0];
      throw new AwsError(
        code,
        `injected fault: ${service}:${operation} failed`,
        rule.errorStatus ?? defaultStatus(code),
      );
    }
    if (this.takeCrash(service, operation, req.region, 'before')) {
      this.count(service, operation, 'crashedBefore');
      throw this.crashError(service, operation, 'before');
    }
  };

  /**
   * The edge's `afterOperation`: a crash after the effect loses the answer. A call the service refused
   * (an error answer, or a proxied service's error status) spends no `crashTimes`, so a crash after
   * always follows an effect.
   */
  readonly afterOperation = async (
    service: string,
    operation: string,
    req: ServiceRequest,
    res?: { status: number },
  ): Promise<void> => {
    if (res !== undefined && res.status >= 300) return;
    if (this.takeCrash(service, operation, req.region, 'after')) {
      this.count(service, operation, 'crashedAfter');
      throw this.crashError(service, operation, 'after');
    }
  };

  /**
   * The next number of the operation's own stream: the n-th call of an operation meets the same number
   * under the same seed whatever other operations were called in between, so a seed replays even when
   * concurrent callers interleave differently.
   */
  private errorRandom(service: string, operation: string): number {
    const key = `${service}:${operation}`;
    let stream = this.errorStreams.get(key);
    if (!stream) {
      stream = seededRandom(this.seed ^ fnv1a(key));
      this.errorStreams.set(key, stream);
    }
    return stream();
  }

  private effective(service: string, operation: string, region: string | undefined): FaultRule {
    const effective: FaultRule = {};
    for (const key of candidateKeys(service, operation, region)) {
      Object.assign(effective, this.rules.get(key)?.rule);
    }
    return effective;
  }

  /**
   * Whether the most specific crash rule crashes at `at`; if it does, spends one of its `crashTimes`. (The
   * most specific rule decides alone: a `before` rule for the operation hides an `after` rule for the
   * service, and the other way round.)
   */
  private takeCrash(
    service: string,
    operation: string,
    region: string | undefined,
    at: 'before' | 'after',
  ): boolean {
    for (const key of candidateKeys(service, operation, region).reverse()) {
      const rule = this.rules.get(key)?.rule;
      if (!rule?.crash) continue;
      if (rule.crash !== at) return false;
      if (rule.crashTimes !== undefined) {
        if (rule.crashTimes <= 1) {
          delete rule.crash;
          delete rule.crashTimes;
          if (Object.keys(rule).length === 0) this.rules.delete(key);
        } else rule.crashTimes -= 1;
      }
      return true;
    }
    return false;
  }

  private crashError(service: string, operation: string, at: 'before' | 'after'): AwsError {
    const [code, status] = errorsOf(service).internal;
    return new AwsError(code, `injected crash ${at} ${service}:${operation}`, status);
  }

  private async delay(ms: number, real: boolean): Promise<void> {
    this.delayedCount += 1;
    try {
      await new Promise<void>((resolve) => {
        if (real) setTimeout(resolve, Math.min(ms, MAX_REAL_LATENCY_MS));
        else this.clock.after(ms, resolve);
      });
    } finally {
      this.delayedCount -= 1;
    }
  }

  /**
   * Spends a token of the caller's bucket (per account, Region and action, as EC2 counts) or throws the
   * service's throttling error. EC2 also spends resource tokens per instance; the request is refused
   * without spending anything when either bucket is short.
   */
  private throttle(service: string, operation: string, req: ServiceRequest, rule: FaultRule): void {
    const now = this.clock.nowMillis();
    const scope = `${req.principal.accountId}/${req.region}/${service}:${operation}`;
    const wanted: { key: string; spec: { capacity: number; refillPerSecond: number }; tokens: number }[] = [];
    if (service === 'ec2') {
      const params = queryRequestParams(req.body, req.query);
      const { category, spec } = ec2RequestBucket(operation, params);
      wanted.push({ key: `${scope}:${category}`, spec: rule.bucket ?? spec, tokens: 1 });
      const resource = ec2ResourceCost(operation, params);
      if (resource) wanted.push({ key: `${scope}:resource`, spec: resource.spec, tokens: resource.tokens });
    } else if (rule.bucket) {
      wanted.push({ key: scope, spec: rule.bucket, tokens: 1 });
    }
    const [code, status] = errorsOf(service).throttle;
    if (wanted.length === 0) {
      this.count(service, operation, 'throttled');
      throw new AwsError(code, 'Rate exceeded', status);
    }
    const buckets = wanted.map((w) => {
      let bucket = this.buckets.get(w.key);
      if (!bucket) {
        bucket = new TokenBucket(w.spec.capacity, w.spec.refillPerSecond, now);
        this.buckets.set(w.key, bucket);
      }
      return { bucket, tokens: w.tokens };
    });
    if (buckets.some(({ bucket, tokens }) => bucket.level(now) < tokens)) {
      this.count(service, operation, 'throttled');
      throw new AwsError(code, service === 'ec2' ? 'Request limit exceeded.' : 'Rate exceeded', status);
    }
    for (const { bucket, tokens } of buckets) bucket.take(tokens);
  }

  /** Forgets token buckets (keyed `<account>/<region>/<service>:<action>...`): a service's, a Region's. */
  private resetBuckets(service?: string, region?: string): void {
    for (const key of [...this.buckets.keys()]) {
      const [, bucketRegion, action] = key.split('/');
      if (region !== undefined && bucketRegion !== region) continue;
      if (service === undefined || service === '*' || action?.startsWith(`${service}:`))
        this.buckets.delete(key);
    }
  }
}
