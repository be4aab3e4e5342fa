import { localClientConfig, startDynamoDbLocal } from '@ami-lifecycle/catalog/local';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startDynamoDbLocal', () => {
  it('starts a DynamoDB Local that answers, and leaves no Java process behind once stopped', async () => {
    const local = await startDynamoDbLocal({ readyTimeoutMs: 30_000 });
    const client = new DynamoDBClient(localClientConfig(local.endpoint));
    try {
      expect(local.endpoint).toBe(`http://127.0.0.1:${local.port}`);
      await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
    } finally {
      client.destroy();
      await local.stop();
    }

    expect(local.pid).toEqual(expect.any(Number));
    expect(isRunning(local.pid as number)).toBe(false);
    await expect(local.stop()).resolves.toBeUndefined();
  }, 40_000);
});
