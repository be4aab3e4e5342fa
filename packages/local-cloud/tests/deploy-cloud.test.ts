import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateImageCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { dynamoDbEndpoint } from '../../../tests/support/dynamodb-local-env';
import { type LocalCloud, startLocalCloud, undeclaredActions } from '../src';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import { calls } from './fixtures/deploy/handlers/record';

const FIXTURE = join(__dirname, 'fixtures', 'deploy', 'serverless.yml');

describe('a serverless.yml deployed on the local cloud', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      start: '2026-03-01T00:00:00.000Z',
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: FIXTURE },
    });
  }, 60_000);
  afterAll(() => cloud?.stop());
  beforeEach(() => {
    calls.length = 0;
  });

  const put = (detailType: string, detail: object, source = 'fixture') =>
    new EventBridgeClient(cloud.clientConfig).send(
      new PutEventsCommand({
        Entries: [
          {
            Source: source,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
            EventBusName: 'fixture-bus',
          },
        ],
      }),
    );

  it('creates the tables and buses, registers functions and state machines, and names what it does not emulate', async () => {
    expect(cloud.deployment).toEqual({
      tables: ['fixture-test'],
      buses: ['fixture-bus'],
      queues: [`arn:aws:sqs:eu-west-1:${cloud.accounts.defaultAccountId}:fixture-failures`],
      functions: ['fixture-test-record', 'fixture-test-fail', 'fixture-test-double', 'fixture-test-callAws'],
      stateMachines: ['fixture-test-flow'],
      rules: [
        'fixture-test-record-rule-1',
        'fixture-test-record-rule-2',
        'fixture-test-record-schedule-3',
        'fixture-test-fail-rule-1',
        'fixture-test-flow-rule-1',
      ],
      busPolicies: [],
      topics: [`arn:aws:sns:eu-west-1:${cloud.accounts.defaultAccountId}:fixture-test-Topic`],
      subscriptions: [],
      topicPolicies: [],
      skipped: [],
    });
    const table = await new DynamoDBClient(cloud.clientConfig).send(
      new DescribeTableCommand({ TableName: 'fixture-test' }),
    );
    expect(table.Table?.KeySchema).toEqual([{ AttributeName: 'PK', KeyType: 'HASH' }]);
    const ttl = await new DynamoDBClient(cloud.clientConfig).send(
      new DescribeTimeToLiveCommand({ TableName: 'fixture-test' }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('routes a matching event to the function, with its environment', async () => {
    await put('Ping', { hello: 'world' });
    await cloud.clock.advance(0);
    expect(calls).toEqual([
      {
        fn: 'record',
        event: expect.objectContaining({ source: 'fixture', detail: { hello: 'world' } }),
        table: 'fixture-test',
      },
    ]);
  });

  it("leaves a function's errors to Lambda: retried after a minute, then its failure record sent to onFailure", async () => {
    await put('Boom', { n: 1 });
    await cloud.clock.advance(59);
    expect(calls.map((c) => c.fn)).toEqual(['fail']);
    await cloud.clock.advance(600);
    // One retry (maximumRetryAttempts: 1), a minute after the first attempt; no more after it.
    expect(calls.map((c) => c.fn)).toEqual(['fail', 'fail']);

    const sqs = new SQSClient(cloud.clientConfig);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'fixture-failures' }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages![0]!.Body!)).toEqual({
      version: '1.0',
      timestamp: expect.any(String),
      requestContext: {
        requestId: expect.any(String),
        functionArn: expect.stringMatching(/:function:fixture-test-fail:\$LATEST$/),
        condition: 'RetriesExhausted',
        approximateInvokeCount: 2,
      },
      requestPayload: expect.objectContaining({ 'detail-type': 'Boom', detail: { n: 1 } }),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'FixtureError', errorMessage: 'the fixture always fails' },
    });
    // EventBridge handed the event over: a function error is not a failed delivery.
    const res = await fetch(`${cloud.endpoint}/_local/events`);
    const body = (await res.json()) as {
      deadLetters: unknown[];
      deliveries: { outcome: string; ruleArn: string }[];
    };
    expect(body.deadLetters).toEqual([]);
    expect(body.deliveries.filter((d) => d.ruleArn.includes('fixture-test-fail-rule-1'))).toEqual([
      expect.objectContaining({ outcome: 'delivered', attempts: 1 }),
    ]);
  });

  it('starts the state machine from a rule; its task runs the function and its wait follows the clock', async () => {
    await put('Start Flow', { n: 21 });
    await cloud.clock.advance(0);
    await cloud.services.sfn.settleExecution((await listExecutions())[0]!);
    const sfn = new SFNClient(cloud.clientConfig);
    const [arn] = await listExecutions();
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');
    const done = await cloud.services.sfn.waitForExecution(arn!, { maxAdvanceSeconds: 7200 });
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).output!)).toEqual(
      { n: 42 },
    );
    expect(calls.filter((c) => c.fn === 'double').map((c) => c.event)).toEqual([{ n: 21 }]);
  });

  it("keeps one function's own environment from the next function, as separate Lambdas would", async () => {
    await put('Ping', { again: true });
    await cloud.clock.advance(0);
    await put('Start Flow', { n: 1 });
    await cloud.clock.advance(0);
    const [arn] = await listExecutions();
    await cloud.services.sfn.waitForExecution(arn!, { maxAdvanceSeconds: 7200 });
    expect(calls.map((c) => c.fn)).toEqual(['record', 'double']);
    expect(calls.find((c) => c.fn === 'double')).toMatchObject({
      table: 'fixture-test',
      recordOnly: undefined,
    });
  });

  it('fires the daily schedule when the clock passes a day', async () => {
    await cloud.clock.advance(86_400);
    expect(
      calls.filter((c) => (c.event as { 'detail-type'?: string })['detail-type'] === 'Scheduled Event'),
    ).toHaveLength(1);
  });

  it('delivers EC2 AMI State Change from the EC2 emulator to a rule on the default bus', async () => {
    const ec2 = new EC2Client(cloud.clientConfig);
    const source = PUBLIC_IMAGES.find((i) => i.ownerAlias === 'amazon' && i.architecture === 'x86_64')!;
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: publicImageId(cloud.region, source.name),
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
      }),
    );
    await cloud.clock.advance(60);
    const image = await ec2.send(
      new CreateImageCommand({ InstanceId: run.Instances![0]!.InstanceId!, Name: 'fixture-image-1' }),
    );
    await cloud.clock.advance(900);
    const stateChanges = calls.filter((c) => (c.event as { source?: string }).source === 'aws.ec2');
    expect(stateChanges).toEqual([
      expect.objectContaining({
        event: expect.objectContaining({
          detail: expect.objectContaining({ ImageId: image.ImageId, State: 'available' }),
        }),
      }),
    ]);
  });

  it("records each function's AWS calls, and names those its iamRoleStatements do not allow", async () => {
    // The test's own calls come from no function: not recorded.
    await new EC2Client(cloud.clientConfig).send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    expect(cloud.lambda!.functions().find((f) => f.key === 'callAws')?.allowedActions).toEqual([
      'sts:GetCallerIdentity',
      'dynamodb:GetItem',
    ]);
    const result = (await cloud.lambda!.invoke('fixture-test-callAws', {})) as {
      account: string;
      arn: string;
    };
    expect(result.account).toBe(cloud.accounts.defaultAccountId);
    // With the cloud's own keys, a function's calls act as its execution role, as on Lambda.
    expect(result.arn).toBe(
      `arn:aws:sts::${cloud.accounts.defaultAccountId}:assumed-role/fixture-test-callAws-eu-west-1-lambdaRole/fixture-test-callAws`,
    );
    expect(cloud.lambda!.awsCalls().get('fixture-test-callAws')).toEqual(
      new Set(['sts:GetCallerIdentity', 'dynamodb:GetItem', 'ec2:DescribeImages']),
    );
    expect([...cloud.lambda!.awsCalls().keys()]).toEqual(['fixture-test-callAws']);
    expect(undeclaredActions(cloud)).toEqual([
      { function: 'fixture-test-callAws', action: 'ec2:DescribeImages' },
    ]);
  });

  const listExecutions = async () => {
    const out = await new SFNClient(cloud.clientConfig).send(
      new ListExecutionsCommand({
        stateMachineArn: `arn:aws:states:${cloud.region}:${cloud.accounts.defaultAccountId}:stateMachine:fixture-test-flow`,
      }),
    );
    return (out.executions ?? []).map((e) => e.executionArn!);
  };
});
