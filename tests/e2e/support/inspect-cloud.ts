import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { type ImageBuiltDetail, imageBuilt } from '@ami-lifecycle/contracts';
import { amiName, type FamilyConfig, type Image, managedTags, parsePolicy } from '@ami-lifecycle/core';
import { INSPECTION_ID_TAG, inspectionIdFor } from '@ami-lifecycle/inspect-service';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import {
  CreateImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  GetCommandInvocationCommand,
  GetParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { LocalPipeline } from '../../../scripts/local-pipeline';

export const ROOT = join(__dirname, '..', '..', '..');
export const STAGE = 'local';
export const REGION = 'eu-west-1';
export const START = '2026-03-01T09:00:00.000Z';
export const VERSION = '2026.03.01.1';
/** The AL2023 image the local cloud's public parameter points at. */
const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/** The example policy's golden-al2023 family: what every family of these suites is a copy of. */
export const goldenAl2023 = (): FamilyConfig =>
  parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example').families[
    'golden-al2023'
  ]!;

export interface InspectCloud {
  cloud: LocalCloud;
  /** The stage's table and bus, driven as the other suites drive them. */
  pipeline: LocalPipeline;
  catalog: DynamoDbCatalog;
  ec2: EC2Client;
}

/** The local cloud with root serverless.yml deployed (DynamoDB Local shared by the test run). */
export const startInspectCloud = async (options: {
  /** `dynamoDbEndpoint()` of tests/support: the test run's DynamoDB Local. */
  dynamoDbEndpoint: string;
  inspector2?: { scanDelaySeconds?: number };
}): Promise<InspectCloud> => {
  const cloud = await startLocalCloud({
    port: 0,
    region: REGION,
    start: START,
    dynamodb: { endpoint: options.dynamoDbEndpoint },
    deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage: STAGE, root: ROOT },
    ...(options.inspector2 ? { inspector2: options.inspector2 } : {}),
  });
  const pipeline = new LocalPipeline(cloud, STAGE);
  return { cloud, pipeline, catalog: pipeline.catalog, ec2: new EC2Client(cloud.clientConfig) };
};

/** Stores a family's config, as `amictl config apply` would. */
export const storeFamily = (world: InspectCloud, name: string, config: FamilyConfig): Promise<void> =>
  world.pipeline.storeFamilies({ [name]: config });

/** A copy of golden-al2023 with these gate waivers. */
export const withWaivers = (
  config: FamilyConfig,
  waivers: { id: string; expiresAt: string }[],
): FamilyConfig => ({
  ...config,
  inspect: {
    ...config.inspect,
    gate: {
      ...config.inspect.gate,
      waivers: waivers.map((w) => ({
        ...w,
        reason: 'accepted for the e2e test',
        approvedBy: 'sec@example.com',
      })),
    },
  },
});

/**
 * Real AMIs in the EC2 emulator, made as the build does it: a builder from the public AL2023 image, the
 * OS update and extra commands through SSM (so the image's packages are what Inspector will scan), then
 * CreateImage with our managed tags. All are made side by side; answers their ids in order.
 */
export const makeAmis = async (
  world: InspectCloud,
  specs: { family: string; commands: string[]; version?: string }[],
): Promise<string[]> => {
  const { cloud, ec2 } = world;
  const ssm = new SSMClient(cloud.clientConfig);
  const parameter = await ssm.send(new GetParameterCommand({ Name: AL2023_PARAMETER }));
  const builders: string[] = [];
  for (const _ of specs) {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: parameter.Parameter!.Value!,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.medium',
        IamInstanceProfile: { Name: 'ami-lifecycle-builder' },
      }),
    );
    builders.push(run.Instances![0]!.InstanceId!);
  }
  await cloud.clock.advance(60);
  const commands = await Promise.all(
    specs.map((spec, i) =>
      ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [builders[i]!],
          Parameters: { commands: ['dnf -y upgrade --releasever=latest', ...spec.commands] },
        }),
      ),
    ),
  );
  await cloud.clock.advance(600);
  for (const [i, sent] of commands.entries()) {
    const invocation = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: sent.Command!.CommandId!, InstanceId: builders[i]! }),
    );
    if (invocation.Status !== 'Success') throw new Error(`builder command ${invocation.Status}`);
  }
  const amiIds: string[] = [];
  for (const [i, spec] of specs.entries()) {
    const version = spec.version ?? VERSION;
    const tags = managedTags({ family: spec.family, version, buildId: `e2e-${spec.family}` });
    const out = await ec2.send(
      new CreateImageCommand({
        InstanceId: builders[i]!,
        Name: amiName(spec.family, version),
        TagSpecifications: [
          { ResourceType: 'image', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        ],
      }),
    );
    amiIds.push(out.ImageId!);
  }
  await cloud.clock.advance(900);
  const images = await ec2.send(new DescribeImagesCommand({ ImageIds: amiIds }));
  const states = (images.Images ?? []).map((i) => i.State);
  if (states.length !== amiIds.length || states.some((s) => s !== 'available')) {
    throw new Error(`AMIs not available: ${states.join(', ')}`);
  }
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: builders }));
  return amiIds;
};

/** A catalog image of `family` in `state`, holding the AMI, as the build service leaves it. */
export const catalogImage = async (
  world: InspectCloud,
  family: string,
  amiId: string,
  state: Image['state'] = 'built',
  version = VERSION,
): Promise<Image> => {
  const at = world.cloud.clock.now().toISOString();
  const image: Image = {
    family,
    version,
    state,
    stateVersion: 0,
    amiIds: { [REGION]: amiId },
    snapshotIds: [],
    buildId: `e2e-${family}`,
    vulnerable: false,
    managed: true,
    createdAt: at,
    stateChangedAt: at,
    ...(state === 'published' ? { publishedAt: at } : {}),
  };
  await world.catalog.createImage(image, {
    actor: 'e2e',
    reason: 'seeded by the e2e test',
    correlationId: `corr-${family}`,
  });
  return image;
};

/** The `Image Built` the build service emits for this image, checked against its contract. */
export const imageBuiltOf = (world: InspectCloud, image: Image): ImageBuiltDetail =>
  imageBuilt.schema.parse({
    schemaVersion: 1,
    family: image.family,
    version: image.version,
    correlationId: `corr-${image.family}`,
    idempotencyKey: `image-built:${image.family}@${image.version}`,
    occurredAt: world.cloud.clock.now().toISOString(),
    imageId: image.amiIds[REGION],
    buildId: image.buildId,
    region: REGION,
    snapshotIds: ['snap-0123456789abcdef0'],
    sourceAmiId: 'ami-0123456789abcdef0',
    buildKey: 'b'.repeat(64),
  });

export const putImageBuilt = (world: InspectCloud, detail: ImageBuiltDetail): Promise<void> =>
  world.pipeline.put('Image Built', detail);

export const inspectionIdOf = (detail: ImageBuiltDetail): string =>
  inspectionIdFor('candidate', detail.family, detail.version, detail.idempotencyKey);

export const executionArnOf = (world: InspectCloud, inspectionId: string): string =>
  `arn:aws:states:${REGION}:${world.cloud.accounts.defaultAccountId}:execution:ami-lifecycle-${STAGE}-inspect:${inspectionId}`;

/** The test instances of an inspection, found by its tag, with their states. */
export const testInstances = async (world: InspectCloud, inspectionId: string) => {
  const out = await world.ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: `tag:${INSPECTION_ID_TAG}`, Values: [inspectionId] }] }),
  );
  return (out.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .map((i) => ({
      instanceId: i.InstanceId!,
      state: i.State?.Name,
      imageId: i.ImageId,
      httpTokens: i.MetadataOptions?.HttpTokens,
      publicIp: i.PublicIpAddress,
    }));
};

/** The events of `detailType` about `family` that reached our bus. */
export const ingested = (world: InspectCloud, detailType: string, family: string): unknown[] =>
  world.pipeline.ingested(detailType, family);
