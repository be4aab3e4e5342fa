import { type AmiLifecycleEvent, parseEventBridgeEvent } from '@ami-lifecycle/contracts';
import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { classifyError } from './classify-error';
import { lambdaClock } from './clock';
import { type DeadLetterSink, REJECTED_EVENT_KIND, type RejectedEvent } from './dead-letters';
import { InvalidEventError } from './errors';
import type { IdempotencyOptions } from './idempotency';

export const METRICS_NAMESPACE = 'ami-lifecycle';

/** What a handler returns instead of throwing when it acknowledges an event without acting on it. */
export interface DroppedEvent {
  status: 'dropped';
  reason: 'invalid' | 'duplicate';
  error: { name: string; message: string };
}

/** What a handler with a dead-letter sink returns for an event it refused and kept there. */
export interface RejectedEventResult {
  status: 'rejected';
  reason: RejectedEvent['reason'];
  error: { name: string; message: string };
  deadLetter: { messageId: string };
}

export type UseCase<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

interface CommonOptions {
  /** The function's name: logger service, metrics service dimension, idempotency key prefix. */
  name: string;
  /** Records in the catalog table keyed by the event's idempotency key; off when omitted. */
  idempotency?: IdempotencyOptions;
  /** JMESPath of the correlation id in the raw event; defaults to our contracts' `detail.correlationId`. */
  correlationIdPath?: string;
  /**
   * Where an event this function refuses is kept: a malformed one, or one refused for good (a
   * `PermanentError`). Given for functions that EventBridge invokes, so the event reaches the dead-letter
   * queue at once instead of being retried for a day, or dropped with only a log line. Without it (the
   * steps of a state machine), a malformed input resolves to a `DroppedEvent` and a permanent refusal is
   * rethrown for the machine's Catch. A record the sink cannot take fails the invocation, so the event
   * is retried rather than lost.
   */
  refusedEventsTo?: DeadLetterSink;
  /** Injected in tests; by default one of each per handler module. */
  logger?: Logger;
  metrics?: Metrics;
}

export interface EventBridgeHandlerOptions<TResult> extends CommonOptions {
  /** Our own bus: the envelope and the versioned detail contract, via `parseEventBridgeEvent`. */
  event: 'eventbridge';
  useCase: UseCase<AmiLifecycleEvent, TResult>;
}

export interface SchemaHandlerOptions<S extends z.ZodType, TResult> extends CommonOptions {
  /** Any zod schema, e.g. Powertools' `EventBridgeSchema.extend(...)` for AWS-owned events. */
  event: S;
  useCase: UseCase<z.output<S>, TResult>;
}

export type KitHandler<TResult> = MiddyfiedHandler<
  unknown,
  TResult | DroppedEvent | RejectedEventResult,
  Error,
  Context
>;

/** The event as the function received it, before parsing replaced it: what a dead letter must keep. */
const RAW_EVENT = 'amiLifecycleRawEvent';

/** Replaces the raw event by the parsed one; failures are named errors that classifyError drops. */
const parseEvent = (name: string, event: z.ZodType | 'eventbridge'): MiddlewareObj<unknown> => ({
  before: (request) => {
    (request.internal as Record<string, unknown>)[RAW_EVENT] = request.event;
    if (event === 'eventbridge') {
      request.event = parseEventBridgeEvent(request.event);
      return;
    }
    const result = event.safeParse(request.event);
    if (!result.success) throw new InvalidEventError(name, result.error);
    request.event = result.data;
  },
});

/**
 * Error mapping in one place. It sets the response rather than returning it: middy stops the onError
 * chain at a returned value, and the Powertools middlewares registered before this one still have to
 * flush metrics and clear logger state.
 */
const mapErrors = (
  name: string,
  logger: Logger,
  metrics: Metrics,
  sink: DeadLetterSink | undefined,
  clock: () => Date,
): MiddlewareObj<unknown, unknown, Error, Context> => ({
  onError: async (request) => {
    const error = request.error ?? new Error('unknown error');
    const disposition = classifyError(error);
    if (disposition === 'retry' || (disposition === 'reject' && sink === undefined)) {
      logger.error('failed; rethrowing so the event is retried', { error });
      metrics.addMetric('EventsFailed', MetricUnit.Count, 1);
      return;
    }
    const summary = { name: error.name, message: error.message };
    if (sink !== undefined && (disposition === 'drop-invalid' || disposition === 'reject')) {
      const reason = disposition === 'reject' ? 'refused' : 'invalid';
      const internal = request.internal as Record<string, unknown>;
      const raw = Object.hasOwn(internal, RAW_EVENT) ? internal[RAW_EVENT] : request.event;
      const issues = (error as { issues?: unknown }).issues;
      const record: RejectedEvent = {
        kind: REJECTED_EVENT_KIND,
        version: 1,
        reason,
        functionName: request.context?.functionName || name,
        requestId: request.context?.awsRequestId ?? '',
        rejectedAt: clock().toISOString(),
        error: {
          ...summary,
          ...(Array.isArray(issues)
            ? { issues: issues.map((i) => ({ path: String(i.path), message: String(i.message) })) }
            : {}),
        },
        event: raw,
      };
      let deadLetter: { messageId: string };
      try {
        deadLetter = await sink.send(record);
      } catch (sendError) {
        // Not kept anywhere yet: fail the invocation so the event is retried (and, past its retries,
        // kept by the function's own failure destination).
        logger.error('refused an event and could not keep it in the dead-letter queue; rethrowing', {
          error,
          sendError,
        });
        metrics.addMetric('EventsFailed', MetricUnit.Count, 1);
        request.error = new Error(
          `could not keep a refused event in the dead-letter queue (${(sendError as Error).message}); refused because ${error.name}: ${error.message}`,
          { cause: error },
        );
        return;
      }
      logger.error('refused an event; kept in the dead-letter queue', {
        error,
        reason,
        messageId: deadLetter.messageId,
      });
      metrics.addMetric('EventsRejected', MetricUnit.Count, 1);
      request.response = {
        status: 'rejected',
        reason,
        error: summary,
        deadLetter,
      } satisfies RejectedEventResult;
      return;
    }
    if (disposition === 'drop-invalid') {
      // The raw event goes to the log: dropping is only safe because it can be recovered from there.
      logger.error('dropped an invalid event', { error, event: request.event });
      metrics.addMetric('InvalidEventsDropped', MetricUnit.Count, 1);
      request.response = { status: 'dropped', reason: 'invalid', error: summary } satisfies DroppedEvent;
      return;
    }
    logger.warn('dropped a duplicate or superseded event', { error });
    metrics.addMetric('DuplicateEventsDropped', MetricUnit.Count, 1);
    request.response = { status: 'dropped', reason: 'duplicate', error: summary } satisfies DroppedEvent;
  },
});

/** The options of `createHandlerWithoutIdempotency`: `createHandler`'s, records aside. */
export type PlainHandlerOptions<TOptions> = Omit<TOptions, 'idempotency'>;

/**
 * The stack of `createHandler` with `idempotent` (its idempotency middleware, when it has one) after
 * parsing. Not exported from the package: call one of the two functions.
 */
export function buildHandler(
  options:
    | PlainHandlerOptions<EventBridgeHandlerOptions<unknown>>
    | PlainHandlerOptions<SchemaHandlerOptions<z.ZodType, unknown>>,
  idempotent?: MiddlewareObj<unknown, unknown, Error, Context>,
): KitHandler<unknown> {
  const logger = options.logger ?? new Logger({ serviceName: options.name, correlationIdSearchFn: search });
  const metrics = options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: options.name });
  const useCase = options.useCase as UseCase<unknown, unknown>;

  const handler = middy<unknown, unknown, Error, Context>()
    .use(
      injectLambdaContext(logger, {
        correlationIdPath: options.correlationIdPath ?? 'detail.correlationId',
        resetKeys: true,
      }),
    )
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(mapErrors(options.name, logger, metrics, options.refusedEventsTo, () => lambdaClock.now()))
    // Parsed before the idempotency check, so a malformed event never leaves a record behind.
    .use(parseEvent(options.name, options.event));
  if (idempotent !== undefined) handler.use(idempotent);
  return handler.handler(async (event, context) => {
    const result = await useCase(event, context);
    // Every path counts: processed here, dropped or failed in mapErrors. A flush without any metric
    // would only log Powertools' "no application metrics" warning.
    metrics.addMetric('EventsProcessed', MetricUnit.Count, 1);
    return result;
  }) as KitHandler<unknown>;
}

/**
 * `createHandler` without idempotency records: the same stack, for the functions that keep none. It does
 * not name Powertools' idempotency middleware or its DynamoDB persistence layer, so a function's bundle
 * need not hold them.
 */
export function createHandlerWithoutIdempotency<TResult>(
  options: PlainHandlerOptions<EventBridgeHandlerOptions<TResult>>,
): KitHandler<TResult>;
export function createHandlerWithoutIdempotency<S extends z.ZodType, TResult>(
  options: PlainHandlerOptions<SchemaHandlerOptions<S, TResult>>,
): KitHandler<TResult>;
export function createHandlerWithoutIdempotency(
  options:
    | PlainHandlerOptions<EventBridgeHandlerOptions<unknown>>
    | PlainHandlerOptions<SchemaHandlerOptions<z.ZodType, unknown>>,
): KitHandler<unknown> {
  return buildHandler(options);
}
