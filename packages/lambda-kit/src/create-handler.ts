import { type AmiLifecycleEvent, parseEventBridgeEvent } from '@ami-lifecycle/contracts';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { classifyError } from './classify-error';
import { InvalidEventError } from './errors';
import { catalogPersistenceLayer, type IdempotencyOptions, idempotencyConfig } from './idempotency';

export const METRICS_NAMESPACE = 'ami-lifecycle';

/** What a handler returns instead of throwing when it acknowledges an event without acting on it. */
export interface DroppedEvent {
  status: 'dropped';
  reason: 'invalid' | 'duplicate';
  error: { name: string; message: string };
}

export type UseCase<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

interface CommonOptions {
  /** The function's name: logger service, metrics service dimension, idempotency key prefix. */
  name: string;
  /** Records in the catalog table keyed by the event's idempotency key; off when omitted. */
  idempotency?: IdempotencyOptions;
  /** JMESPath of the correlation id in the raw event; defaults to our contracts' `detail.correlationId`. */
  correlationIdPath?: string;
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

export type KitHandler<TResult> = MiddyfiedHandler<unknown, TResult | DroppedEvent, Error, Context>;

/** Replaces the raw event by the parsed one; failures are named errors that classifyError drops. */
const parseEvent = (name: string, event: z.ZodType | 'eventbridge'): MiddlewareObj<unknown> => ({
  before: (request) => {
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
const mapErrors = (logger: Logger, metrics: Metrics): MiddlewareObj<unknown, unknown> => ({
  onError: (request) => {
    const error = request.error ?? new Error('unknown error');
    const disposition = classifyError(error);
    if (disposition === 'retry') {
      logger.error('failed; rethrowing so the event is retried', { error });
      metrics.addMetric('EventsFailed', MetricUnit.Count, 1);
      return;
    }
    const summary = { name: error.name, message: error.message };
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

/**
 * The standard Lambda stack: logger with context and correlation id, metrics with a cold-start
 * metric (flushed on every path), parsing at the edge, optional idempotency, then exactly one use
 * case. Call it at module scope so clients, logger and metrics live as long as the container.
 *
 * Invalid events and duplicates resolve to a `DroppedEvent`; every other error is rethrown.
 */
export function createHandler<TResult>(options: EventBridgeHandlerOptions<TResult>): KitHandler<TResult>;
export function createHandler<S extends z.ZodType, TResult>(
  options: SchemaHandlerOptions<S, TResult>,
): KitHandler<TResult>;
export function createHandler(
  options: EventBridgeHandlerOptions<unknown> | SchemaHandlerOptions<z.ZodType, unknown>,
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
    .use(mapErrors(logger, metrics))
    // Parsed before the idempotency check, so a malformed event never leaves a record behind.
    .use(parseEvent(options.name, options.event));
  if (options.idempotency !== undefined) {
    handler.use(
      makeHandlerIdempotent({
        persistenceStore: catalogPersistenceLayer(options.idempotency),
        config: idempotencyConfig(options.idempotency),
        keyPrefix: options.name,
      }),
    );
  }
  return handler.handler(async (event, context) => {
    const result = await useCase(event, context);
    // Every path counts: processed here, dropped or failed in mapErrors. A flush without any metric
    // would only log Powertools' "no application metrics" warning.
    metrics.addMetric('EventsProcessed', MetricUnit.Count, 1);
    return result;
  }) as KitHandler<unknown>;
}
