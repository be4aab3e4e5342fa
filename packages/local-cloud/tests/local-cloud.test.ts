import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startLocalCloud } from '../src/cloud';
import { control, START } from './helpers';

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startLocalCloud', () => {
  it('serves DynamoDB Local behind the one endpoint, and stops it with the cloud', async () => {
    const cloud = await startLocalCloud({ port: 0, start: START, dynamodb: true });
    const dynamodb = new DynamoDBClient({ ...cloud.clientConfig, maxAttempts: 1 });
    const pid = cloud.dynamodb?.pid;
    try {
      await expect(dynamodb.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
      const health = await control(cloud, 'GET', '/_local/health');
      expect(health.body).toMatchObject({
        status: 'ready',
        services: expect.arrayContaining(['dynamodb', 'sts']),
        dynamodb: { up: true, endpoint: cloud.dynamodb?.endpoint },
      });
    } finally {
      dynamodb.destroy();
      await cloud.stop();
    }

    expect(pid).toEqual(expect.any(Number));
    expect(isRunning(pid as number)).toBe(false);
    await expect(cloud.stop()).resolves.toBeUndefined();
  }, 60_000);

  it('hands out the environment that points SDKs and the AWS CLI at it', async () => {
    const cloud = await startLocalCloud({ port: 0, region: 'eu-central-1' });
    try {
      expect(cloud.env).toMatchObject({
        AWS_ENDPOINT_URL: cloud.endpoint,
        AWS_ENDPOINT_URL_STS: cloud.endpoint,
        AWS_REGION: 'eu-central-1',
        AWS_DEFAULT_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });
      expect(cloud.env.AWS_ENDPOINT_URL_DYNAMODB).toBeUndefined();
      expect(cloud.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await cloud.stop();
    }
  });

  it('models the accounts it is given, the first being the default', async () => {
    const cloud = await startLocalCloud({
      port: 0,
      accounts: [{ id: '444455556666', name: 'solo' }],
      organization: null,
    });
    const sts = new STSClient(cloud.clientConfig);
    try {
      await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({
        Account: '444455556666',
      });
      expect(cloud.accounts.organization).toBeUndefined();
    } finally {
      sts.destroy();
      await cloud.stop();
    }
  });

  it('starts its clock where and as fast as it is told', async () => {
    const cloud = await startLocalCloud({ port: 0, start: START, speed: 30 });
    try {
      expect(cloud.clock.getSpeed()).toBe(30);
      expect(cloud.clock.nowMillis()).toBeGreaterThanOrEqual(Date.parse(START));
    } finally {
      await cloud.stop();
    }
    expect(cloud.clock.getSpeed()).toBe(0);
  });

  it.each([
    ['a negative speed', { speed: -1 }, /speed must be a number of at least 0/],
    ['a port out of range', { port: 70_000 }, /port must be a whole number/],
    ['a start that is not a date', { start: 'soon' }, /is not a date/],
  ])('refuses %s before starting anything', async (_label, options, message) => {
    await expect(startLocalCloud({ dynamodb: true, ...options })).rejects.toThrow(message);
  });

  it('refuses a port that is taken, and says so', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      await expect(startLocalCloud({ port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
