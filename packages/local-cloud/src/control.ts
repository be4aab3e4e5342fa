import { z } from 'zod';
import type { EventLog } from './events';
import { type FaultInjector, FaultUpdateSchema } from './faults';
import type { ControlHandler } from './server';
import type { EventsService } from './services/events';
import { CveFeedEntrySchema, type Inspector2Service } from './services/inspector2';
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

export interface ControlDeps {
  clock: SimClock;
  faults: FaultInjector;
  events: EventLog;
  endpoint(): string;
  /** The signing names the cloud answers for, proxied ones included. */
  services(): string[];
  /** DynamoDB Local's state, probed on each call; undefined when the cloud runs without it. */
  dynamodb(): Promise<{ endpoint: string; up: boolean } | undefined>;
  /** EventBridge's deliveries and dead letters, for `GET /_local/events`. */
  eventbridge?: () => Pick<EventsService, 'deliveries' | 'deadLetters'>;
  /** Inspector2's feed, for `/_local/inspector/cves`. */
  inspector?: () => Pick<Inspector2Service, 'addCve' | 'cves'>;
}

type Reply = { status: number; body: unknown };

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

const clockState = (clock: SimClock) => ({
  time: clock.now().toISOString(),
  speed: clock.getSpeed(),
  pending: clock.pending(),
});

/**
 * The control API under `/_local/`, served on the edge's port: health, the simulated clock, faults and
 * the event log. Bodies are JSON, validated with zod; a bad one is answered 400 with the field's path.
 */
export const createControlApi = (deps: ControlDeps): ControlHandler => {
  const routes: Record<string, Partial<Record<string, (body: unknown) => Promise<Reply>>>> = {
    '/_local/health': {
      GET: async () => {
        const dynamodb = await deps.dynamodb();
        return {
          status: 200,
          body: {
            status: dynamodb === undefined || dynamodb.up ? 'ok' : 'degraded',
            endpoint: deps.endpoint(),
            services: deps.services(),
            clock: clockState(deps.clock),
            dynamodb: dynamodb ?? { enabled: false },
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
  };

  return async (method, path, body) => {
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
    return handler(body);
  };
};
