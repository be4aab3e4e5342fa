import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { type AwsClients, createClients, Ec2Compute, Ec2Images } from '../../src';

export const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/** A region besides the cloud's default one (`eu-west-1`), for copies between regions. */
export const OTHER_REGION = 'us-east-1';

export interface TestCloud {
  cloud: LocalCloud;
  /** One attempt per call: a throttled or failed call shows at once, without the SDK's real-time backoff. */
  clients: AwsClients;
  /** The same account's clients signing for another region (the cloud routes by the SigV4 region), kept per region. */
  inRegion(region: string): AwsClients;
}

export const startTestCloud = async (): Promise<TestCloud> => {
  const cloud = await startLocalCloud({ port: 0, start: '2026-03-01T00:00:00Z' });
  const clients = createClients({ ...cloud.clientConfig, maxAttempts: 1 });
  const byRegion = new Map<string, AwsClients>([[cloud.region, clients]]);
  const inRegion = (region: string) => {
    let c = byRegion.get(region);
    if (!c) {
      c = createClients({ ...cloud.clientConfig, region, maxAttempts: 1 });
      byRegion.set(region, c);
    }
    return c;
  };
  return { cloud, clients, inRegion };
};

export const managedTags = { 'ami-lifecycle:managed': 'true', 'ami-lifecycle:family': 'golden-al2023' };

/** Launches an AL2023 instance through the adapter and lets it boot on the simulated clock. */
export const launchRunning = async (
  t: TestCloud,
  tags: Record<string, string> = { ...managedTags, Name: 'builder' },
): Promise<{ instanceId: string; imageId: string }> => {
  const images = new Ec2Images(t.clients.ec2, t.clients.ssm);
  const imageId = await images.resolveSsmImageParameter(AL2023_PARAMETER);
  const { instanceId } = await new Ec2Compute(t.clients.ec2).launchInstance({
    imageId,
    instanceType: 't3.micro',
    instanceProfile: 'ami-lifecycle-builder',
    tags,
    rootVolume: { sizeGiB: 16, encrypted: true },
  });
  await t.cloud.clock.advance(60);
  return { instanceId, imageId };
};

/** Builds a managed (or, with other tags, unmanaged) available image from a stopped instance. */
export const availableImage = async (t: TestCloud, name: string, tags: Record<string, string>) => {
  const { instanceId } = await launchRunning(t);
  const images = new Ec2Images(t.clients.ec2, t.clients.ssm);
  const { imageId } = await images.createImage({ instanceId, name, description: name, tags });
  await t.cloud.clock.advance(600);
  return imageId;
};
