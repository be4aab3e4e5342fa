import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutPermissionCommand,
  RemovePermissionCommand,
} from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { START, TOOLING } from './helpers';

/** A bus's resource-based policy on the local cloud: kept, described, and enforced on PutEvents. */
describe('EventBridge bus policies', () => {
  let cloud: LocalCloud;
  let root: EventBridgeClient;
  let n = 0;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START });
    root = new EventBridgeClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterAll(() => cloud.stop());

  /** A client acting as `role` of the default account, through STS as a person's tooling would. */
  const as = async (role: string) => {
    const { Credentials } = await new STSClient(cloud.clientConfig).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${TOOLING}:role/${role}`, RoleSessionName: 'test' }),
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

  const onlyDeployment = (bus: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'only-this-deployment',
          Effect: 'Deny',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: `arn:aws:events:${cloud.region}:${TOOLING}:event-bus/${bus}`,
          Condition: {
            ArnNotLike: {
              'aws:PrincipalArn': [
                `arn:aws:iam::${TOOLING}:role/ami-lifecycle-dev-*`,
                `arn:aws:iam::${TOOLING}:root`,
              ],
            },
          },
        },
      ],
    });

  const newBus = async () => {
    n++;
    const name = `bus-${n}`;
    await root.send(new CreateEventBusCommand({ Name: name }));
    return name;
  };
  const entry = (bus: string) => ({
    Source: 'ami-lifecycle',
    DetailType: 'Image Built',
    Detail: '{"family":"golden"}',
    EventBusName: bus,
  });
  const ingested = () => cloud.services.events.ingested().length;

  it('refuses PutEvents from a principal an explicit Deny names, putting nothing, and names the statement', async () => {
    const bus = await newBus();
    await root.send(new PutPermissionCommand({ EventBusName: bus, Policy: onlyDeployment(bus) }));
    const intruder = await as('some-other-role');
    const before = ingested();

    await expect(intruder.send(new PutEventsCommand({ Entries: [entry(bus)] }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(
        /assumed-role\/some-other-role\/test .*explicit deny.*only-this-deployment/,
      ),
    });

    expect(ingested()).toBe(before);
  });

  it('lets the principals the condition leaves out put events: a matching role and the account root', async () => {
    const bus = await newBus();
    await root.send(new PutPermissionCommand({ EventBusName: bus, Policy: onlyDeployment(bus) }));
    const fn = await as('ami-lifecycle-dev-requestBuild-eu-west-1-lambdaRole');

    const a = await fn.send(new PutEventsCommand({ Entries: [entry(bus)] }));
    const b = await root.send(new PutEventsCommand({ Entries: [entry(bus)] }));

    expect([a.FailedEntryCount, b.FailedEntryCount]).toEqual([0, 0]);
  });

  it('applies the policy to its own bus only', async () => {
    const guarded = await newBus();
    const open = await newBus();
    await root.send(new PutPermissionCommand({ EventBusName: guarded, Policy: onlyDeployment(guarded) }));
    const intruder = await as('some-other-role');

    const out = await intruder.send(new PutEventsCommand({ Entries: [entry(open)] }));

    expect(out.FailedEntryCount).toBe(0);
  });

  it('refuses the whole call, putting none of its entries, when one entry goes to a bus that denies the caller', async () => {
    const guarded = await newBus();
    const open = await newBus();
    await root.send(new PutPermissionCommand({ EventBusName: guarded, Policy: onlyDeployment(guarded) }));
    const intruder = await as('some-other-role');
    const before = ingested();

    await expect(
      intruder.send(new PutEventsCommand({ Entries: [entry(open), entry(guarded)] })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });

    expect(ingested()).toBe(before);
  });

  it('describes the policy, and removes a statement by id', async () => {
    const bus = await newBus();
    await root.send(new PutPermissionCommand({ EventBusName: bus, Policy: onlyDeployment(bus) }));
    const described = await root.send(new DescribeEventBusCommand({ Name: bus }));
    expect(JSON.parse(described.Policy!)).toEqual(JSON.parse(onlyDeployment(bus)));

    await root.send(new RemovePermissionCommand({ EventBusName: bus, StatementId: 'only-this-deployment' }));

    expect((await root.send(new DescribeEventBusCommand({ Name: bus }))).Policy).toBeUndefined();
    const intruder = await as('some-other-role');
    expect((await intruder.send(new PutEventsCommand({ Entries: [entry(bus)] }))).FailedEntryCount).toBe(0);
  });

  it('refuses a policy it could not enforce, naming the part, and keeps the one it had', async () => {
    const bus = await newBus();
    await root.send(new PutPermissionCommand({ EventBusName: bus, Policy: onlyDeployment(bus) }));
    const unenforceable = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: '*',
          Condition: { DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
        },
      ],
    });

    await expect(
      root.send(new PutPermissionCommand({ EventBusName: bus, Policy: unenforceable })),
    ).rejects.toThrow(/Statement\[0\]\.Condition\.DateGreaterThan/);
    await expect(
      root.send(new PutPermissionCommand({ EventBusName: bus, Policy: '{"Version":"2012-10-17"' })),
    ).rejects.toThrow(/not JSON/);
    expect(JSON.parse((await root.send(new DescribeEventBusCommand({ Name: bus }))).Policy!)).toEqual(
      JSON.parse(onlyDeployment(bus)),
    );
  });

  it('adds an Allow statement by account with PutPermission, replacing a statement of the same id', async () => {
    const bus = await newBus();
    for (const account of ['222222222222', '333333333333']) {
      await root.send(
        new PutPermissionCommand({
          EventBusName: bus,
          Action: 'events:PutEvents',
          Principal: account,
          StatementId: 'partner',
        }),
      );
    }

    const policy = JSON.parse((await root.send(new DescribeEventBusCommand({ Name: bus }))).Policy!);

    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Sid: 'partner',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::333333333333:root' },
      }),
    ]);
  });
});
