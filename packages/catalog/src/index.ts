export { type AccessPattern, cursorAttributes, patterns } from './access-patterns';
export { createDocumentClient, defaultDocumentClient } from './document-client';
export { DynamoDbCatalog, type DynamoDbCatalogOptions } from './dynamodb-catalog';
export * from './errors';
export { INVENTORY_PIECE_BYTES, INVENTORY_TTL_DAYS, inventoryPartToItems } from './items';
export * from './keys';
export { listAll } from './list-all';
export { InMemoryCatalog } from './memory-catalog';
export { compareBytes, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';
export {
  catalogTableCloudFormation,
  catalogTableDefinition,
  createTable,
  TableNotActiveError,
} from './table';
