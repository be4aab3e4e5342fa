export { type AccessPattern, cursorAttributes, patterns } from './access-patterns';
export { MAX_CONFIG_AUTHOR_LENGTH } from './changes';
export { createDocumentClient, defaultDocumentClient } from './document-client';
export { DynamoDbCatalog, type DynamoDbCatalogOptions } from './dynamodb-catalog';
export * from './errors';
export {
  dynamoItemBytes,
  MAX_ITEM_BYTES,
  MAX_TRANSACTION_BYTES,
  MAX_TRANSACTION_ITEMS,
} from './item-size';
export { INVENTORY_PIECE_BYTES, INVENTORY_TTL_DAYS, inventoryPartToItems } from './items';
export * from './keys';
export { listAll } from './list-all';
export { InMemoryCatalog } from './memory-catalog';
export { compareBytes, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';
export {
  type AppliedPolicyConfigs,
  familyConfigItemBytes,
  type PolicyConfigChange,
  type PolicyConfigStore,
  policyStorageIssues,
  STALE_APPLY_MS,
} from './policy-apply';
export {
  catalogTableCloudFormation,
  catalogTableDefinition,
  createTable,
  TableNotActiveError,
} from './table';
