import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryRegions, MemoryEventPublisher, type MemoryRegion } from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import {
  amiName,
  type FamilyConfig,
  fixedClock,
  type Image,
  managedTags,
  parsePolicy,
} from '@ami-lifecycle/core';
import {
  type PublicationPlan,
  type PublicationRequest,
  type PublishDeps,
  publicationIdFor,
  publicationPlan,
} from '../../src';

const EXAMPLE = join(__dirname, '../../../../examples/ami-lifecycle.yaml');

export const HOME = 'eu-west-1';
export const OTHER = 'eu-central-1';
export const START = '2026-03-01T10:00:00Z';
export const WORKLOADS = '222222222222';

/** The example policy's families, parsed as `amictl config apply` would store them. */
export const exampleFamilies = (): Record<string, FamilyConfig> =>
  parsePolicy(readFileSync(EXAMPLE, 'utf8'), 'examples/ami-lifecycle.yaml').families;

export interface World {
  catalog: InMemoryCatalog;
  regions: Map<string, MemoryRegion>;
  region: (name: string) => MemoryRegion;
  events: MemoryEventPublisher;
  clock: ReturnType<typeof fixedClock>;
  deps: PublishDeps;
  families: Record<string, FamilyConfig>;
  /** Moves the clock on; the fakes settle on their next call. */
  advance(seconds: number): void;
}

/** An in-memory account in both example regions, block public access on, the families' configs stored. */
export const createWorld = async (
  familyNames: readonly string[] = ['golden-al2023'],
  overrides: Record<string, FamilyConfig> = {},
): Promise<World> => {
  const clock = fixedClock(START);
  const catalog = new InMemoryCatalog();
  const regions = createMemoryRegions([HOME, OTHER], { clock });
  for (const r of regions.values()) r.images.setImageBlockPublicAccess(true);
  const families = { ...exampleFamilies(), ...overrides };
  for (const name of familyNames) {
    await catalog.putFamilyConfig(name, families[name], { expectedCurrent: null, at: START, by: 'test' });
  }
  const events = new MemoryEventPublisher({ clock });
  const region = (name: string) => {
    const r = regions.get(name);
    if (r === undefined) throw new RangeError(`no region ${name} in the world`);
    return r;
  };
  return {
    catalog,
    regions,
    region,
    events,
    clock,
    families,
    advance: (seconds) => clock.advance(seconds * 1000),
    deps: { catalog, events, clock, region: HOME, regions: (name) => region(name) },
  };
};

/**
 * A candidate of `family` taken through the lifecycle to `state` (with a passing verdict), its AMI an
 * available, managed image in the home region. Answers the image and the publication request that an
 * `Image Approved` of it would start.
 */
export const candidate = async (
  world: World,
  family: string,
  version: string,
  state: 'inspecting' | 'approved' = 'approved',
  verdict: 'pass' | 'fail' | 'none' = 'pass',
): Promise<{ image: Image; request: PublicationRequest }> => {
  const at = world.clock.now().toISOString();
  const buildId = `build-${family}-${version}`;
  const amiId = world.region(HOME).images.addImage({
    name: amiName(family, version),
    tags: { ...managedTags({ family, version, buildId }), 'cost-center': 'platform' },
  });
  const audit = { actor: 'test', reason: 'test', correlationId: `corr-${family}-${version}` };
  await world.catalog.createImage(
    {
      family,
      version,
      state: 'building',
      stateVersion: 0,
      amiIds: {},
      snapshotIds: [],
      buildId,
      vulnerable: false,
      managed: true,
      createdAt: at,
      stateChangedAt: at,
    },
    audit,
  );
  const steps: [Image['state'], Image['state'], object][] = [
    ['building', 'built', { amiIds: { [HOME]: amiId } }],
    ['built', 'inspecting', {}],
  ];
  if (state === 'approved') steps.push(['inspecting', 'approved', { verdict: 'pass', approver: 'auto' }]);
  let image = (await world.catalog.getImage(family, version))!;
  for (const [from, to, patch] of steps) {
    image = await world.catalog.transitionImage({
      family,
      version,
      from,
      to,
      expectedStateVersion: image.stateVersion,
      at,
      audit,
      patch,
    });
  }
  if (state === 'inspecting' && verdict !== 'none') {
    image = await world.catalog.updateImage(
      family,
      version,
      image.stateVersion,
      { verdict, reason: verdict === 'fail' ? '1 CRITICAL findings exceed the limit of 0' : 'all good' },
      { ...audit, at, action: 'inspection-recorded' },
    );
  }
  return {
    image,
    request: {
      publicationId: publicationIdFor(family, version, `image-approved:${family}@${version}`),
      family,
      version,
      imageId: amiId,
      correlationId: audit.correlationId,
    },
  };
};

/** The plan the machine's first step makes for the family's stored config. */
export const planFor = (world: World, family: string): PublicationPlan & { configVersion: number } => ({
  ...publicationPlan({ ...(world.families[family] as FamilyConfig), name: family }, HOME),
  configVersion: 1,
});
