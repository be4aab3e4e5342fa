import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { dynamoDbEndpoint } from '../../../tests/support/dynamodb-local-env';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import { START } from './helpers';

const REGION = 'eu-west-1';
const SOURCE = publicImageId(REGION, PUBLIC_IMAGES[0]!.name);
const TABLE = `faults-injected-${process.pid}`;

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

/** What the cloud says it injected, and where a crash after the effect waits for an effect. */
describe('injected faults, counted', () => {
  let cloud: LocalCloud;
  // No SDK retries: each call is one request, so each outcome is the cloud's answer to it.
  let sts: STSClient;
  let ec2: EC2Client;
  let dynamodb: DynamoDBClient;

  const whoAmI = () => sts.send(new GetCallerIdentityCommand({}));
  const launch = (imageId = SOURCE, marker = 'x') =>
    ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'marker', Value: marker }] }],
      }),
    );
  const launched = async (marker: string) =>
    (
      (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:marker', Values: [marker] }] })))
        .Reservations ?? []
    ).flatMap((r) => r.Instances ?? []);
  const injected = () => cloud.faults.injectedCounts();

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      start: START,
      region: REGION,
      dynamodb: { endpoint: dynamoDbEndpoint() },
    });
    sts = new STSClient({ ...cloud.clientConfig, maxAttempts: 1 });
    ec2 = new EC2Client({ ...cloud.clientConfig, maxAttempts: 1 });
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
    ec2.destroy();
    dynamodb.destroy();
    await cloud.stop();
  });

  it('counts each kind per service and operation, and keeps the counts through clear and seed', async () => {
    const before = injected();
    cloud.faults.update({ service: 'sts', operation: 'GetCallerIdentity', errorRate: 1 });
    await outcome(whoAmI());
    await outcome(whoAmI());
    cloud.faults.update({ clear: true, seed: 5 });
    cloud.faults.update({ service: 'sts', throttling: true });
    await outcome(whoAmI());
    cloud.faults.clear();
    cloud.faults.update({ service: 'sts', crash: 'before', crashTimes: 1 });
    await outcome(whoAmI());

    const after = injected()['sts:GetCallerIdentity'];
    const was = before['sts:GetCallerIdentity'] ?? {};
    expect({
      errors: (after?.errors ?? 0) - (was.errors ?? 0),
      throttled: (after?.throttled ?? 0) - (was.throttled ?? 0),
      crashedBefore: (after?.crashedBefore ?? 0) - (was.crashedBefore ?? 0),
    }).toEqual({ errors: 2, throttled: 1, crashedBefore: 1 });
  });

  it('counts work that finishes later in failure, and calls held by latency', async () => {
    const before = injected()['ec2:CreateImage']?.asyncFailures ?? 0;
    cloud.faults.update({ service: 'ec2', operation: 'CreateImage', asyncFailureRate: 1 });
    cloud.faults.update({ service: 'sts', latencyMs: 1_000 });

    expect(cloud.faults.asyncFailure('ec2', 'CreateImage')).toBe(true);
    const call = whoAmI();
    for (let i = 0; i < 1_000 && cloud.faults.snapshot().delayed === 0; i++)
      await new Promise((resolve) => setImmediate(resolve));
    await cloud.clock.advance(1);
    await call;

    expect(injected()['ec2:CreateImage']?.asyncFailures).toBe(before + 1);
    expect(injected()['sts:GetCallerIdentity']?.delayed).toBeGreaterThanOrEqual(1);
  });

  it('spends a crash after the effect only on a call that took effect: one EC2 refused waits for the next', async () => {
    cloud.faults.update({ service: 'ec2', operation: 'RunInstances', crash: 'after', crashTimes: 1 });

    const refused = await outcome(launch('ami-00000000000000000', 'refused'));
    const armedAfterRefusal = cloud.faults.snapshot().rules;
    const lost = await outcome(launch(SOURCE, 'lost-answer'));

    expect(refused).toBe('InvalidAMIID.NotFound 400');
    expect(armedAfterRefusal).toEqual([
      { service: 'ec2', operation: 'RunInstances', crash: 'after', crashTimes: 1 },
    ]);
    expect(lost).toBe('InternalError 500');
    expect(await launched('lost-answer')).toHaveLength(1);
    expect(cloud.faults.snapshot().rules).toEqual([]);
  });

  it('spends no crash after the effect on a proxied DynamoDB call that DynamoDB refused', async () => {
    const put = (pk: string, condition?: string) =>
      dynamodb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: pk } },
          ...(condition ? { ConditionExpression: condition } : {}),
        }),
      );
    await put('exists');
    cloud.faults.update({ service: 'dynamodb', operation: 'PutItem', crash: 'after', crashTimes: 1 });

    const refused = await put('exists', 'attribute_not_exists(pk)').catch((e: unknown) => e);
    const lost = await outcome(put('written'));
    const stored = await dynamodb.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'written' } }, ConsistentRead: true }),
    );

    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect(lost).toBe('InternalServerError 500');
    expect(stored.Item).toEqual({ pk: { S: 'written' } });
  });

  it('draws each operation’s errors from its own numbers: calls of others in between change nothing', async () => {
    const run = async (interleave: boolean) => {
      cloud.faults.update({ seed: 21 });
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++) {
        outcomes.push(await outcome(whoAmI()));
        if (interleave) await outcome(ec2.send(new DescribeInstancesCommand({})));
      }
      return outcomes;
    };
    cloud.faults.update({ service: 'sts', errorRate: 0.5 });
    cloud.faults.update({ service: 'ec2', errorRate: 0.5 });

    const alone = await run(false);
    const interleaved = await run(true);

    expect(new Set(alone)).toEqual(new Set(['ok', 'InternalFailure 500']));
    expect(interleaved).toEqual(alone);
  });
});
