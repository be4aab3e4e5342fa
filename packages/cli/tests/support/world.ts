import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MemoryEventPublisher,
  MemoryImages,
  MemoryInventory,
  MemorySharedUsage,
} from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import {
  fixedClock,
  type Image,
  type ImagePort,
  type LifecycleState,
  managedTags,
  organizationConfigOf,
  type ParameterPort,
  parsePolicy,
} from '@ami-lifecycle/core';
import { type AmictlDeps, type ExitCode, runAmictl } from '../../src';

export const EXAMPLE = join(__dirname, '../../../../examples/ami-lifecycle.yaml');
export const HOME = 'eu-west-1';
export const START = '2026-03-01T10:00:00.000Z';

/** Every CatalogPort method that writes: a test proves "nothing changed" by none being called. */
const WRITES = new Set<string>([
  'applyPolicyConfigs',
  'putFamilyConfig',
  'putOrganizationConfig',
  'createImage',
  'transitionImage',
  'updateImage',
  'setChannel',
  'putHold',
  'releaseHold',
  'savePlan',
  'recordRefreshDecision',
]);

/** SSM parameters of one region, taking every AMI id at once (no asynchronous validation). */
export class FakeParameters implements ParameterPort {
  readonly values = new Map<string, { value: string; version: number }>();
  async putImageParameter(name: string, amiId: string): Promise<{ version: number }> {
    const version = (this.values.get(name)?.version ?? 0) + 1;
    this.values.set(name, { value: amiId, version });
    return { version };
  }
  async getParameter(name: string) {
    return this.values.get(name);
  }
}

export interface World {
  /** The catalog itself, for seeding and reading back; amictl gets a recording view of it. */
  catalog: InMemoryCatalog;
  events: MemoryEventPublisher;
  clock: ReturnType<typeof fixedClock>;
  parameters: Map<string, FakeParameters>;
  /** EC2 images per region; amictl may only describe them and change their deregistration protection (holds). */
  ec2: Map<string, MemoryImages>;
  /** The owner account's live inventory per region (retention plan); made when first needed. */
  inventory: Map<string, MemoryInventory>;
  /** Other accounts' usage, by `<account id>|<region>`; made when first needed. */
  sharedUsage: Map<string, MemorySharedUsage>;
  /** The sweeps amictl started, in order; a second start of one sweep id is a duplicate. */
  starts: { sweepId: string; dryRun: boolean }[];
  /** The questions amictl asked on the "terminal", and the answers it gets, in order (none left: a failure). */
  questions: string[];
  answers: boolean[];
  /** The names of the catalog writes amictl made. */
  writes: string[];
  out: string[];
  err: string[];
  deps: AmictlDeps;
  run(...argv: string[]): Promise<ExitCode>;
}

/** A catalog that records the names of the writes made through it. */
const recording = (catalog: AmictlDeps['catalog'], writes: string[]): AmictlDeps['catalog'] =>
  new Proxy(catalog, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (typeof property === 'string' && WRITES.has(property)) writes.push(property);
        return value.apply(target, args);
      };
    },
  });

/** An in-memory catalog holding the example policy's configs of `families`, and amictl wired to it. */
export const createWorld = async (
  families: readonly string[] = ['golden-al2023', 'golden-ubuntu'],
): Promise<World> => {
  const catalog = new InMemoryCatalog();
  const policy = parsePolicy(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  for (const name of families) {
    await catalog.putFamilyConfig(name, policy.families[name], {
      expectedCurrent: null,
      at: START,
      by: 'test',
    });
  }
  const clock = fixedClock(START);
  const events = new MemoryEventPublisher({ clock });
  const parameters = new Map<string, FakeParameters>();
  const ec2 = new Map<string, MemoryImages>();
  const images = (region: string) =>
    new Proxy({} as ImagePort, {
      get: (_target, property) => {
        // Holds turn protection on and off; a retention preview asks about an AMI its listing missed.
        if (property === 'setDeregistrationProtection' || property === 'describeImage') {
          const regional = regionImages({ ec2, clock }, region);
          return regional[property].bind(regional);
        }
        return () => {
          throw new Error(`amictl was not expected to call ImagePort.${String(property)}`);
        };
      },
    });
  const world: Omit<World, 'deps' | 'run'> = {
    catalog,
    events,
    clock,
    parameters,
    ec2,
    inventory: new Map(),
    sharedUsage: new Map(),
    starts: [],
    questions: [],
    answers: [],
    writes: [],
    out: [],
    err: [],
  };
  const deps: AmictlDeps = {
    catalog: recording(catalog, world.writes),
    events,
    clock,
    region: HOME,
    regions: (region) => {
      let regional = parameters.get(region);
      if (regional === undefined) {
        regional = new FakeParameters();
        parameters.set(region, regional);
      }
      return { images: images(region), parameters: regional };
    },
    decommission: {
      inventory: (region) => regionInventory(world, region),
      sharedUsage: (account, region) => {
        const key = `${account.id}|${region}`;
        let usage = world.sharedUsage.get(key);
        if (usage === undefined) {
          usage = new MemorySharedUsage({ accountId: account.id, region });
          world.sharedUsage.set(key, usage);
        }
        return usage;
      },
      sweeps: {
        start: async (input) => {
          const duplicate = world.starts.some((s) => s.sweepId === input.sweepId);
          world.starts.push({ ...input });
          return { outcome: duplicate ? 'duplicate' : 'started', executionName: input.sweepId };
        },
      },
    },
    confirm: async (question) => {
      world.questions.push(question);
      const answer = world.answers.shift();
      if (answer === undefined) throw new Error(`amictl asked "${question}", and no answer was expected`);
      return answer;
    },
    pause: async () => {},
    readFile: (path) => readFileSync(path, 'utf8'),
    user: 'alice',
    out: (line) => world.out.push(line),
    err: (line) => world.err.push(line),
  };
  return { ...world, deps, run: (...argv) => runAmictl(argv, deps) };
};

/** The EC2 images of a region of the world, made when first needed. */
const regionImages = (world: Pick<World, 'ec2' | 'clock'>, region: string): MemoryImages => {
  let regional = world.ec2.get(region);
  if (regional === undefined) {
    regional = new MemoryImages({ clock: world.clock, region });
    world.ec2.set(region, regional);
  }
  return regional;
};

/** The owner account's inventory of a region, made when first needed; each region has its own ids. */
export const regionInventory = (
  world: Pick<World, 'inventory' | 'clock'>,
  region: string,
): MemoryInventory => {
  let regional = world.inventory.get(region);
  if (regional === undefined) {
    regional = new MemoryInventory({
      clock: world.clock,
      region,
      idSeed: (world.inventory.size + 1) * 2 ** 36,
    });
    world.inventory.set(region, regional);
  }
  return regional;
};

/** Stores the example policy's organisation config (accounts, roles, regions, sweep guards). */
export const storeOrganization = async (
  world: Pick<World, 'catalog'>,
  afterPolicyChange: 'dry-run' | 'apply' = 'apply',
): Promise<void> => {
  const policy = parsePolicy(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  const organization = organizationConfigOf(policy);
  // Acting on the first sweep, so that a plan shows its actions; the dry-run rule has its own test.
  await world.catalog.putOrganizationConfig(
    { ...organization, sweep: { ...organization.sweep, afterPolicyChange } },
    {
      expectedCurrent: null,
      at: START,
      by: 'test',
    },
  );
};

/**
 * A published image whose AMI in each of its regions is in the live inventory (managed, with a snapshot),
 * as a sweep finds it; answers the catalog image, whose AMI ids are the inventory's.
 */
export const addLiveImage = async (
  world: Pick<World, 'catalog' | 'inventory' | 'clock'>,
  image: Omit<Parameters<typeof addImage>[1], 'state' | 'amiIds'>,
): Promise<Image> => {
  const regions = image.regions ?? [HOME];
  const amiIds = Object.fromEntries(
    regions.map((region) => [
      region,
      regionInventory(world, region).addImage({
        name: `${image.family}-${image.version}`,
        creationDate: image.createdAt,
        tags: managedTags({
          family: image.family,
          version: image.version,
          buildId: `build-${image.version}`,
        }),
      }),
    ]),
  );
  return addImage(world, { ...image, state: 'published', amiIds });
};

/** Makes the AMIs of a catalog image exist in EC2 (the fake), tagged managed, unprotected. */
export const seedAmis = (world: Pick<World, 'ec2' | 'clock'>, image: Image): void => {
  for (const [region, imageId] of Object.entries(image.amiIds)) {
    regionImages(world, region).addImage({
      imageId,
      name: `${image.family}-${image.version}`,
      tags: managedTags({ family: image.family, version: image.version, buildId: `build-${image.version}` }),
    });
  }
};

/** Whether EC2 (the fake) protects the AMI from deregistration; undefined for an unknown AMI. */
export const isProtected = (
  world: Pick<World, 'ec2'>,
  region: string,
  imageId: string,
): boolean | undefined => world.ec2.get(region)?.image(imageId)?.deregistrationProtection;

/** `ami-` and 17 hex digits, distinct per (version, region). */
export const amiId = (n: number, region = HOME): string =>
  `ami-0${region === HOME ? 'a' : 'c'}${n.toString(16).padStart(15, '0')}`;

const PATHS: Record<string, LifecycleState[]> = {
  building: [],
  built: ['built'],
  inspecting: ['built', 'inspecting'],
  approved: ['built', 'inspecting', 'approved'],
  published: ['built', 'inspecting', 'approved', 'published'],
  rejected: ['built', 'inspecting', 'rejected'],
  failed: ['failed'],
};

/**
 * Creates an image at `createdAt` and walks it through the lifecycle to `state`, one minute per step,
 * as the services would: verdict at inspection, channels moved when it is published.
 */
export const addImage = async (
  world: Pick<World, 'catalog'>,
  image: {
    family: string;
    version: string;
    state: keyof typeof PATHS;
    createdAt: string;
    n: number;
    regions?: string[];
    verdict?: 'pass' | 'fail';
    buildReason?: string;
    parent?: Image['parent'];
    vulnerable?: boolean;
    channels?: string[];
    /** The AMI ids per region (default `amiId(n, region)` of each region). */
    amiIds?: Record<string, string>;
  },
): Promise<Image> => {
  const { catalog } = world;
  const correlationId = `build-${image.family}-${image.version}`;
  const regions = image.regions ?? [HOME];
  await catalog.createImage(
    {
      family: image.family,
      version: image.version,
      state: 'building',
      stateVersion: 0,
      amiIds: { [HOME]: image.amiIds?.[HOME] ?? amiId(image.n) },
      snapshotIds: [],
      vulnerable: image.vulnerable ?? false,
      managed: true,
      createdAt: image.createdAt,
      stateChangedAt: image.createdAt,
      ...(image.buildReason === undefined ? {} : { buildReason: image.buildReason }),
      ...(image.parent === undefined ? {} : { parent: image.parent }),
    },
    { actor: 'build-service', reason: `build requested (${image.buildReason ?? 'manual'})`, correlationId },
  );
  let current = (await catalog.getImage(image.family, image.version))!;
  let at = Date.parse(image.createdAt);
  for (const to of PATHS[image.state] ?? []) {
    at += 60_000;
    current = await catalog.transitionImage({
      family: image.family,
      version: image.version,
      from: current.state,
      to,
      expectedStateVersion: current.stateVersion,
      at: new Date(at).toISOString(),
      audit: { actor: `${to}-step`, reason: `to ${to}`, correlationId },
      ...(to === 'inspecting' && image.verdict !== undefined ? { patch: { verdict: image.verdict } } : {}),
      ...(to === 'published'
        ? {
            patch: {
              amiIds: image.amiIds ?? Object.fromEntries(regions.map((r) => [r, amiId(image.n, r)])),
              publishedAt: new Date(at).toISOString(),
            },
            moveChannels: image.channels ?? [],
          }
        : {}),
    });
  }
  return current;
};
