import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A document client as the catalog expects it. The catalog strips `undefined` itself, so any document
 * client works; this one also drops `undefined` for other callers sharing it.
 */
export const createDocumentClient = (config: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });

let shared: DynamoDBDocumentClient | undefined;

/**
 * The module-scope client used when none is injected: created on first use (not at import, so a
 * missing region fails the first call rather than the import) and then reused by every invocation.
 */
export const defaultDocumentClient = (): DynamoDBDocumentClient => {
  shared ??= createDocumentClient();
  return shared;
};
