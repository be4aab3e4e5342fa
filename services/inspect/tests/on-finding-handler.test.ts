import type { Context } from 'aws-lambda';

const context = { functionName: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** An `Inspector2 Finding` as EventBridge delivers it, about one resource. */
const findingEvent = (resource: object) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Inspector2 Finding',
  source: 'aws.inspector2',
  account: '111122223333',
  time: '2026-03-01T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    findingArn: 'arn:aws:inspector2:eu-west-1:111122223333:finding/0123456789abcdef0123456789abcdef',
    severity: 'HIGH',
    resources: [resource],
  },
});

describe('the Inspector2 Finding handler', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    // The wiring reads its environment when the module loads; nothing is called on AWS here.
    Object.assign(process.env, {
      CATALOG_TABLE: 'ami-lifecycle-test',
      EVENT_BUS_NAME: 'ami-lifecycle-test',
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });
  afterAll(() => {
    process.env = saved;
  });

  it('ignores a finding on a container image instead of dropping it as an invalid event', async () => {
    const { handler } = require('../src/handlers/on-finding') as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };

    const result = await handler(
      findingEvent({
        type: 'AWS_ECR_CONTAINER_IMAGE',
        id: 'arn:aws:ecr:eu-west-1:111122223333:repository/app/sha256:abc',
        details: { awsEcrContainerImage: { repositoryName: 'app', imageHash: 'sha256:abc' } },
      }),
      context,
    );

    expect(result).toEqual({ outcome: 'ignored', reason: 'the finding is not about an EC2 instance' });
  });

  it('does not refuse a finding whose resource tags are not a tag map', async () => {
    const { handler } = require('../src/handlers/on-finding') as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };

    const result = await handler(
      findingEvent({
        type: 'AWS_ECR_CONTAINER_IMAGE',
        id: 'arn:aws:ecr:eu-west-1:111122223333:repository/app/sha256:abc',
        tags: { replicas: 3 },
        details: { awsEcrContainerImage: { repositoryName: 'app', imageHash: 'sha256:abc' } },
      }),
      context,
    );

    expect(result).toEqual({ outcome: 'ignored', reason: 'the finding is not about an EC2 instance' });
  });
});
