import {
  DescribeInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { al2023, type Ec2Harness, errorCode, launch, REGION, startEc2, WORKLOADS } from './support';

describe('EC2 instances', () => {
  let h: Ec2Harness;
  beforeEach(async () => {
    h = await startEc2();
  });
  afterEach(() => h.close());

  it('launches instances pending, then running after 30 simulated seconds', async () => {
    const out = await h.client.send(
      new RunInstancesCommand({
        ImageId: al2023(),
        MinCount: 2,
        MaxCount: 2,
        InstanceType: 't3.micro',
        KeyName: 'builder',
        IamInstanceProfile: { Name: 'ami-builder' },
        MetadataOptions: { HttpTokens: 'required' },
        NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true }],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'role', Value: 'builder' }] }],
      }),
    );
    expect(out.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(out.OwnerId).toBe('111111111111');
    expect(out.Instances).toHaveLength(2);
    const [first] = out.Instances!;
    expect(first!.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(first!.State).toEqual({ Code: 0, Name: 'pending' });
    expect(first!.InstanceType).toBe('t3.micro');
    expect(first!.KeyName).toBe('builder');
    expect(first!.IamInstanceProfile?.Arn).toBe('arn:aws:iam::111111111111:instance-profile/ami-builder');
    expect(first!.MetadataOptions?.HttpTokens).toBe('required');
    expect(first!.PublicIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(first!.Tags).toEqual([{ Key: 'role', Value: 'builder' }]);
    expect(first!.Placement?.AvailabilityZone).toBe(`${REGION}a`);

    await h.clock.advance(29);
    const before = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [first!.InstanceId!] }));
    expect(before.Reservations![0]!.Instances![0]!.State?.Name).toBe('pending');
    await h.clock.advance(1);
    const after = await h.client.send(new DescribeInstancesCommand({}));
    expect(after.Reservations).toHaveLength(1);
    expect(after.Reservations![0]!.Instances!.map((i) => i.State?.Name)).toEqual(['running', 'running']);
  });

  it('copies the package inventory of the image into the simulated instance', async () => {
    const id = await launch(h);
    const sim = h.ec2.instances.find('111111111111', REGION, id)!;
    expect(sim.packages.get('openssl')).toBe('3.0.8-1.amzn2023.0.14');
    expect(sim.state).toBe('running');
    expect(h.ec2.instances.list('111111111111', REGION).map((i) => i.instanceId)).toEqual([id]);
    expect(h.ec2.instances.find(WORKLOADS, REGION, id)).toBeUndefined();
  });

  it('defaults to IMDSv2 on images that declare ImdsSupport v2.0', async () => {
    const id = await launch(h);
    const out = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(out.Reservations![0]!.Instances![0]!.MetadataOptions).toMatchObject({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 2,
    });
  });

  it('stops through stopping to stopped and terminates through shutting-down to terminated', async () => {
    const id = await launch(h);
    const stop = await h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances).toEqual([
      {
        InstanceId: id,
        PreviousState: { Code: 16, Name: 'running' },
        CurrentState: { Code: 64, Name: 'stopping' },
      },
    ]);
    await h.clock.advance(30);
    const stopped = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(stopped.Reservations![0]!.Instances![0]!.State?.Name).toBe('stopped');
    expect(stopped.Reservations![0]!.Instances![0]!.StateReason?.Code).toBe('Client.UserInitiatedShutdown');

    const start = await h.client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(start.StartingInstances![0]!.CurrentState?.Name).toBe('pending');
    await h.clock.advance(30);

    const term = await h.client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(term.TerminatingInstances![0]!.CurrentState?.Name).toBe('shutting-down');
    await h.clock.advance(30);
    const gone = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(gone.Reservations![0]!.Instances![0]!.State).toEqual({ Code: 48, Name: 'terminated' });
  });

  it('refuses to stop a pending instance with IncorrectInstanceState', async () => {
    const out = await h.client.send(new RunInstancesCommand({ ImageId: al2023(), MinCount: 1, MaxCount: 1 }));
    const id = out.Instances![0]!.InstanceId!;
    expect(await errorCode(h.client.send(new StopInstancesCommand({ InstanceIds: [id] })))).toBe(
      'IncorrectInstanceState',
    );
  });

  it('answers unknown instances with InvalidInstanceID.NotFound and bad ids with .Malformed', async () => {
    expect(
      await errorCode(h.client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))),
    ).toBe('InvalidInstanceID.NotFound');
    expect(await errorCode(h.client.send(new TerminateInstancesCommand({ InstanceIds: ['i-nope'] })))).toBe(
      'InvalidInstanceID.Malformed',
    );
  });

  it("hides one account's instances from another", async () => {
    const id = await launch(h);
    const other = h.clientFor(WORKLOADS);
    expect((await other.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
    expect(await errorCode(other.send(new TerminateInstancesCommand({ InstanceIds: [id] })))).toBe(
      'InvalidInstanceID.NotFound',
    );
  });

  it('filters instances by state, image, tag and tag-key', async () => {
    const a = await launch(h, {
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'platform' }] }],
    });
    const b = await launch(h, {
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'env', Value: 'test' }] }],
    });
    await h.client.send(new StopInstancesCommand({ InstanceIds: [b] }));
    const ids = async (Filters: { Name: string; Values: string[] }[]) =>
      (await h.client.send(new DescribeInstancesCommand({ Filters }))).Reservations!.flatMap((r) =>
        r.Instances!.map((i) => i.InstanceId),
      );
    expect(await ids([{ Name: 'instance-state-name', Values: ['running'] }])).toEqual([a]);
    expect(await ids([{ Name: 'instance-state-name', Values: ['stop*'] }])).toEqual([b]);
    expect(await ids([{ Name: 'image-id', Values: [al2023()] }])).toEqual([a, b]);
    expect(await ids([{ Name: 'tag:team', Values: ['plat*'] }])).toEqual([a]);
    expect(await ids([{ Name: 'tag-key', Values: ['env'] }])).toEqual([b]);
    expect(await errorCode(ids([{ Name: 'no-such-filter', Values: ['x'] }]))).toBe('InvalidParameterValue');
  });

  it('pages DescribeInstances with MaxResults and NextToken', async () => {
    await h.client.send(new RunInstancesCommand({ ImageId: al2023(), MinCount: 7, MaxCount: 7 }));
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await h.client.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken }));
      seen.push(...page.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(await errorCode(h.client.send(new DescribeInstancesCommand({ MaxResults: 4 })))).toBe(
      'InvalidParameterValue',
    );
  });

  it('validates MinCount, MaxCount and InstanceType', async () => {
    expect(
      await errorCode(
        h.client.send(new RunInstancesCommand({ ImageId: al2023(), MinCount: 3, MaxCount: 2 })),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await errorCode(
        h.client.send(
          new RunInstancesCommand({
            ImageId: al2023(),
            MinCount: 1,
            MaxCount: 1,
            InstanceType: 'huge' as never,
          }),
        ),
      ),
    ).toBe('InvalidParameterValue');
    expect(await errorCode(h.client.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1 })))).toBe(
      'MissingParameter',
    );
  });

  it('returns the same reservation for a repeated ClientToken', async () => {
    const input = { ImageId: al2023(), MinCount: 1, MaxCount: 1, ClientToken: 'build-42' };
    const first = await h.client.send(new RunInstancesCommand(input));
    const again = await h.client.send(new RunInstancesCommand(input));
    expect(again.ReservationId).toBe(first.ReservationId);
    expect(h.ec2.instances.list('111111111111', REGION)).toHaveLength(1);
  });

  it('answers DryRun with DryRunOperation and launches nothing', async () => {
    expect(
      await errorCode(
        h.client.send(new RunInstancesCommand({ ImageId: al2023(), MinCount: 1, MaxCount: 1, DryRun: true })),
      ),
    ).toBe('DryRunOperation');
    expect(h.ec2.instances.list('111111111111', REGION)).toHaveLength(0);
  });
});
