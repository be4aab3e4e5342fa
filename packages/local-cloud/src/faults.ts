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
  })
  .superRefine((u, ctx) => {
    const ruleFields = Object.keys(u).filter((k) => !KEY_FIELDS.includes(k));
    const scoped = u.operation !== undefined || (u.region !== undefined && u.clear !== true);
    if (u.service === undefined && (ruleFields.length > 0 || scoped)) {
      ctx.addIssue({ code: 'custom', path: ['service'], message: 'required to set a fault rule (or *)' });
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
 * never throttle or fail.
 *
 * Latency: `latencyMs` holds the call until the simulated clock has moved that far, i.e. it passes with
 * `speed` or an explicit advance, and a clock standing still holds it (see `delayed`). Because the clock
 * runs its tasks one at a time, a scheduled task must not await a call delayed on the same clock.
 * `realLatency: true` waits in real time instead, at most `MAX_REAL_LATENCY_MS`.
 */
export class FaultInjector implements FaultView {
  private readonly rules = new Map<string, { scope: RuleScope; rule: FaultRule }>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly crashAfter = new WeakSet<ServiceRequest>();
  private seed = 1;
  private errorRandom = seededRandom(1);
  private asyncRandom = seededRandom(1);
  private delayedCount = 0;

  constructor(
    private readonly clock: SimClock,
    opts: { seed?: number; rules?: readonly FaultUpdate[] } = {},
  ) {
    this.reseed(opts.seed ?? 1);
    for (const rule of opts.rules ?? []) this.update(FaultUpdateSchema.parse(rule));
  }

  /** Restarts the random numbers; separate streams keep request errors and async failures independent. */
  reseed(seed: number): void {
    this.seed = seed;
    this.errorRandom = seededRandom(seed);
    this.asyncRandom = seededRandom(seed ^ 0x5bd1e995);
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
   * Whether work of this operation that finishes later fails. Without `region` only the rules for every
   * Region apply: a caller that knows the request's Region passes it.
   */
  asyncFailure(service: string, operation: string, region?: string): boolean {
    const p = this.effective(service, operation, region).asyncFailureRate;
    return p !== undefined && p > 0 && this.asyncRandom() < p;
  }

  /** The edge's `beforeOperation`: latency, throttling, injected errors, crash before the effect. */
  readonly beforeOperation = async (
    service: string,
    operation: string,
    req: ServiceRequest,
  ): Promise<void> => {
    const rule = this.effective(service, operation, req.region);
    if (rule.latencyMs) await this.delay(rule.latencyMs, rule.realLatency === true);
    if (rule.throttling) this.throttle(service, operation, req, rule);
    if (rule.errorRate !== undefined && rule.errorRate > 0 && this.errorRandom() < rule.errorRate) {
      const code = rule.errorCode ?? errorsOf(service).internal[0];
      throw new AwsError(
        code,
        `injected fault: ${service}:${operation} failed`,
        rule.errorStatus ?? defaultStatus(code),
      );
    }
    const crash = this.takeCrash(service, operation, req.region);
    if (crash === 'before') throw this.crashError(service, operation, 'before');
    if (crash === 'after') this.crashAfter.add(req);
  };

  /** The edge's `afterOperation`: a crash after the effect loses the answer. */
  readonly afterOperation = async (
    service: string,
    operation: string,
    req: ServiceRequest,
  ): Promise<void> => {
    if (this.crashAfter.has(req)) {
      this.crashAfter.delete(req);
      throw this.crashError(service, operation, 'after');
    }
  };

  private effective(service: string, operation: string, region: string | undefined): FaultRule {
    const effective: FaultRule = {};
    for (const key of candidateKeys(service, operation, region)) {
      Object.assign(effective, this.rules.get(key)?.rule);
    }
    return effective;
  }

  /** Finds the most specific crash rule and spends one of its `crashTimes`. */
  private takeCrash(
    service: string,
    operation: string,
    region: string | undefined,
  ): 'before' | 'after' | undefined {
    for (const key of candidateKeys(service, operation, region).reverse()) {
      const rule = this.rules.get(key)?.rule;
      if (!rule?.crash) continue;
      const at = rule.crash;
      if (rule.crashTimes !== undefined) {
        if (rule.crashTimes <= 1) {
          delete rule.crash;
          delete rule.crashTimes;
          if (Object.keys(rule).length === 0) this.rules.delete(key);
        } else rule.crashTimes -= 1;
      }
      return at;
    }
    return undefined;
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
    if (wanted.length === 0) throw new AwsError(code, 'Rate exceeded', status);
    const buckets = wanted.map((w) => {
      let bucket = this.buckets.get(w.key);
      if (!bucket) {
        bucket = new TokenBucket(w.spec.capacity, w.spec.refillPerSecond, now);
        this.buckets.set(w.key, bucket);
      }
      return { bucket, tokens: w.tokens };
    });
    if (buckets.some(({ bucket, tokens }) => bucket.level(now) < tokens)) {
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
