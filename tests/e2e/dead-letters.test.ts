import { join } from 'node:path';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';

const ROOT = join(__dirname, '..', '..');
// Its own stage: its own table, bus and queue, apart from the other suites sharing DynamoDB Local.
const STAGE = 'e2e-dlq';

describe('an event a function keeps refusing, on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  // A day of retries logs each failure with its stack; only errors above that level are of interest here.
  const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
    cloud = await startLocalCloud({
      port: 0,
      start: '2026-03-01T09:00:00.000Z',
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage: STAGE },
    });
    pipeline = new LocalPipeline(cloud, STAGE);
  }, 120_000);
  afterAll(async () => {
    await cloud?.stop();
    if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
  });

  it('is retried for a day by the rule, then kept in the dead-letter queue with why, not dropped', async () => {
    // Arrange: Step Functions refuses every StartExecution, so requestBuild fails each delivery.
    const fault = await fetch(`${cloud.endpoint}/_local/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service: 'states',
        operation: 'StartExecution',
        errorRate: 1,
        errorCode: 'ServiceUnavailable',
      }),
    });
    expect(fault.status).toBe(200);

    // Act
    const { detail } = await pipeline.requestBuild('golden-al2023', 'dead-letter-1');
    await pipeline.advanceUntil(
      'the event dead-lettered',
      async () => cloud.services.events.deadLetters().length > 0,
      { maxSeconds: 2 * 86_400, stepSeconds: 3600 },
    );

    // Assert
    const [dead] = cloud.services.events.deadLetters();
    expect(dead).toMatchObject({
      ruleArn: expect.stringContaining(`ami-lifecycle-${STAGE}-requestBuild-rule-1`),
      deadLetterArn: `arn:aws:sqs:${cloud.region}:${cloud.accounts.defaultAccountId}:ami-lifecycle-${STAGE}-events-dlq`,
      errorCode: expect.stringContaining('ServiceUnavailable'),
    });
    expect(dead!.attempts).toBeGreaterThan(1);
    expect(dead!.event.detail).toEqual(detail);
    expect(cloud.deployment?.skipped).toEqual(
      expect.arrayContaining(['EventsDeadLetterQueue (AWS::SQS::Queue)']),
    );
  }, 120_000);
});
