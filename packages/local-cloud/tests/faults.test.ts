import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { dynamoDbEndpoint } from '../../../tests/support/dynamodb-local-env';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { control, START, WORKLOADS } from './helpers';

const TABLE = `faults-${process.pid}`;

/** Outcome of one call: `ok`, or the error's name and HTTP status. */
const outcome = async (call: Promise<unknown>): Promise<string> => {
  try {
    await call;
    return 'ok';
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    return `${err.name} ${err.$metadata?.httpStatusCode}`;
  }
};

/** Lets the event loop turn until `done()` holds, at most `turns` times: waits on I/O, never on time. */
const until = async (done: () => boolean, turns = 5_000): Promise<void> => {
  for (let i = 0; i < turns && !done(); i += 1) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error(`condition not met after ${turns} event-loop turns`);
};

describe('fault injection', () => {
  let cloud: LocalCloud;
  // No SDK retries: each call is one request, so each outcome is the cloud's answer to it.
  let sts: STSClient;
  let dynamodb: DynamoDBClient;

  const whoAmI = () => sts.send(new GetCallerIdentityCommand({}));
  const item = (id: string) => ({ pk: { S: id } });
  const stored = async (id: string) =>
    (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: item(id), ConsistentRead: true }))).Item;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START, dynamodb: { endpoint: dynamoDbEndpoint() } });
    sts = new STSClient({ ...cloud.clientConfig, maxAttempts: 1 });
    dynamodb = new DynamoDBClient({ ...cloud.clientConfig, maxAttempts: 1 });
    await dynamodb.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  });
  afterEach(() => cloud.faults.clear());
  afterAll(async () => {
    sts.destroy();
    dynamodb.destroy();
    await cloud.stop();
  });

  it('injects nothing until a rule says so', async () => {
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => outcome(whoAmI())));

    expect(new Set(outcomes)).toEqual(new Set(['ok']));
    expect(cloud.faults.snapshot().rules).toEqual([]);
  });

  describe('throttling', () => {
    it('spends a bucket of its own and refills it on the simulated clock', async () => {
      await control(cloud, 'POST', '/_local/faults', {
        service: 'sts',
        operation: 'GetCallerIdentity',
        throttling: true,
        bucket: { capacity: 3, refillPerSecond: 1 },
      });

      const burst = [await outcome(whoAmI()), await outcome(whoAmI()), await outcome(whoAmI())];
      const fourth = await outcome(whoAmI());
      await cloud.clock.advance(1);
      const afterOneSecond = [await outcome(whoAmI()), await outcome(whoAmI())];
      await cloud.clock.advance(3_600);
      const afterAnHour = await Promise.all(Array.from({ length: 4 }, () => outcome(whoAmI())));

      expect(burst).toEqual(['ok', 'ok', 'ok']);
      expect(fourth).toBe('Throttling 400');
      expect(afterOneSecond).toEqual(['ok', 'Throttling 400']);
      // Never more than the capacity, however long the bucket rested.
      expect(afterAnHour.filter((o) => o === 'ok')).toHaveLength(3);
    });

    it('leaves the other operations of the service alone', async () => {
      cloud.faults.update({ service: 'sts', operation: 'AssumeRole', throttling: true });

      await expect(outcome(whoAmI())).resolves.toBe('ok');
      await expect(
        outcome(
          sts.send(
            new AssumeRoleCommand({
              RoleArn: `arn:aws:iam::${WORKLOADS}:role/r`,
              RoleSessionName: 'throttled',
            }),
          ),
        ),
      ).resolves.toBe('Throttling 400');
    });

    it('answers a proxied DynamoDB call with the error the DynamoDB SDK knows', async () => {
      cloud.faults.update({ service: 'dynamodb', operation: 'GetItem', throttling: true });

      await expect(outcome(stored('throttled'))).resolves.toBe('ThrottlingException 400');
    });
  });

  describe('error rates', () => {
    const run = async (calls: number) => {
      const outcomes: string[] = [];
      for (let i = 0; i < calls; i += 1) outcomes.push(await outcome(whoAmI()));
      return outcomes;
    };

    it('fails a seeded share of calls, and the same calls again after the same seed', async () => {
      await control(cloud, 'POST', '/_local/faults', { service: 'sts', errorRate: 0.3, seed: 42 });
      const first = await run(40);
      await control(cloud, 'POST', '/_local/faults', { seed: 42 });
      const second = await run(40);

      const failures = first.filter((o) => o !== 'ok');
      expect(second).toEqual(first);
      expect(new Set(failures)).toEqual(new Set(['InternalFailure 500']));
      expect(failures.length).toBeGreaterThan(3);
      expect(failures.length).toBeLessThan(25);
    });

    it('fails with the code the rule names, and the status AWS sends with it', async () => {
      cloud.faults.update({ service: 'sts', errorRate: 1, errorCode: 'ServiceUnavailable' });

      await expect(outcome(whoAmI())).resolves.toBe('ServiceUnavailable 503');
    });

    it('lets an operation rule override its service-wide rule, field by field', async () => {
      cloud.faults.update({ service: 'sts', operation: '*', errorRate: 1 });
      cloud.faults.update({ service: 'sts', operation: 'GetCallerIdentity', errorRate: 0 });

      await expect(outcome(whoAmI())).resolves.toBe('ok');
      await expect(
        outcome(
          sts.send(
            new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${WORKLOADS}:role/r`, RoleSessionName: 'nope' }),
          ),
        ),
      ).resolves.toBe('InternalFailure 500');
    });
  });

  describe('crash points', () => {
    it('crashes before the effect: the caller gets a 500 and nothing was written', async () => {
      cloud.faults.update({ service: 'dynamodb', operation: 'PutItem', crash: 'before' });

      const put = await outcome(
        dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: item('before') })),
      );

      expect(put).toBe('InternalServerError 500');
      await expect(stored('before')).resolves.toBeUndefined();
    });

    it('crashes after the effect: the caller gets a 500 but the write happened (the lost response)', async () => {
      cloud.faults.update({ service: 'dynamodb', operation: 'PutItem', crash: 'after' });

      const put = await outcome(dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: item('after') })));

      expect(put).toBe('InternalServerError 500');
      await expect(stored('after')).resolves.toEqual(item('after'));
    });

    it('crashes only as many times as asked, then lapses', async () => {
      await control(cloud, 'POST', '/_local/faults', {
        service: '*',
        crash: 'before',
        crashTimes: 2,
      });

      const outcomes = [await outcome(whoAmI()), await outcome(stored('x')), await outcome(whoAmI())];

      expect(outcomes).toEqual(['InternalFailure 500', 'InternalServerError 500', 'ok']);
      expect(cloud.faults.snapshot().rules).toEqual([]);
    });
  });

  describe('latency', () => {
    it('holds a call until the simulated clock has moved by the latency', async () => {
      cloud.faults.update({ service: 'sts', latencyMs: 2_000 });
      const before = cloud.clock.nowMillis();
      let settled = false;

      const call = whoAmI().finally(() => {
        settled = true;
      });
      await until(() => cloud.faults.snapshot().delayed === 1);
      await cloud.clock.advance(1);
      const settledEarly = settled;
      await cloud.clock.advance(1);

      await expect(call).resolves.toMatchObject({ Account: '111111111111' });
      expect(settledEarly).toBe(false);
      expect(cloud.clock.nowMillis() - before).toBe(2_000);
    });

    it('waits in real time only when asked to, and only briefly', async () => {
      cloud.faults.update({ service: 'sts', latencyMs: 40, realLatency: true });
      const started = performance.now();

      await whoAmI();

      expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    });
  });

  describe('asynchronous failures', () => {
    it('tells services which later outcomes fail: always, never, or a seeded share', () => {
      cloud.faults.update({ service: 'ec2', operation: 'CreateImage', asyncFailureRate: 1 });
      cloud.faults.update({ service: 'ssm', operation: 'SendCommand', asyncFailureRate: 0.5, seed: 3 });
      const first = Array.from({ length: 20 }, () => cloud.faults.asyncFailure('ssm', 'SendCommand'));
      cloud.faults.reseed(3);
      const again = Array.from({ length: 20 }, () => cloud.faults.asyncFailure('ssm', 'SendCommand'));

      expect(cloud.faults.asyncFailure('ec2', 'CreateImage')).toBe(true);
      expect(cloud.faults.asyncFailure('ec2', 'CopyImage')).toBe(false);
      expect(again).toEqual(first);
      expect(first).toContain(true);
      expect(first).toContain(false);
    });
  });
});
