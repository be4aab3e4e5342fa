import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoDbLocal, startDynamoDbLocal } from '@ami-lifecycle/catalog/local';
import { DYNAMODB_ENDPOINT_ENV } from './dynamodb-local-env';

/** Shared with global-teardown: jest runs both in the same parent process. */
export const RUNNING_KEY = '__amiLifecycleDynamoDbLocal';

/** What a test file that needs the shared DynamoDB Local calls (from `dynamodb-local-env.ts`). */
const NEEDS_DYNAMODB = 'dynamoDbEndpoint(';

/** The parts of jest's global config this setup reads. */
interface JestGlobalConfig {
  rootDir: string;
  testPathPatterns?: {
    isSet(): boolean;
    toExecutor(options: { rootDir: string }): { isMatch(absolutePath: string): boolean };
  };
}

const testFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });

/**
 * A run narrowed by path (`jest packages/core`) starts DynamoDB Local only when one of the selected test
 * files asks for it: the JVM costs seconds of CPU that unit runs elsewhere should not pay. A full run,
 * or any run this cannot judge, starts it.
 */
const selectedTestsNeedDynamoDb = (config: JestGlobalConfig | undefined): boolean => {
  const patterns = config?.testPathPatterns;
  if (config === undefined || patterns === undefined || !patterns.isSet()) return true;
  const selected = patterns.toExecutor({ rootDir: config.rootDir });
  return ['packages', 'services', 'tests']
    .map((root) => join(config.rootDir, root))
    .filter((root) => existsSync(root))
    .flatMap(testFiles)
    .some((file) => selected.isMatch(file) && readFileSync(file, 'utf8').includes(NEEDS_DYNAMODB));
};

/**
 * Starts DynamoDB Local once per jest run and hands its endpoint to the workers through the
 * environment. An endpoint already set (a DynamoDB Local you run yourself) is used as it is.
 * Jest requires the default export.
 */
export default async function globalSetup(config?: JestGlobalConfig): Promise<void> {
  if (process.env[DYNAMODB_ENDPOINT_ENV] || !selectedTestsNeedDynamoDb(config)) return;
  const local = await startDynamoDbLocal({ readyTimeoutMs: 30_000 });
  (globalThis as Record<string, unknown>)[RUNNING_KEY] = local satisfies DynamoDbLocal;
  process.env[DYNAMODB_ENDPOINT_ENV] = local.endpoint;
}
