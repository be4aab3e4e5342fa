import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FamilyConfig, parsePolicy } from '@ami-lifecycle/core';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { LocalPipeline } from '../../../scripts/local-pipeline';

export const ROOT = join(__dirname, '..', '..', '..');
export const HOME = 'eu-west-1';
export const OTHER = 'eu-central-1';

/** The example policy's families, as `amictl config apply` stores them. */
export const exampleFamilies = (): Record<string, FamilyConfig> =>
  parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example').families;

/**
 * serverless.yml deployed as `stage` on a fresh local cloud (its own table, bus and functions, apart from
 * the other suites sharing DynamoDB Local), the example's `families` stored, image block public access on
 * in both regions. One per test file: the handlers' clients are built once per module registry. The test
 * file passes `dynamoDbEndpoint()` itself: jest's global setup starts DynamoDB Local for the files that call it.
 */
export const startStage = async (
  stage: string,
  families: readonly string[],
  start: string,
  dynamoDb: string,
): Promise<{ cloud: LocalCloud; pipeline: LocalPipeline }> => {
  const cloud = await startLocalCloud({
    port: 0,
    region: HOME,
    start,
    dynamodb: { endpoint: dynamoDb },
    deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage },
  });
  const pipeline = new LocalPipeline(cloud, stage);
  const all = exampleFamilies();
  await pipeline.storeFamilies(Object.fromEntries(families.map((f) => [f, all[f]!])));
  await pipeline.blockPublicImageSharing([HOME, OTHER]);
  return { cloud, pipeline };
};
