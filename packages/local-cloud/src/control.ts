import { z } from 'zod';
import { AwsError } from './errors';
import type { EventLog } from './events';
import { type FaultInjector, FaultUpdateSchema } from './faults';
import type { AsyncFailure } from './lambda/runtime';
import type { ControlHandler } from './server';
import type { EventsService } from './services/events';
import { CveFeedEntrySchema, type Inspector2Service } from './services/inspector2';
import type { SnsService, Subscription } from './services/sns';
import type { SqsService } from './services/sqs';
import type { SimClock } from './sim-clock';

/** Ten years: an advance beyond that is a typo, and would run every periodic task a million times. */
const MAX_ADVANCE_SECONDS = 10 * 365 * 86_400;
const MAX_SPEED = 1_000_000;

export const ClockUpdateSchema = z
  .strictObject({
    /** Runs everything due in the next N simulated seconds, then answers. */
    advanceSeconds: z.number().min(0).max(MAX_ADVANCE_SECONDS).optional(),
    /** Simulated seconds per real second; 0 stops the clock between advances. */
    speed: z.number().min(0).max(MAX_SPEED).optional(),
  })
  .refine((b) => b.advanceSeconds !== undefined || b.speed !== undefined, {
    message: 'give advanceSeconds or speed',
  });

/**
 * The longest string each field of a control body may hold, by route and field path (`*`: every element
 * of a list), sized to what the field carries; where the schema already bounds a field, the same bound.
 * A string at a path not listed here may hold `DEFAULT_STRING_LIMIT` characters. The limits are checked
 * before the schema, so an oversized value is refused, named with its limit, and never copied into an
 * answer or into the cloud's state.
 */
export const CONTROL_STRING_LIMITS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  '/_local/faults': {
    // Signing names (`ec2`, `execute-api`) and API operation names (`DescribeImageReferences`) are words.
    service: 64,
    operation: 128,
    // The longest Region names (`ap-southeast-5`, `us-gov-west-1`) are under 20 characters.
    region: 32,
    errorCode: 128,
    crash: 16,
  },
  '/_local/inspector/cves': {
    // CVE, GHSA and ALAS ids are about 20 characters; 128 as the schema says.
    vulnerabilityId: 128,
    packageName: 256,
    family: 16,
    // rpm epoch:version-release and Debian versions stay well under 128 characters.
    fixedVersion: 128,
    affectsVersionsBelow: 128,
    introducedIn: 128,
    severity: 16,
    // A CVSS 4.0 vector with every supplemental metric is about 200 characters.
    cvssVector: 256,
    title: 1024,
    description: 1024,
    source: 64,
    sourceUrl: 2048,
    'referenceUrls.*': 2048,
    publishedAt: 64,
  },
  '/_local/sns/confirm': {
    // arn:aws:sns:<region>:<account>:<topic of up to 256 characters>:<uuid>
    subscriptionArn: 512,
    topicArn: 512,
    // An email address has at most 254 characters.
    endpoint: 512,
    // The tokens the cloud sends are 128 hexadecimal characters.
    token: 256,
  },
};

/**
 * `POST /_local/sns/confirm`: a pending subscription, by its ARN, by its topic and endpoint, or by its
 * topic and a token it was sent, confirmed as its recipient would confirm it.
 */
export const SnsConfirmSchema = z
  .strictObject({
    subscriptionArn: z.string().min(1).optional(),
    topicArn: z.string().min(1).optional(),
    endpoint: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
  })
  .refine(
    (b) =>
      b.subscriptionArn !== undefined
        ? b.topicArn === undefined && b.endpoint === undefined && b.token === undefined
        : b.topicArn !== undefined && (b.endpoint === undefined) !== (b.token === undefined),
    { message: 'give subscriptionArn, or topicArn with endpoint or with token' },
  );

/** Any string of a control body at a path `CONTROL_STRING_LIMITS` does not list. */
export const DEFAULT_STRING_LIMIT = 256;
/** Field names of control bodies are short words; a longer one is refused without being echoed whole. */
export const MAX_FIELD_NAME_LENGTH = 64;
/** The deepest a control body nests (the deepest schema, a fault rule's `bucket`, has two levels). */
export const MAX_CONTROL_BODY_DEPTH = 8;
/** At most this many limit problems are listed: enough to fix a body, not a second copy of it. */
const MAX_LIMIT_ISSUES = 20;

/** What each route's body is, in its errors. */
const SUBJECTS: Readonly<Record<string, string>> = {
  '/_local/clock': 'clock request',
  '/_local/faults': 'fault rule',
  '/_local/inspector/cves': 'CVE feed entry',
  '/_local/sns/confirm': 'SNS subscription confirmation',
};

interface LimitIssue {
  path: string;
  message: string;
  limit: number;
}

const shownKey = (key: string): string =>
  key.length <= MAX_FIELD_NAME_LENGTH ? key : `${key.slice(0, 32)}...`;

/**
 * The strings and field names of a control body over their limits, and where it nests too deep, each
 * with its path (list elements by index). Walks with a stack of its own: a deep body cannot exhaust
 * the call stack.
 */
export const overLimits = (route: string, body: unknown): LimitIssue[] => {
  const limits = CONTROL_STRING_LIMITS[route] ?? {};
  const issues: LimitIssue[] = [];
  const pending: { value: unknown; path: string[]; pattern: string[] }[] = [
    { value: body, path: [], pattern: [] },
  ];
  while (pending.length > 0 && issues.length < MAX_LIMIT_ISSUES) {
    const { value, path, pattern } = pending.pop() as (typeof pending)[number];
    const at = path.join('.') || '(body)';
    if (typeof value === 'string') {
      const limit = limits[pattern.join('.')] ?? DEFAULT_STRING_LIMIT;
      if (value.length > limit) {
        issues.push({
          path: at,
          limit,
          message: `must be at most ${limit} characters (got ${value.length})`,
        });
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_CONTROL_BODY_DEPTH) {
      issues.push({
        path: at,
        limit: MAX_CONTROL_BODY_DEPTH,
        message: `nests deeper than ${MAX_CONTROL_BODY_DEPTH} levels`,
      });
      continue;
    }
    if (Array.isArray(value)) {
      for (const [i, element] of value.entries()) {
        pending.push({ value: element, path: [...path, String(i)], pattern: [...pattern, '*'] });
      }
      continue;
    }
    for (const [key, element] of Object.entries(value)) {
      if (key.length > MAX_FIELD_NAME_LENGTH) {
        issues.push({
          path: [...path, shownKey(key)].join('.'),
          limit: MAX_FIELD_NAME_LENGTH,
          message: `is a field name of ${key.length} characters; field names have at most ${MAX_FIELD_NAME_LENGTH}`,
        });
        continue;
      }
      pending.push({ value: element, path: [...path, key], pattern: [...pattern, key] });
    }
  }
  return issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};

export interface ControlDeps {
  clock: SimClock;
  faults: FaultInjector;
  events: EventLog;
  endpoint(): string;
  /** The signing names the cloud answers for, proxied ones included. */
  services(): string[];
  /** DynamoDB Local's state, probed on each call; undefined when the cloud runs without it. */
  dynamodb(): Promise<{ endpoint: string; up: boolean } | undefined>;
  /**
   * Where the start is: `GET /_local/health` answers 200 only once it is `ready` (and DynamoDB Local, if
   * any, answers), 503 with what it waits for, or with the error of a failed start, before. Without it
   * the cloud counts as started.
   */
  startup?: () => StartupView;
  /** EventBridge's deliveries and dead letters, for `GET /_local/events`. */
  eventbridge?: () => Pick<EventsService, 'deliveries' | 'deadLetters'>;
  /** Inspector2's feed, for `/_local/inspector/cves`. */
  inspector?: () => Pick<Inspector2Service, 'addCve' | 'cves'>;
  /** The SQS queues and what they hold (the events dead-letter queue), for `GET /_local/events`. */
  queues?: () => ReturnType<SqsService['peek']>;
  /** Asynchronous invocations Lambda gave up on, for `GET /_local/events`. */
  lambdaFailures?: () => readonly AsyncFailure[];
  /** SNS: what endpoints received, and the recipient's side of subscriptions, for `/_local/sns/*`. */
  sns?: () => Pick<
    SnsService,
    'messages' | 'confirm' | 'unsubscribeByLink' | 'signingKey' | 'subscriptionAttributes'
  >;
}

type Reply = { status: number; body: unknown };

/** The start as the health check reports it. */
export interface StartupView {
  phase: 'starting' | 'ready' | 'failed';
  /** The parts not ready yet: `dynamodb` (DynamoDB Local answering), `deploy` (serverless.yml deployed). */
  waitingFor: string[];
  /** Why the start failed, and in which part. */
  error?: { during: string; message: string };
  /** What the deploy put on the cloud, once deployed; null without a deploy. */
  deployment?: unknown;
  /** The state directory and the save it continued from; null without one. */
  state?: unknown;
}

/** A 400 naming each bad field by its path, so a caller can fix the body without reading the source. */
const invalid = (what: string, error: z.ZodError): Reply => {
  const issues = error.issues.flatMap((i) => {
    const at = i.path.map(String);
    // zod reports unknown keys once, at their parent; a caller wants each key named where it is.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ path: [...at, k].join('.'), message: 'unknown field' }));
    }
    return [{ path: at.join('.') || '(body)', message: i.message }];
  });
  return {
    status: 400,
    body: { error: `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues },
  };
};

/** An SNS refusal as the control API answers it: 404 for what is not there, 400 otherwise. */
const snsFailure = (error: unknown): Reply => {
  if (!(error instanceof AwsError)) throw error;
  return { status: error.code === 'NotFound' ? 404 : 400, body: { error: error.message, code: error.code } };
};

const noSns: Reply = { status: 404, body: { error: 'this cloud runs without SNS' } };

const clockState = (clock: SimClock) => ({
  time: clock.now().toISOString(),
  speed: clock.getSpeed(),
  pending: clock.pending(),
});

/**
 * The control API under `/_local/`, served on the edge's port: health, the simulated clock, faults and
 * the event log. Bodies are JSON (at most `MAX_CONTROL_BODY_BYTES` of `server.ts`, refused with 413 by the edge before
 * they are read), their strings within `CONTROL_STRING_LIMITS`, then validated with zod; a bad one is
 * answered 400 with the field's path and, for a limit, the limit.
 */
export const createControlApi = (deps: ControlDeps): ControlHandler => {
  const confirmed = (
    sns: NonNullable<ReturnType<NonNullable<ControlDeps['sns']>>>,
    s: Subscription,
  ): Reply => ({
    status: 200,
    body: { subscription: sns.subscriptionAttributes(s) },
  });
  const routes: Record<
    string,
    Partial<Record<string, (body: unknown, query: URLSearchParams) => Promise<Reply>>>
  > = {
    '/_local/health': {
      GET: async () => {
        const startup = deps.startup?.() ?? { phase: 'ready', waitingFor: [] };
        const base = { endpoint: deps.endpoint(), services: deps.services(), clock: clockState(deps.clock) };
        if (startup.phase === 'failed') {
          return {
            status: 503,
            body: {
              status: 'failed',
              failedDuring: startup.error?.during,
              error: startup.error?.message,
              waitingFor: startup.waitingFor,
              ...base,
            },
          };
        }
        if (startup.phase === 'starting') {
          return { status: 503, body: { status: 'starting', waitingFor: startup.waitingFor, ...base } };
        }
        const dynamodb = await deps.dynamodb();
        const up = dynamodb === undefined || dynamodb.up;
        return {
          // DynamoDB Local stopped answering after the start: not ready any more.
          status: up ? 200 : 503,
          body: {
            status: up ? 'ready' : 'degraded',
            ...base,
            dynamodb: dynamodb ?? { enabled: false },
            ...(startup.deployment === undefined ? {} : { deployment: startup.deployment }),
            ...(startup.state === undefined ? {} : { state: startup.state }),
          },
        };
      },
    },
    '/_local/clock': {
      GET: async () => ({ status: 200, body: clockState(deps.clock) }),
      POST: async (body) => {
        const parsed = ClockUpdateSchema.safeParse(body);
        if (!parsed.success) return invalid('clock request', parsed.error);
        if (parsed.data.speed !== undefined) deps.clock.setSpeed(parsed.data.speed);
        if (parsed.data.advanceSeconds !== undefined) {
          try {
            await deps.clock.advance(parsed.data.advanceSeconds);
          } catch (error) {
            // The clock did move; what the caller must learn is that some scheduled work failed.
            const failures = error instanceof AggregateError ? error.errors : [error];
            return {
              status: 500,
              body: {
                error: `${failures.length} scheduled task(s) failed`,
                failures: failures.map((f) => (f instanceof Error ? f.message : String(f))),
                ...clockState(deps.clock),
              },
            };
          }
        }
        return { status: 200, body: clockState(deps.clock) };
      },
    },
    '/_local/faults': {
      GET: async () => ({ status: 200, body: deps.faults.snapshot() }),
      POST: async (body) => {
        const parsed = FaultUpdateSchema.safeParse(body);
        if (!parsed.success) return invalid('fault rule', parsed.error);
        deps.faults.update(parsed.data);
        return { status: 200, body: deps.faults.snapshot() };
      },
    },
    '/_local/events': {
      GET: async () => {
        const eb = deps.eventbridge?.();
        return {
          status: 200,
          body: {
            events: deps.events.list(),
            ...(eb ? { deliveries: eb.deliveries(), deadLetters: eb.deadLetters() } : {}),
            // What an operator looks at: every queue's messages (refused events, Lambda's failure
            // records, EventBridge's dead letters), without receiving them.
            ...(deps.queues ? { queues: deps.queues() } : {}),
            ...(deps.lambdaFailures ? { lambdaFailures: deps.lambdaFailures() } : {}),
          },
        };
      },
    },
    '/_local/inspector/cves': {
      GET: async () => {
        const inspector = deps.inspector?.();
        if (!inspector) return { status: 404, body: { error: 'this cloud runs without Inspector2' } };
        return { status: 200, body: { cves: inspector.cves() } };
      },
      POST: async (body) => {
        const inspector = deps.inspector?.();
        if (!inspector) return { status: 404, body: { error: 'this cloud runs without Inspector2' } };
        const parsed = CveFeedEntrySchema.safeParse(body);
        if (!parsed.success) return invalid('CVE feed entry', parsed.error);
        // Affected instances get their findings (and events) before this answers.
        return { status: 200, body: inspector.addCve(parsed.data) };
      },
    },
    '/_local/sns/messages': {
      GET: async (_body, query) => {
        const sns = deps.sns?.();
        if (!sns) return noSns;
        const since = query.get('since') ?? undefined;
        if (since !== undefined && Number.isNaN(Date.parse(since))) {
          return {
            status: 400,
            body: { error: `since must be a time (ISO 8601), got ${JSON.stringify(since)}` },
          };
        }
        const topicArn = query.get('topicArn') ?? undefined;
        const endpoint = query.get('endpoint') ?? undefined;
        return {
          status: 200,
          body: {
            messages: sns.messages({
              ...(topicArn === undefined ? {} : { topicArn }),
              ...(endpoint === undefined ? {} : { endpoint }),
              ...(since === undefined ? {} : { since }),
            }),
          },
        };
      },
    },
    '/_local/sns/confirm': {
      POST: async (body) => {
        const sns = deps.sns?.();
        if (!sns) return noSns;
        const parsed = SnsConfirmSchema.safeParse(body);
        if (!parsed.success) return invalid('SNS subscription confirmation', parsed.error);
        const b = parsed.data;
        try {
          return confirmed(
            sns,
            sns.confirm(
              b.subscriptionArn !== undefined
                ? { subscriptionArn: b.subscriptionArn }
                : b.token !== undefined
                  ? { topicArn: b.topicArn!, token: b.token }
                  : { topicArn: b.topicArn!, endpoint: b.endpoint! },
            ),
          );
        } catch (error) {
          return snsFailure(error);
        }
      },
      // The SubscribeURL of a confirmation message: opening it confirms, as on AWS.
      GET: async (_body, query) => {
        const sns = deps.sns?.();
        if (!sns) return noSns;
        const topicArn = query.get('TopicArn');
        const token = query.get('Token');
        if (!topicArn || !token) return { status: 400, body: { error: 'the link needs TopicArn and Token' } };
        try {
          return confirmed(sns, sns.confirm({ topicArn, token }));
        } catch (error) {
          return snsFailure(error);
        }
      },
    },
    // The UnsubscribeURL of every notification: opening it unsubscribes, as on AWS.
    '/_local/sns/unsubscribe': {
      GET: async (_body, query) => {
        const sns = deps.sns?.();
        if (!sns) return noSns;
        const arn = query.get('SubscriptionArn');
        if (!arn) return { status: 400, body: { error: 'the link needs SubscriptionArn' } };
        try {
          return sns.unsubscribeByLink(arn)
            ? { status: 200, body: { unsubscribed: arn } }
            : { status: 404, body: { error: 'Subscription does not exist', code: 'NotFound' } };
        } catch (error) {
          return snsFailure(error);
        }
      },
    },
    // The SigningCertURL of every document: the public key its Signature verifies with.
    '/_local/sns/signing-key': {
      GET: async () => {
        const sns = deps.sns?.();
        if (!sns) return noSns;
        return { status: 200, body: { publicKey: sns.signingKey(), format: 'spki-pem' } };
      },
    },
  };

  return async (method, path, body, query = new URLSearchParams()) => {
    const route = routes[path];
    if (!route) {
      return { status: 404, body: { error: `no control endpoint ${path}`, endpoints: Object.keys(routes) } };
    }
    const handler = route[method];
    if (!handler) {
      return {
        status: 405,
        body: { error: `${method} ${path} is not supported`, allow: Object.keys(route) },
      };
    }
    const issues = overLimits(path, body);
    if (issues.length > 0) {
      return {
        status: 400,
        body: {
          error: `invalid ${SUBJECTS[path] ?? 'control request'}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
          issues,
        },
      };
    }
    return handler(body, query);
  };
};
