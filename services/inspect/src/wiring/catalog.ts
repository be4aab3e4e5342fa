import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { env } from './env';

/** The catalog table, over a document client of the home region. */
export const catalog = lazy(
  () =>
    new DynamoDbCatalog({
      tableName: env.CATALOG_TABLE,
      client: createDocumentClient({ region: env.AWS_REGION }),
    }),
);
