import type { DynamoDbLocal } from '@ami-lifecycle/catalog/local';
import { DYNAMODB_ENDPOINT_ENV } from './dynamodb-local-env';
import { RUNNING_KEY } from './global-setup';

/** Stops the DynamoDB Local of global-setup (and only that one). Jest requires the default export. */
export default async function globalTeardown(): Promise<void> {
  const local = (globalThis as Record<string, unknown>)[RUNNING_KEY] as DynamoDbLocal | undefined;
  if (local === undefined) return;
  await local.stop();
  delete (globalThis as Record<string, unknown>)[RUNNING_KEY];
  delete process.env[DYNAMODB_ENDPOINT_ENV];
}
