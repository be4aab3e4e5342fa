import { join } from 'node:path';
import { DescribeEventBusCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { START } from './helpers';

const PROJECT = join(__dirname, '..', '..', '..', 'serverless.yml');
const STAGE = 'policy';
const BUS = `ami-lifecycle-${STAGE}`;

/**
 * The project's bus policy as the local cloud deploys it: the Deny spares the roles of the functions that
 * put events, named one by one (`!GetAtt <Function>IamRoleLambdaExecution.Arn`), so neither another
 * function's role nor a role merely named like the deployment's may put events on the bus.
 */
describe("the project's bus policy, deployed on the local cloud", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    // Tables are not needed: the functions are registered, not run.
    cloud = await startLocalCloud({
      port: 0,
      start: START,
      deploy: { serverlessFile: PROJECT, stage: STAGE },
    });
  }, 60_000);
  afterAll(() => cloud?.stop());

  const as = async (role: string) => {
    const { Credentials } = await new STSClient(cloud.clientConfig).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${cloud.accounts.defaultAccountId}:role/${role}`,
        RoleSessionName: 'bus-policy-test',
      }),
    );
    return new EventBridgeClient({
      ...cloud.clientConfig,
      maxAttempts: 1,
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    });
  };
  const put = (client: EventBridgeClient) =>
    client.send(
      new PutEventsCommand({
        Entries: [{ Source: 'ami-lifecycle', DetailType: 'Image Built', Detail: '{}', EventBusName: BUS }],
      }),
    );
  const roleOf = (key: string) => {
    const fn = cloud.lambda!.functions().find((f) => f.key === key)!;
    const arn = cloud.lambda!.roleArnOf(fn.name);
    return arn.slice(arn.lastIndexOf('/') + 1);
  };

  it('names each spared function role by its ARN, not by a prefix', async () => {
    const described = await new EventBridgeClient(cloud.clientConfig).send(
      new DescribeEventBusCommand({ Name: BUS }),
    );
    const [statement] = JSON.parse(described.Policy!).Statement;
    const spared: string[] = statement.Condition.ArnNotEquals['aws:PrincipalArn'];
    expect(spared.every((arn) => !arn.includes('*'))).toBe(true);
    expect(spared).toContain(cloud.lambda!.roleArnOf(`ami-lifecycle-${STAGE}-publishComplete`));
    expect(cloud.deployment?.busPolicies).toEqual(['EventBusPolicy (only-this-deployment-puts-events)']);
  });

  it('lets a function that puts events put them, as its own role', async () => {
    expect((await put(await as(roleOf('publishComplete')))).FailedEntryCount).toBe(0);
  });

  it("denies another function's role, and a role named like the deployment's", async () => {
    // requestBuild starts executions; it never puts events.
    await expect(put(await as(roleOf('requestBuild')))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await expect(put(await as(`ami-lifecycle-${STAGE}-impostor-eu-west-1-lambdaRole`))).rejects.toMatchObject(
      {
        name: 'AccessDeniedException',
      },
    );
  });

  it('lets the operator role and the account root put events', async () => {
    expect((await put(await as('ami-lifecycle-operator'))).FailedEntryCount).toBe(0);
    expect((await put(new EventBridgeClient(cloud.clientConfig))).FailedEntryCount).toBe(0);
  });
});
