import { randomUUID } from 'node:crypto';
import {
  CorruptItemError,
  catalogTableDefinition,
  createTable,
  DynamoDbCatalog,
  imageTableKey,
  planDecisionKey,
  UnprocessedItemsError,
} from '@ami-lifecycle/catalog';
import { localClientConfig } from '@ami-lifecycle/catalog/local';
import { DescribeTableCommand, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDbEndpoint } from '../../../tests/support/dynamodb-local-env';
import { describeCatalogContract } from './catalog-contract';
import { anImage, aPlan, at, auditBy } from './fixtures';

const endpoint = dynamoDbEndpoint();
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  raw = new DynamoDBClient(localClientConfig(endpoint));
  doc = DynamoDBDocumentClient.from(raw);
});
afterAll(() => raw.destroy());

/** A table of its own per test: DynamoDB Local creates one in milliseconds, and nothing leaks between tests. */
const freshTable = async (): Promise<string> => {
  const tableName = `catalog-test-${randomUUID()}`;
  await createTable(raw, tableName, { timeoutMs: 5_000, pollMs: 10 });
  return tableName;
};

describeCatalogContract(
  'DynamoDbCatalog',
  async () => new DynamoDbCatalog({ tableName: await freshTable(), client: doc }),
);

/**
 * A client whose BatchWrite stores only the first `perCall` requests and hands the rest back as
 * unprocessed, as DynamoDB does under throttling; everything else reaches DynamoDB Local unchanged.
 */
const throttledBatchWrites = (client: DynamoDBDocumentClient, perCall: number): DynamoDBDocumentClient => {
  const send = async (command: unknown) => {
    if (!(command instanceof BatchWriteCommand)) return client.send(command as PutCommand);
    const [[table, requests] = ['', []]] = Object.entries(command.input.RequestItems ?? {});
    const now = requests.slice(0, perCall);
    if (now.length > 0) await client.send(new BatchWriteCommand({ RequestItems: { [table]: now } }));
    const later = requests.slice(perCall);
    return { UnprocessedItems: later.length > 0 ? { [table]: later } : {} };
  };
  return new Proxy(client, {
    get: (target, property) => (property === 'send' ? send : Reflect.get(target, property)),
  });
};

/**
 * A client that cancels the first `times` transactions as DynamoDB does when another transaction holds
 * an item (`TransactionConflict`), before they reach DynamoDB Local; the rest pass unchanged.
 */
const contendedTransactions = (client: DynamoDBDocumentClient, times: number): DynamoDBDocumentClient => {
  let left = times;
  const send = async (command: unknown) => {
    if (command instanceof TransactWriteCommand && left > 0) {
      left -= 1;
      throw new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: (command.input.TransactItems ?? []).map((_, i) => ({
          Code: i === 0 ? 'TransactionConflict' : 'None',
        })),
      });
    }
    return client.send(command as PutCommand);
  };
  return new Proxy(client, {
    get: (target, property) => (property === 'send' ? send : Reflect.get(target, property)),
  });
};

describe('DynamoDbCatalog on DynamoDB Local', () => {
  let tableName: string;
  let catalog: DynamoDbCatalog;
  beforeEach(async () => {
    tableName = await freshTable();
    catalog = new DynamoDbCatalog({ tableName, client: doc });
  });

  it('creates the table with both indexes, and accepts a table that already exists', async () => {
    await createTable(raw, tableName, { timeoutMs: 5_000, pollMs: 10 });

    const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }));

    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(
      Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.Projection?.ProjectionType]).sort(),
    ).toEqual([
      ['GSI1', 'ALL'],
      ['GSI2', 'ALL'],
    ]);
    expect(catalogTableDefinition(tableName).BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('names the key and the path of a malformed item it reads', async () => {
    const image = anImage();
    await catalog.createImage(image, auditBy());
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...imageTableKey(image.family, image.version),
          GSI2PK: 'STATE#building',
          ...image,
          stateVersion: 'one',
        },
      }),
    );

    const error = await catalog.getImage(image.family, image.version).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CorruptItemError);
    expect(error).toMatchObject({
      key: { PK: 'FAMILY#golden-al2023', SK: `IMAGE#${image.version}` },
      issues: expect.arrayContaining([expect.objectContaining({ path: 'stateVersion' })]),
    });
    await expect(catalog.listImagesByFamily(image.family)).rejects.toBeInstanceOf(CorruptItemError);
  });

  it('refuses to read a plan that lost one of its decisions', async () => {
    const plan = aPlan('sweep-torn', at(0), 30);
    await catalog.savePlan(plan);
    const [, second] = plan.decisions;
    if (second === undefined) throw new Error('the fixture has decisions');
    await doc.send(new DeleteCommand({ TableName: tableName, Key: planDecisionKey('sweep-torn', second) }));

    await expect(catalog.getPlan('sweep-torn')).rejects.toMatchObject({
      name: 'CorruptItemError',
      key: { PK: 'PLAN#sweep-torn', SK: 'SUMMARY' },
      issues: [expect.objectContaining({ path: 'decisionCount' })],
    });
  });

  it('retries a transaction cancelled for a concurrent one, and succeeds', async () => {
    await catalog.createImage(anImage({ state: 'built' }), auditBy());
    const contended = new DynamoDbCatalog({
      tableName,
      client: contendedTransactions(doc, 2),
      retry: { maxAttempts: 3, baseDelayMs: 0 },
    });

    const inspecting = await contended.transitionImage({
      family: 'golden-al2023',
      version: anImage().version,
      from: 'built',
      to: 'inspecting',
      expectedStateVersion: 0,
      at: at(1),
      audit: auditBy(),
    });

    expect(await catalog.getImage('golden-al2023', anImage().version)).toEqual(inspecting);
    expect((await catalog.listAudit('golden-al2023', anImage().version)).items).toHaveLength(2);
  });

  it('reports a conflict once contention outlasts the retry bound, and writes nothing', async () => {
    await catalog.createImage(anImage({ state: 'built' }), auditBy());
    const contended = new DynamoDbCatalog({
      tableName,
      client: contendedTransactions(doc, 3),
      retry: { maxAttempts: 3, baseDelayMs: 0 },
    });

    await expect(
      contended.transitionImage({
        family: 'golden-al2023',
        version: anImage().version,
        from: 'built',
        to: 'inspecting',
        expectedStateVersion: 0,
        at: at(1),
        audit: auditBy(),
      }),
    ).rejects.toMatchObject({ name: 'TransitionConflictError', actual: { state: 'built', stateVersion: 0 } });
    expect((await catalog.getImage('golden-al2023', anImage().version))?.state).toBe('built');
  });

  it('resends unprocessed batch items until the whole plan is stored', async () => {
    const throttled = new DynamoDbCatalog({
      tableName,
      client: throttledBatchWrites(doc, 10),
      retry: { maxAttempts: 5, baseDelayMs: 0 },
    });
    const plan = aPlan('sweep-throttled', at(0), 60);

    await throttled.savePlan(plan);

    expect(await catalog.getPlan('sweep-throttled')).toEqual(plan);
  });

  it('gives up after the retry bound and leaves the plan unlisted', async () => {
    const refused = new DynamoDbCatalog({
      tableName,
      client: throttledBatchWrites(doc, 0),
      retry: { maxAttempts: 3, baseDelayMs: 0 },
    });

    await expect(refused.savePlan(aPlan('sweep-refused', at(0), 30))).rejects.toMatchObject({
      name: 'UnprocessedItemsError',
      unprocessed: 25,
    });
    await expect(refused.savePlan(aPlan('sweep-refused-2', at(0), 3))).rejects.toBeInstanceOf(
      UnprocessedItemsError,
    );
    expect(await catalog.getPlan('sweep-refused')).toBeUndefined();
    expect((await catalog.listPlans()).items).toEqual([]);
  });
});
