import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Partition key value of every idempotency record in the catalog table (design 6). */
export const IDEMPOTENCY_PK = 'IDEMPOTENCY';

/** Epoch-seconds attribute of idempotency records; the table's TTL attribute should be this one. */
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'ttl';

/**
 * EventBridge retries delivery for up to 24 hours by default; a record must outlive that window or
 * a late redelivery would run the use case again.
 */
export const DEFAULT_IDEMPOTENCY_EXPIRY_SECONDS = 25 * 60 * 60;

export interface IdempotencyOptions {
  /** The catalog table: records live there as `PK=IDEMPOTENCY`, `SK=<handler name>#<hash>`. */
  tableName: string;
  /** Defaults to one client per module scope, created on first use. */
  client?: DynamoDBClient;
  /** JMESPath into the parsed event; defaults to our contracts' `detail.idempotencyKey`. */
  eventKeyJmesPath?: string;
  expiresAfterSeconds?: number;
}

let shared: DynamoDBClient | undefined;

/**
 * The module-scope client used when none is injected: created on first use (a missing region fails
 * the first call, not the import) and reused by every invocation of the container.
 */
export const defaultDynamoDbClient = (): DynamoDBClient => {
  shared ??= new DynamoDBClient({});
  return shared;
};

/** Powertools persistence mapped onto the single catalog table. */
export const catalogPersistenceLayer = (options: IdempotencyOptions): DynamoDBPersistenceLayer =>
  new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client ?? defaultDynamoDbClient(),
    keyAttr: 'PK',
    sortKeyAttr: 'SK',
    staticPkValue: IDEMPOTENCY_PK,
    expiryAttr: IDEMPOTENCY_TTL_ATTRIBUTE,
    inProgressExpiryAttr: 'inProgressExpiresAtMs',
    statusAttr: 'status',
    dataAttr: 'result',
    validationKeyAttr: 'validation',
  });

export const idempotencyConfig = (options: IdempotencyOptions): IdempotencyConfig =>
  new IdempotencyConfig({
    eventKeyJmesPath: options.eventKeyJmesPath ?? 'detail.idempotencyKey',
    expiresAfterSeconds: options.expiresAfterSeconds ?? DEFAULT_IDEMPOTENCY_EXPIRY_SECONDS,
    // Our contracts require the key, so its absence after parsing is a wiring bug: fail loudly.
    throwOnNoIdempotencyKey: true,
  });
