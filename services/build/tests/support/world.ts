import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryCloud, type MemoryCloud } from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import { type BuildRequestedDetail, buildRequested } from '@ami-lifecycle/contracts';
import { amiName, type FamilyConfig, type Image, managedTags, parsePolicy } from '@ami-lifecycle/core';
import { type BuildDeps, type BuildProgress, launchBuild } from '../../src';

const EXAMPLE = join(__dirname, '../../../../examples/ami-lifecycle.yaml');

/** The example policy's families, parsed as `amictl config apply` would store them. */
export const exampleFamilies = (): Record<string, FamilyConfig> =>
  parsePolicy(readFileSync(EXAMPLE, 'utf8'), 'examples/ami-lifecycle.yaml').families;

export const HOME = 'eu-west-1';
export const START = '2026-03-01T10:00:00Z';

export interface World {
  cloud: MemoryCloud;
  catalog: InMemoryCatalog;
  deps: BuildDeps;
  families: Record<string, FamilyConfig>;
}

/** A fresh in-memory cloud and catalog holding the given families' configs (version 1 each). */
export const createWorld = async (
  familyNames: readonly string[] = ['golden-al2023'],
  overrides: Record<string, FamilyConfig> = {},
): Promise<World> => {
  const cloud = createMemoryCloud({ start: START });
  const catalog = new InMemoryCatalog();
  const families = { ...exampleFamilies(), ...overrides };
  for (const name of familyNames) {
    await catalog.putFamilyConfig(name, families[name], { expectedCurrent: null, at: START, by: 'test' });
  }
  return {
    cloud,
    catalog,
    families,
    deps: {
      catalog,
      compute: cloud.compute,
      images: cloud.images,
      commands: cloud.commands,
      events: cloud.events,
      clock: cloud.clock,
      region: HOME,
    },
  };
};

/** `launchBuild` of `buildRequest()`, asserting that it started, with the builder booted (30 s later). */
export const launchedBuild = async (world: World): Promise<BuildProgress> => {
  const result = await launchBuild(buildRequest(), world.deps);
  if (result.outcome !== 'started') throw new Error(`expected started, got ${result.outcome}`);
  const { outcome: _outcome, ...progress } = result;
  world.cloud.advance(30);
  return progress;
};

/** A `Build Requested` detail, checked against its contract. */
export const buildRequest = (overrides: Partial<BuildRequestedDetail> = {}): BuildRequestedDetail =>
  buildRequested.schema.parse({
    schemaVersion: 1,
    family: 'golden-al2023',
    correlationId: 'corr-1',
    idempotencyKey: 'request-1',
    occurredAt: START,
    reason: 'manual',
    requestedBy: 'alice@example.com',
    force: false,
    ...overrides,
  });

/** Seeds a published image of `family` whose `channel` points at it; answers the image. */
export const publishedImage = async (
  world: World,
  family: string,
  version: string,
  channel: string,
): Promise<Image> => {
  const amiId = world.cloud.images.addImage({
    name: amiName(family, version),
    tags: managedTags({ family, version, buildId: `seed-${version}` }),
  });
  const image: Image = {
    family,
    version,
    state: 'published',
    stateVersion: 0,
    amiIds: { [HOME]: amiId },
    snapshotIds: [],
    vulnerable: false,
    managed: true,
    createdAt: START,
    stateChangedAt: START,
    publishedAt: START,
  };
  await world.catalog.createImage(image, { actor: 'test', reason: 'seed', correlationId: 'seed' });
  const current = await world.catalog.getChannel(family, channel);
  await world.catalog.setChannel(family, channel, version, {
    expectedRevision: current?.revision ?? null,
    at: START,
    audit: { actor: 'test', reason: 'seed', correlationId: 'seed' },
  });
  return image;
};

/**
 * What the build state machine does after the components ran: CreateImage on the builder, then the AMI id
 * recorded on the catalog image. Answers the new AMI id.
 */
export const createBuilderImage = async (
  world: World,
  image: Image,
  instanceId: string,
  options: { record?: boolean } = {},
): Promise<string> => {
  const { imageId } = await world.cloud.images.createImage({
    instanceId,
    name: amiName(image.family, image.version),
    description: `${image.family} ${image.version}`,
    tags: managedTags({
      family: image.family,
      version: image.version,
      buildId: image.buildId!,
      parent: image.parent,
    }),
  });
  if (options.record ?? true) {
    const current = (await world.catalog.getImage(image.family, image.version))!;
    await world.catalog.updateImage(
      image.family,
      image.version,
      current.stateVersion,
      { amiIds: { [HOME]: imageId } },
      {
        actor: 'test',
        reason: 'CreateImage accepted',
        correlationId: 'corr-1',
        at: START,
        action: 'ami-created',
      },
    );
  }
  return imageId;
};
