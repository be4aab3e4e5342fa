import { randomUUID } from 'node:crypto';
import { createTable } from '@ami-lifecycle/catalog';
import { localClientConfig } from '@ami-lifecycle/catalog/local';
import { type AmiLifecycleEvent, imageBuilt } from '@ami-lifecycle/contracts';
import { IllegalTransitionError } from '@ami-lifecycle/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbEndpoint } from '../../../tests/support/dynamodb-local-env';
import { createHandler, DEFAULT_IDEMPOTENCY_EXPIRY_SECONDS, IDEMPOTENCY_PK } from '../src';
import { envelopeOf, lambdaContext, quietLogger, quietMetrics } from './support';

const endpoint = dynamoDbEndpoint();
let client: DynamoDBClient;

beforeAll(() => {
  client = new DynamoDBClient(localClientConfig(endpoint));
});
afterAll(() => client.destroy());
afterEach(() => jest.restoreAllMocks());

const event = (idempotencyKey?: string) => {
  const envelope = envelopeOf(imageBuilt.detailType, imageBuilt.fixtures.valid[0]!);
  const detail = envelope.detail as Record<string, unknown>;
  return idempotencyKey === undefined ? envelope : { ...envelope, detail: { ...detail, idempotencyKey } };
};

/** A catalog table of its own per test: DynamoDB Local creates one in milliseconds. */
const setup = async (useCase: (event: AmiLifecycleEvent) => Promise<unknown>) => {
  const tableName = `lambda-kit-test-${randomUUID()}`;
  await createTable(client, tableName, { timeoutMs: 5_000, pollMs: 10 });
  const runs = jest.fn(useCase);
  const handler = createHandler({
    name: 'on-image-built',
    event: 'eventbridge',
    useCase: runs,
    idempotency: { tableName, client },
    logger: quietLogger(),
    metrics: quietMetrics().metrics,
  });
  const records = async () => {
    const { Items } = await DynamoDBDocumentClient.from(client).send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': IDEMPOTENCY_PK },
      }),
    );
    return Items ?? [];
  };
  return { handler, runs, records };
};

describe('idempotency in the catalog table', () => {
  it('runs the use case once for an event delivered three times, returning the same result each time', async () => {
    let calls = 0;
    const { handler, runs } = await setup(async () => ({ run: ++calls, at: randomUUID() }));

    const first = await handler(event(), lambdaContext());
    const second = await handler(event(), lambdaContext());
    const third = await handler(event(), lambdaContext());

    expect(runs).toHaveBeenCalledTimes(1);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
  });

  it('runs again for an event with another idempotency key', async () => {
    const { handler, runs } = await setup(async (e) => e.detail.idempotencyKey);

    await handler(event('image-built:golden-al2023:one'), lambdaContext());
    const other = await handler(event('image-built:golden-al2023:two'), lambdaContext());

    expect(runs).toHaveBeenCalledTimes(2);
    expect(other).toBe('image-built:golden-al2023:two');
  });

  it('stores one record under PK=IDEMPOTENCY, SK=<handler name>#<hash>, expiring after the retry window', async () => {
    const { handler, records } = await setup(async () => 'done');
    const before = Math.floor(Date.now() / 1000);

    await handler(event(), lambdaContext());

    const stored = await records();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ PK: 'IDEMPOTENCY', SK: expect.stringMatching(/^on-image-built#\S+$/) });
    expect(stored[0]?.status).toBe('COMPLETED');
    expect(stored[0]?.ttl).toBeGreaterThanOrEqual(before + DEFAULT_IDEMPOTENCY_EXPIRY_SECONDS);
  });

  it('leaves no record after a failure, so the retried event runs the use case again', async () => {
    const { handler, runs, records } = await setup(async () => 'done');
    runs.mockRejectedValueOnce(new Error('throttled'));

    await expect(handler(event(), lambdaContext())).rejects.toThrow('throttled');
    expect(await records()).toHaveLength(0);
    await expect(handler(event(), lambdaContext())).resolves.toBe('done');

    expect(runs).toHaveBeenCalledTimes(2);
  });

  it('keeps an invalid event out of the idempotency records', async () => {
    const { handler, records } = await setup(async () => 'done');

    const result = await handler({ ...event(), detail: {} }, lambdaContext());

    expect(result).toMatchObject({ status: 'dropped', reason: 'invalid' });
    expect(await records()).toHaveLength(0);
  });

  it('drops a duplicate that the use case detects, leaving no record behind', async () => {
    const { handler, records } = await setup(async () => {
      throw new IllegalTransitionError('built', 'built', 'the image is already built');
    });

    const result = await handler(event(), lambdaContext());

    expect(result).toMatchObject({ status: 'dropped', reason: 'duplicate' });
    expect(await records()).toHaveLength(0);
  });
});
