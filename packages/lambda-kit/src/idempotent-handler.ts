import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { z } from 'zod';
import {
  buildHandler,
  type EventBridgeHandlerOptions,
  type KitHandler,
  type SchemaHandlerOptions,
} from './create-handler';
import { catalogPersistenceLayer, idempotencyConfig } from './idempotency';

/**
 * The standard Lambda stack: logger with context and correlation id, metrics with a cold-start
 * metric (flushed on every path), parsing at the edge, optional idempotency, then exactly one use
 * case. Call it at module scope so clients, logger and metrics live as long as the container.
 *
 * Invalid events and duplicates resolve to a `DroppedEvent`; every other error is rethrown.
 *
 * A function that keeps no idempotency records takes `createHandlerWithoutIdempotency`, the same stack
 * without them, which does not name Powertools' idempotency layer: its bundle need not hold it.
 */
export function createHandler<TResult>(options: EventBridgeHandlerOptions<TResult>): KitHandler<TResult>;
export function createHandler<S extends z.ZodType, TResult>(
  options: SchemaHandlerOptions<S, TResult>,
): KitHandler<TResult>;
export function createHandler(
  options: EventBridgeHandlerOptions<unknown> | SchemaHandlerOptions<z.ZodType, unknown>,
): KitHandler<unknown> {
  const { idempotency } = options;
  return buildHandler(
    options,
    idempotency === undefined
      ? undefined
      : makeHandlerIdempotent({
          persistenceStore: catalogPersistenceLayer(idempotency),
          config: idempotencyConfig(idempotency),
          keyPrefix: options.name,
        }),
  );
}
