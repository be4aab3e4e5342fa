import {
  BatchGetAccountStatusCommand,
  EnableCommand,
  Inspector2Client,
  ValidationException,
} from '@aws-sdk/client-inspector2';
import { Inspector2Service } from '../src/services/inspector2';
import { startTestEdge } from '../src/testing/edge-harness';
import type { InstanceDirectory } from '../src/types';

const ACCOUNT = '111111111111';
const OTHER = '222222222222';

const noInstances: InstanceDirectory = { find: () => undefined, list: () => [] };

type Edge = Awaited<ReturnType<typeof startTestEdge>>;
let edge: Edge;
let inspector: Inspector2Client;

beforeEach(async () => {
  edge = await startTestEdge((ctx) => [new Inspector2Service(ctx, noInstances, { feed: [] })]);
  inspector = new Inspector2Client({ ...edge.clientConfig, maxAttempts: 1 });
});

afterEach(async () => {
  inspector?.destroy();
  await edge?.close();
});

const statusOf = async (accountIds?: string[]) =>
  inspector.send(new BatchGetAccountStatusCommand(accountIds ? { accountIds } : {}));

describe('Inspector2 emulator: Enable and BatchGetAccountStatus', () => {
  it('reports EC2 scanning ENABLED and the rest DISABLED before any Enable, as the scanner behaves', async () => {
    const res = await statusOf();

    expect(res.failedAccounts).toEqual([]);
    expect(res.accounts).toEqual([
      {
        accountId: ACCOUNT,
        state: { status: 'ENABLED' },
        resourceState: {
          ec2: { status: 'ENABLED' },
          ecr: { status: 'DISABLED' },
          lambda: { status: 'DISABLED' },
          lambdaCode: { status: 'DISABLED' },
          codeRepository: { status: 'DISABLED' },
        },
      },
    ]);
  });

  it('enables EC2 and ECR: Enable answers the new state, BatchGetAccountStatus then reports ENABLED', async () => {
    const enabled = await inspector.send(
      new EnableCommand({ resourceTypes: ['EC2', 'ECR'], clientToken: 'token-1' }),
    );
    const status = await statusOf([ACCOUNT]);

    expect(enabled.failedAccounts).toEqual([]);
    expect(enabled.accounts).toEqual([
      {
        accountId: ACCOUNT,
        status: 'ENABLED',
        resourceStatus: {
          ec2: 'ENABLED',
          ecr: 'ENABLING',
          lambda: 'DISABLED',
          lambdaCode: 'DISABLED',
          codeRepository: 'DISABLED',
        },
      },
    ]);
    expect(status.accounts?.[0]?.resourceState).toMatchObject({
      ec2: { status: 'ENABLED' },
      ecr: { status: 'ENABLED' },
      lambda: { status: 'DISABLED' },
    });
  });

  it('keeps enablement per region', async () => {
    await inspector.send(new EnableCommand({ resourceTypes: ['LAMBDA'] }));
    const other = new Inspector2Client({ ...edge.clientConfig, region: 'us-east-1', maxAttempts: 1 });
    try {
      const res = await other.send(new BatchGetAccountStatusCommand({}));
      expect(res.accounts?.[0]?.resourceState?.lambda).toEqual({ status: 'DISABLED' });
      expect(res.accounts?.[0]?.resourceState?.ec2).toEqual({ status: 'ENABLED' });
    } finally {
      other.destroy();
    }
    expect((await statusOf()).accounts?.[0]?.resourceState?.lambda).toEqual({ status: 'ENABLED' });
  });

  it("answers another account's ID in failedAccounts with ACCESS_DENIED", async () => {
    const status = await statusOf([ACCOUNT, OTHER]);
    const enabled = await inspector.send(new EnableCommand({ accountIds: [OTHER], resourceTypes: ['EC2'] }));

    expect(status.accounts?.map((a) => a.accountId)).toEqual([ACCOUNT]);
    expect(status.failedAccounts).toEqual([
      expect.objectContaining({ accountId: OTHER, errorCode: 'ACCESS_DENIED' }),
    ]);
    expect(enabled.accounts).toEqual([]);
    expect(enabled.failedAccounts).toEqual([
      expect.objectContaining({ accountId: OTHER, errorCode: 'ACCESS_DENIED' }),
    ]);
  });

  it('refuses an unknown resource type or a malformed account ID with ValidationException', async () => {
    await expect(
      // biome-ignore lint/suspicious/noExplicitAny: a value the SDK's types exclude
      inspector.send(new EnableCommand({ resourceTypes: ['S3' as any] })),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(statusOf(['12345'])).rejects.toBeInstanceOf(ValidationException);
  });
});
