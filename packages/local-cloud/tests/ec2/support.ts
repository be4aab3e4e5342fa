import {
  CreateImageCommand,
  EC2Client,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createServices } from '../../src/services';
import { Ec2Service, type Ec2ServiceOptions } from '../../src/services/ec2';
import { PUBLIC_IMAGES, publicImageId } from '../../src/services/ec2/public-images';
import { startTestEdge } from '../../src/testing/edge-harness';
import type { CloudContext, EmulatedService } from '../../src/types';

export const TOOLING = '111111111111';
export const WORKLOADS = '222222222222';
export const OUTSIDER = '333333333333';
export const REGION = 'eu-west-1';
export const ORG_ARN = `arn:aws:organizations::${TOOLING}:organization/o-testorg123`;
export const ouArn = (ou: string) => `arn:aws:organizations::${TOOLING}:ou/o-testorg123/${ou}`;

/** The seeded Amazon Linux 2023 x86_64 AMI of a region, known before the cloud starts. */
export const al2023 = (region = REGION) => publicImageId(region, PUBLIC_IMAGES[0]!.name);
export const ubuntu = (region = REGION) => publicImageId(region, PUBLIC_IMAGES[2]!.name);

/**
 * An edge with only EC2 on it, an SDK client for the default account (111…), and a way to get clients
 * acting as the other modelled accounts through role credentials, as the multi-account code does.
 */
export const startEc2 = (options?: Ec2ServiceOptions) =>
  startHarness((ctx) => {
    const ec2 = new Ec2Service(ctx, options);
    return { ec2, all: [ec2] };
  });

/**
 * EC2 wired to SSM as a full cloud wires them (`createServices`), with SSM clients for any account and
 * region: for what one service answers about the other's resources.
 */
export const startEc2WithSsm = async () => {
  const h = await startHarness((ctx) => createServices(ctx));
  const ssmClients: SSMClient[] = [];
  const ssmFor = (accountId = TOOLING, region = REGION) => {
    const c = new SSMClient({
      ...h.edge.clientConfig,
      region,
      maxAttempts: 1,
      ...(accountId === TOOLING ? {} : { credentials: h.credentialsFor(accountId) }),
    });
    ssmClients.push(c);
    return c;
  };
  return {
    ...h,
    ssmFor,
    close: async () => {
      for (const c of ssmClients) c.destroy();
      await h.close();
    },
  };
};

const startHarness = async (build: (ctx: CloudContext) => { ec2: Ec2Service; all: EmulatedService[] }) => {
  let ec2: Ec2Service | undefined;
  const edge = await startTestEdge((ctx) => {
    const built = build(ctx);
    ec2 = built.ec2;
    return built.all;
  });
  const clients: EC2Client[] = [];
  // One attempt: a retry would wait on real time, and tests never do.
  const make = (config: ConstructorParameters<typeof EC2Client>[0]) => {
    const c = new EC2Client({ ...config, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const client = make(edge.clientConfig);
  const credentialsFor = (accountId: string) => {
    const creds = edge.accounts.issueRoleCredentials(
      `arn:aws:iam::${accountId}:role/test`,
      'ec2-test',
      edge.clock.nowMillis(),
      // Long enough that advancing the simulated clock by days never expires them.
      365 * 24 * 3600,
    );
    return {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
    };
  };
  const clientFor = (accountId: string, region = REGION) => {
    if (accountId === TOOLING && region === REGION) return client;
    return make({ ...edge.clientConfig, region, credentials: credentialsFor(accountId) });
  };
  return {
    edge,
    ec2: ec2!,
    client,
    clientFor,
    credentialsFor,
    clock: edge.clock,
    close: async () => {
      for (const c of clients) c.destroy();
      await edge.close();
    },
  };
};

export type Ec2Harness = Awaited<ReturnType<typeof startEc2>>;

/** Launches one instance and lets it boot. */
export const launch = async (
  h: Ec2Harness,
  input: Partial<RunInstancesCommandInput> = {},
  client = h.client,
): Promise<string> => {
  const out = await client.send(
    new RunInstancesCommand({
      ImageId: al2023(),
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      ...input,
    }),
  );
  await h.clock.advance(30);
  return out.Instances![0]!.InstanceId!;
};

/** Launches an instance, images it and lets the image become available: the usual golden-build path. */
export const buildImage = async (h: Ec2Harness, name: string, client = h.client): Promise<string> => {
  const instanceId = await launch(h, {}, client);
  const { ImageId } = await client.send(new CreateImageCommand({ InstanceId: instanceId, Name: name }));
  await h.clock.advance(600);
  return ImageId!;
};

/** The AWS error code an SDK call fails with. */
export const errorCode = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return (e as { name: string }).name;
  }
  throw new Error('expected the call to fail');
};
