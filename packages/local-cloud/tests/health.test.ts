import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { control, START } from './helpers';

const FIXTURE = join(__dirname, 'fixtures', 'state', 'serverless.yml');

/** A promise and the function that resolves it: a gate a test holds the start at. */
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};

const health = (endpoint: string) => control({ endpoint }, 'GET', '/_local/health');

describe('GET /_local/health while the cloud starts', () => {
  it('answers 503 with what it waits for until DynamoDB Local answers and serverless.yml is deployed', async () => {
    const seen: { at: string; status: number; body: Record<string, unknown>; dynamodb?: unknown }[] = [];
    const deployGate = gate();
    let endpoint = '';
    const starting = startLocalCloud({
      port: 0,
      start: START,
      dynamodb: true,
      deploy: { serverlessFile: FIXTURE },
      hooks: {
        // Awaited before any part is marked ready: DynamoDB Local cannot have been counted in yet.
        onListening: async (e) => {
          endpoint = e;
          seen.push({ at: 'listening', ...(await health(e)) });
          const dynamodb = new DynamoDBClient({
            endpoint: e,
            region: 'eu-west-1',
            credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
            maxAttempts: 1,
          });
          try {
            await dynamodb.send(new ListTablesCommand({}));
          } catch (error) {
            seen[0]!.dynamodb = {
              name: (error as Error).name,
              status: (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
            };
          } finally {
            dynamodb.destroy();
          }
        },
        beforeDeploy: async () => {
          seen.push({ at: 'before deploy', ...(await health(endpoint)) });
          deployGate.open();
        },
      },
    });
    let cloud: LocalCloud | undefined;
    try {
      await deployGate.opened;
      cloud = await starting;
      const ready = await health(cloud.endpoint);

      expect(seen[0]).toMatchObject({
        at: 'listening',
        status: 503,
        body: { status: 'starting', waitingFor: ['dynamodb', 'deploy'], endpoint },
        // The proxy answers for DynamoDB Local before it is there, rather than "no such service".
        dynamodb: { name: 'ServiceUnavailable', status: 503 },
      });
      expect(seen[1]).toMatchObject({
        at: 'before deploy',
        status: 503,
        body: { status: 'starting', waitingFor: ['deploy'] },
      });
      expect(ready).toMatchObject({
        status: 200,
        body: {
          status: 'ready',
          endpoint,
          services: expect.arrayContaining(['dynamodb', 'ec2']),
          dynamodb: { up: true },
          deployment: {
            stage: 'test',
            tables: ['keep-test'],
            buses: ['keep-bus'],
            queues: 1,
            functions: 1,
            stateMachines: 1,
            rules: 3,
          },
          state: null,
        },
      });
      expect(ready.body).not.toHaveProperty('waitingFor');
    } finally {
      await (cloud ?? (await starting.catch(() => undefined)))?.stop();
    }
  }, 60_000);

  it('says the start failed, and how, rather than staying "starting"', async () => {
    const release = gate();
    const reports: { status: number; body: Record<string, unknown> }[] = [];
    let endpoint = '';
    const starting = startLocalCloud({
      port: 0,
      start: START,
      deploy: { serverlessFile: join(__dirname, 'fixtures', 'state', 'no-such-serverless.yml') },
      hooks: {
        onListening: (e) => {
          endpoint = e;
        },
        lingerOnFailure: async () => {
          reports.push(await health(endpoint));
          release.open();
        },
      },
    });
    const failed = await starting.then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    await release.opened;

    expect(failed).toBeInstanceOf(Error);
    expect(reports).toEqual([
      {
        status: 503,
        body: expect.objectContaining({
          status: 'failed',
          failedDuring: 'deploy',
          error: failed!.message,
          waitingFor: ['deploy'],
        }),
      },
    ]);
    expect(failed!.message).toContain('no-such-serverless.yml');
    // Once it has said so, nothing of it is left listening.
    await expect(fetch(`${endpoint}/_local/health`)).rejects.toThrow();
  });

  it('answers ready at once for a cloud with nothing to wait for', async () => {
    let during: { status: number; body: Record<string, unknown> } | undefined;
    const cloud = await startLocalCloud({
      port: 0,
      start: START,
      hooks: {
        onListening: async (e) => {
          during = await health(e);
        },
      },
    });
    try {
      expect(during).toMatchObject({ status: 503, body: { status: 'starting', waitingFor: [] } });
      await expect(health(cloud.endpoint)).resolves.toMatchObject({
        status: 200,
        body: { status: 'ready', dynamodb: { enabled: false }, deployment: null, state: null },
      });
    } finally {
      await cloud.stop();
    }
  });
});
