import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { rawSigned, START, TOOLING, WORKLOADS } from './helpers';

const ROLE = `arn:aws:iam::${WORKLOADS}:role/ami-lifecycle-publisher`;

describe('STS', () => {
  let cloud: LocalCloud;
  let sts: STSClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START });
    sts = new STSClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterAll(async () => {
    sts.destroy();
    await cloud.stop();
  });

  const assume = (input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) =>
    sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'publish-1', ...input }));

  it('tells keys it did not issue that they are the default account', async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));

    expect(identity).toMatchObject({
      Account: TOOLING,
      Arn: `arn:aws:iam::${TOOLING}:root`,
      UserId: TOOLING,
    });
  });

  it('answers whichever region the client signs for, since it routes by signing name', async () => {
    const global = new STSClient({ ...cloud.clientConfig, region: 'us-east-1' });
    try {
      await expect(global.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({
        Account: TOOLING,
      });
    } finally {
      global.destroy();
    }
  });

  it('assumes a role in the workloads account, and the new keys act in that account', async () => {
    const assumed = await assume({ DurationSeconds: 900 });

    expect(assumed.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${WORKLOADS}:assumed-role/ami-lifecycle-publisher/publish-1`,
    );
    expect(assumed.Credentials?.Expiration?.toISOString()).toBe('2026-03-01T00:15:00.000Z');
    const asRole = new STSClient({
      ...cloud.clientConfig,
      credentials: {
        accessKeyId: assumed.Credentials!.AccessKeyId!,
        secretAccessKey: assumed.Credentials!.SecretAccessKey!,
        sessionToken: assumed.Credentials!.SessionToken!,
      },
    });
    try {
      await expect(asRole.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({
        Account: WORKLOADS,
        Arn: assumed.AssumedRoleUser?.Arn,
        UserId: assumed.AssumedRoleUser?.AssumedRoleId,
      });
    } finally {
      asRole.destroy();
    }
  });

  it('refuses the assumed keys once they have expired on the simulated clock', async () => {
    const assumed = await assume({ DurationSeconds: 900 });
    const asRole = new STSClient({
      ...cloud.clientConfig,
      maxAttempts: 1,
      credentials: {
        accessKeyId: assumed.Credentials!.AccessKeyId!,
        secretAccessKey: assumed.Credentials!.SecretAccessKey!,
        sessionToken: assumed.Credentials!.SessionToken!,
      },
    });
    try {
      await cloud.clock.advance(899);
      await expect(asRole.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({
        Account: WORKLOADS,
      });

      await cloud.clock.advance(1);

      await expect(asRole.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
        name: 'ExpiredToken',
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      asRole.destroy();
    }
  });

  it('refuses a role in an account the cloud does not model', async () => {
    await expect(assume({ RoleArn: 'arn:aws:iam::999999999999:role/anything' })).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('is not authorized to perform: sts:AssumeRole'),
      $metadata: { httpStatusCode: 403 },
    });
  });

  it.each([
    ['a session name shorter than 2 characters', { RoleSessionName: 'x' }, 'roleSessionName'],
    ['a session name with a space', { RoleSessionName: 'two words' }, 'roleSessionName'],
    ['a session name longer than 64 characters', { RoleSessionName: 'a'.repeat(65) }, 'roleSessionName'],
    ['a duration under 15 minutes', { DurationSeconds: 899 }, 'durationSeconds'],
    ['a duration over 12 hours', { DurationSeconds: 43_201 }, 'durationSeconds'],
    ['a role ARN that is too short', { RoleArn: 'arn:aws:iam::1:r' }, 'roleArn'],
  ])('rejects %s, naming the member', async (_label, input, member) => {
    await expect(assume(input)).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining(`at '${member}' failed to satisfy constraint`),
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('rejects a well-sized ARN that is not a role', async () => {
    await expect(assume({ RoleArn: `arn:aws:iam::${WORKLOADS}:user/someone` })).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });

  it('accepts the boundary durations of 15 minutes and 12 hours', async () => {
    await expect(assume({ DurationSeconds: 900 })).resolves.toBeDefined();
    const longest = await assume({ DurationSeconds: 43_200 });

    expect(longest.Credentials!.Expiration!.getTime() - cloud.clock.nowMillis()).toBe(43_200_000);
  });

  it('answers in awsQuery XML, errors included', async () => {
    const ok = await rawSigned(cloud.endpoint, 'sts', 'Action=GetCallerIdentity&Version=2011-06-15');
    const bad = await rawSigned(cloud.endpoint, 'sts', 'Action=GetSessionTokens&Version=2011-06-15');

    expect(await ok.text()).toMatch(
      /^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><GetCallerIdentityResult>.*<\/GetCallerIdentityResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/GetCallerIdentityResponse>$/,
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(
      /^<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>Could not find operation GetSessionTokens/,
    );
  });
});
