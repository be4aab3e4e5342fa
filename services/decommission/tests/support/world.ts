import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryEventPublisher, MemoryInventory, MemorySharedUsage } from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import {
  amiName,
  DAY_MS,
  type FamilyConfig,
  fixedClock,
  type Hold,
  type Image,
  type LifecycleState,
  managedTags,
  organizationConfigOf,
  parsePolicy,
  type RetentionPlan,
  type RetentionPolicyInput,
} from '@ami-lifecycle/core';
import {
  type DecommissionDeps,
  loadSweepSettings,
  type PlannedSweep,
  planSweep,
  type SweepSettings,
} from '../../src';
import { InventoryImages } from './inventory-images';

const EXAMPLE = join(__dirname, '../../../../examples/ami-lifecycle.yaml');

export const HOME = 'eu-west-1';
export const OTHER = 'eu-central-1';
/** When every sweep of these tests runs, unless a test moves the clock. */
export const NOW = '2026-06-01T00:00:00.000Z';
export const GOLDEN = 'golden-al2023';
export const PAYMENTS = 'payments-api';
export const SWEEP = 'sweep-2026-06-01';
export const HOUR_MS = 3_600_000;

/**
 * A short retention for the example's families (as the e2e sweep uses): only the newest image is kept,
 * and an expired image moves a stage every two days.
 */
export const RETENTION: RetentionPolicyInput = {
  keepLatest: 1,
  retainAtLeast: 1,
  disableAfterDeprecatedDays: 2,
  retireAfterDisabledDays: 2,
  inUseGraceDays: 3,
  failedRetireAfterDays: 7,
  maxRetirementsPerRun: 10,
};

/** The owner account's EC2 in one region (inventory and images over one store) and the workloads account's. */
export interface Region {
  inventory: MemoryInventory;
  images: InventoryImages;
  shared: MemorySharedUsage;
}

export interface NewImage {
  state?: LifecycleState;
  /** Where its AMIs are; default both regions. */
  regions?: string[];
  /** Default: an hour after the image added before it, so images added later are newer. */
  createdAt?: string;
  /** Default ten days before NOW: every grace of `RETENTION` has passed. */
  stateChangedAt?: string;
  /** Snapshot sizes of each AMI; default one of 8 GiB. */
  snapshots?: number[];
  /** The image it is built on. */
  parent?: Image;
}

export interface World {
  clock: ReturnType<typeof fixedClock>;
  catalog: InMemoryCatalog;
  events: MemoryEventPublisher;
  regions: Map<string, Region>;
  region(name: string): Region;
  deps: DecommissionDeps;
  settings: SweepSettings;
  /** A catalog image of `family` with a managed AMI in each of its regions (in the EC2 state its state implies). */
  addImage(family: string, version: string, image?: NewImage): Promise<Image>;
  image(family: string, version: string): Promise<Image>;
  plan(sweepId?: string, input?: { dryRun?: boolean; store?: boolean }): Promise<PlannedSweep>;
  /** A hold stored in the catalog (what `placeHold` stores), on an image or, without a version, a family. */
  hold(id: string, family: string, version?: string, extra?: Partial<Hold>): Promise<Hold>;
}

export interface WorldOptions {
  /** Families whose config is stored, each with `RETENTION` and these overrides. Default golden-al2023. */
  families?: Record<string, Partial<RetentionPolicyInput>>;
  /** Overrides of the organisation's sweep guards (the example's: 40 retirements, 30 minutes). */
  guards?: Partial<SweepSettings['guards']>;
  /** What the first sweep under a new or changed policy does; `apply` unless a test says otherwise. */
  afterPolicyChange?: SweepSettings['afterPolicyChange'];
}

/** The example organisation in two regions, in memory, with the families' configs and its own config stored. */
export const createWorld = async (options: WorldOptions = {}): Promise<World> => {
  const clock = fixedClock(NOW);
  const catalog = new InMemoryCatalog();
  const policy = parsePolicy(readFileSync(EXAMPLE, 'utf8'), 'examples/ami-lifecycle.yaml');
  const stored = { expectedCurrent: null, at: NOW, by: 'test' };
  // Most tests act on their first sweep; the rule that a new policy's first sweep only plans has its own.
  const organization = organizationConfigOf(policy);
  await catalog.putOrganizationConfig(
    {
      ...organization,
      sweep: { ...organization.sweep, afterPolicyChange: options.afterPolicyChange ?? 'apply' },
    },
    stored,
  );
  for (const [family, retention] of Object.entries(options.families ?? { [GOLDEN]: {} })) {
    const config = policy.families[family];
    if (config === undefined) throw new RangeError(`no family ${family} in the example policy`);
    await catalog.putFamilyConfig(
      family,
      { ...config, retention: { ...RETENTION, ...retention } } as FamilyConfig,
      stored,
    );
  }
  const loaded = await loadSweepSettings(catalog);
  const settings: SweepSettings = { ...loaded, guards: { ...loaded.guards, ...options.guards } };

  const regions = new Map<string, Region>();
  [HOME, OTHER].forEach((name, i) => {
    // Ids apart per region, so an AMI or snapshot id names one region's resource only.
    const inventory = new MemoryInventory({ clock, region: name, idSeed: i * 2 ** 24 });
    regions.set(name, {
      inventory,
      images: new InventoryImages(inventory, clock),
      shared: new MemorySharedUsage({ region: name, idSeed: 2 ** 44 + i * 2 ** 24 }),
    });
  });
  const region = (name: string): Region => {
    const r = regions.get(name);
    if (r === undefined) throw new RangeError(`no region ${name} in the world`);
    return r;
  };
  const events = new MemoryEventPublisher({ clock });
  const deps: DecommissionDeps = {
    catalog,
    events,
    clock,
    region: HOME,
    images: (name) => region(name).images,
    inventory: (name) => region(name).inventory,
    sharedUsage: (_account, name) => region(name).shared,
  };

  let added = 0;
  const world: World = {
    clock,
    catalog,
    events,
    regions,
    region,
    deps,
    settings,
    addImage: async (family, version, image = {}) => {
      const state = image.state ?? 'published';
      const createdAt = image.createdAt ?? new Date(Date.parse('2026-01-01T00:00:00Z') + added * HOUR_MS);
      added += 1;
      const stateChangedAt = image.stateChangedAt ?? new Date(Date.parse(NOW) - 10 * DAY_MS).toISOString();
      const tags = managedTags({ family, version, buildId: `build-${family}-${version}` });
      const amiIds: Record<string, string> = {};
      for (const name of image.regions ?? [HOME, OTHER]) {
        const { inventory } = region(name);
        const amiId = inventory.addImage({
          name: amiName(family, version),
          tags,
          creationDate: new Date(createdAt).toISOString(),
          snapshots: (image.snapshots ?? [8]).map((sizeGiB) => ({ sizeGiB })),
          ...(state === 'deprecated' || state === 'disabled' ? { deprecationTime: stateChangedAt } : {}),
        });
        if (state === 'disabled') inventory.setImageState(amiId, 'disabled');
        amiIds[name] = amiId;
      }
      const home = amiIds[HOME] ?? Object.values(amiIds)[0];
      const created: Image = {
        family,
        version,
        state,
        stateVersion: 0,
        amiIds,
        snapshotIds: home === undefined ? [] : (region(HOME).inventory.image(home)?.snapshotIds ?? []),
        vulnerable: false,
        managed: true,
        createdAt: new Date(createdAt).toISOString(),
        stateChangedAt,
        ...(image.parent === undefined
          ? {}
          : {
              parent: {
                family: image.parent.family,
                version: image.parent.version,
                amiId: image.parent.amiIds[HOME]!,
              },
            }),
      };
      await catalog.createImage(created, {
        actor: 'test',
        reason: 'seeded',
        correlationId: `corr-${family}-${version}`,
      });
      return world.image(family, version);
    },
    image: async (family, version) => {
      const image = await catalog.getImage(family, version);
      if (image === undefined) throw new RangeError(`no image ${family}@${version} in the catalog`);
      return image;
    },
    plan: (sweepId = SWEEP, input = {}) =>
      planSweep({ sweepId, dryRun: input.dryRun ?? false, store: input.store }, settings, deps),
    hold: async (id, family, version, extra = {}) => {
      const hold: Hold = {
        id,
        target: version === undefined ? { kind: 'family', family } : { kind: 'image', family, version },
        reason: 'litigation LIT-42',
        owner: 'legal@example.com',
        ticket: 'LEGAL-7',
        createdAt: clock.now().toISOString(),
        ...extra,
      };
      await catalog.putHold(hold);
      return hold;
    },
  };
  return world;
};

/** The decision the plan made for an image. */
export const decisionOf = (plan: RetentionPlan, image: Pick<Image, 'family' | 'version'>) =>
  plan.decisions.find((d) => d.family === image.family && d.version === image.version);
