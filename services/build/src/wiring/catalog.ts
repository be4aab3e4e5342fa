import { DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { env } from './env';

/** The catalog table, over the catalog's own process-wide document client. */
export const catalog = lazy(() => new DynamoDbCatalog({ tableName: env.CATALOG_TABLE }));
