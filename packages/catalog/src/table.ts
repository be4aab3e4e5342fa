import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';

/**
 * The catalog table of design 6, one definition for every place that creates it (tests, the local cloud,
 * and `serverless.yml` through `catalogTableCloudFormation`). Both indexes project everything: GSI1
 * serves holds, plan summaries and current family configs whole, GSI2 serves images by state, refresh
 * decisions and active holds whole; the pointer items they also hold are small.
 */
export const catalogTableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'PK', AttributeType: 'S' },
    { AttributeName: 'SK', AttributeType: 'S' },
    { AttributeName: 'GSI1PK', AttributeType: 'S' },
    { AttributeName: 'GSI1SK', AttributeType: 'S' },
    { AttributeName: 'GSI2PK', AttributeType: 'S' },
    { AttributeName: 'GSI2SK', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'PK', KeyType: 'HASH' },
    { AttributeName: 'SK', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'GSI1',
      KeySchema: [
        { AttributeName: 'GSI1PK', KeyType: 'HASH' },
        { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: 'GSI2',
      KeySchema: [
        { AttributeName: 'GSI2PK', KeyType: 'HASH' },
        { AttributeName: 'GSI2SK', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
});

/**
 * The same table as CloudFormation `AWS::DynamoDB::Table` properties, adding what CreateTable cannot
 * say: point-in-time recovery (design 6) and TTL.
 */
export const catalogTableCloudFormation = (tableName: string): Record<string, unknown> => {
  const { TableName, BillingMode, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } =
    catalogTableDefinition(tableName);
  return {
    TableName,
    BillingMode,
    AttributeDefinitions,
    KeySchema,
    GlobalSecondaryIndexes,
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    // Idempotency records (lambda-kit) and sweep inventories expire through TTL; nothing else carries `ttl`.
    TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
  };
};

export class TableNotActiveError extends Error {
  constructor(
    readonly tableName: string,
    readonly waitedMs: number,
  ) {
    super(`table ${tableName} did not become ACTIVE within ${waitedMs} ms`);
    this.name = 'TableNotActiveError';
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the catalog table (an existing one is accepted) and waits, bounded, until it and its indexes
 * are ACTIVE. DynamoDB Local is ACTIVE at once; real DynamoDB takes seconds.
 */
export const createTable = async (
  client: DynamoDBClient,
  tableName: string,
  opts: { timeoutMs?: number; pollMs?: number } = {},
): Promise<void> => {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const pollMs = opts.pollMs ?? 1_000;
  try {
    await client.send(new CreateTableCommand(catalogTableDefinition(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const attempts = Math.max(1, Math.ceil(timeoutMs / pollMs));
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await pause(pollMs);
  }
  throw new TableNotActiveError(tableName, timeoutMs);
};
