export { classifyError, type ErrorDisposition } from './classify-error';
export { HOST_CLOCK, lambdaClock, registerHostClock } from './clock';
export {
  createHandlerWithoutIdempotency,
  type DroppedEvent,
  type EventBridgeHandlerOptions,
  type KitHandler,
  METRICS_NAMESPACE,
  type PlainHandlerOptions,
  type RejectedEventResult,
  type SchemaHandlerOptions,
  type UseCase,
} from './create-handler';
export {
  DEAD_LETTER_QUEUE_URL_VARIABLE,
  type DeadLetterSink,
  MAX_RECORD_BYTES,
  MemoryDeadLetters,
  REJECTED_EVENT_KIND,
  type RejectedEvent,
  serialiseRejectedEvent,
  sqsDeadLetters,
} from './dead-letters';
export { EnvironmentError, type EnvironmentIssue, loadEnv } from './env';
export { InvalidEventError } from './errors';
export { eventBridgeEventSchema } from './eventbridge-event';
export {
  catalogPersistenceLayer,
  DEFAULT_IDEMPOTENCY_EXPIRY_SECONDS,
  defaultDynamoDbClient,
  IDEMPOTENCY_PK,
  IDEMPOTENCY_TTL_ATTRIBUTE,
  type IdempotencyOptions,
  idempotencyConfig,
} from './idempotency';
export { createHandler } from './idempotent-handler';
export { lazy, perKey } from './lazy';
export { scheduledEventSchema } from './scheduled-event';
export { asStep, StepInputRejectedError } from './step-handler';
