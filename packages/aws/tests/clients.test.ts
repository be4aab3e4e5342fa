import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { assumeRoleClients, clientOptionsFromEnv, createClients, Ec2Compute, ThrottledError } from '../src';
import { startTestCloud, type TestCloud } from './support/cloud';

describe('AWS clients', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(() => t.cloud.stop());

  const setFaults = async (body: object) => {
    const res = await fetch(`${t.cloud.endpoint}/_local/faults`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };

  it('reads the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(clientOptionsFromEnv({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }).region).toBe(
      'eu-west-1',
    );
    expect(clientOptionsFromEnv({ AWS_DEFAULT_REGION: 'us-east-1' }).region).toBe('us-east-1');
  });

  it('reaches the endpoint named by AWS_ENDPOINT_URL_<SERVICE> without being told', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, t.cloud.env);
    try {
      const clients = createClients();
      const out = await clients.ec2.send(new DescribeInstancesCommand({}));
      expect(out.Reservations).toBeDefined();
    } finally {
      for (const key of Object.keys(t.cloud.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('acts in another account through an assumed role', async () => {
    const { credentials: _ignored, ...config } = t.cloud.clientConfig;
    const workloads = assumeRoleClients('arn:aws:iam::222222222222:role/ami-lifecycle-inventory', {
      ...config,
      sts: t.clients.sts,
    });

    const identity = await workloads.sts.send(new GetCallerIdentityCommand({}));

    expect(identity.Account).toBe('222222222222');
  });

  it('judges the assumed keys’ expiry by the clock it is given, not the machine’s', async () => {
    // The local cloud's STS stamps expiry on its simulated clock; a sweep days ahead of the machine's
    // date must not reuse keys that expired there.
    const { credentials: _ignored, ...config } = t.cloud.clientConfig;
    const assume = jest.spyOn(t.clients.sts, 'send');
    let at = t.cloud.clock.now();
    const workloads = assumeRoleClients('arn:aws:iam::222222222222:role/ami-lifecycle-inventory', {
      ...config,
      sts: t.clients.sts,
      clock: { now: () => at },
    });
    const assumed = () =>
      assume.mock.calls.filter(([command]) => command.constructor.name === 'AssumeRoleCommand').length;
    await workloads.sts.send(new GetCallerIdentityCommand({}));
    const first = assumed();
    await workloads.sts.send(new GetCallerIdentityCommand({}));
    const whileValid = assumed();
    at = new Date(at.getTime() + 2 * 3_600_000);
    await workloads.sts.send(new GetCallerIdentityCommand({}));

    expect(first).toBeGreaterThan(0);
    expect(whileValid).toBe(first);
    expect(assumed()).toBeGreaterThan(whileValid);
    assume.mockRestore();
  });

  it('maps EC2 throttling (RequestLimitExceeded) to ThrottledError', async () => {
    const compute = new Ec2Compute(t.clients.ec2);
    await setFaults({ service: 'ec2', throttling: true, bucket: { capacity: 1, refillPerSecond: 0 } });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 3 }, () => compute.describeInstance('i-0123456789abcdef0')),
      );
      const rejected = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason);

      expect(rejected.length).toBeGreaterThan(0);
      for (const err of rejected) {
        expect(err).toBeInstanceOf(ThrottledError);
        expect(err).toMatchObject({
          service: 'ec2',
          operation: 'DescribeInstances',
          code: 'RequestLimitExceeded',
        });
      }
    } finally {
      await setFaults({ clear: true });
    }
  });
});
