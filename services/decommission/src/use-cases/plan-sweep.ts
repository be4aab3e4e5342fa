import { listAll } from '@ami-lifecycle/catalog';
import {
  type CatalogPort,
  type Channel,
  type Hold,
  type Image,
  LIFECYCLE_STATES,
  parseStoredConfig,
  planRetention,
  type RetentionPlan,
  type StoredConfig,
} from '@ami-lifecycle/core';
import type { DecommissionDeps, SweepSettings } from './deps';
import { discountOwnInspections } from './own-launches';
import { gatherInventory, type Inventory } from './usage';

// Bounds on what one sweep reads; more is a data problem to surface, not to page through forever.
const MAX_FAMILY_PAGES = 20;
const MAX_IMAGE_PAGES = 500;
const MAX_HOLD_PAGES = 50;
const MAX_PLAN_PAGES = 1;

/** Actions one Map item of the decommission machine carries out: small enough for one Lambda run. */
export const ACTIONS_PER_BATCH = 20;

export interface PlannedSweep {
  plan: RetentionPlan;
  inventory: Pick<Inventory, 'drift' | 'unknown'>;
  /** Map items for the machine: batch indexes into `plan.actions`. */
  batches: number[];
}

/** Every stored family config that still parses; the rest are named, and their images have no policy. */
const loadConfigs = async (catalog: CatalogPort) => {
  const stored = await listAll('family configs', (page) => catalog.listFamilyConfigs(page), MAX_FAMILY_PAGES);
  const configs = new Map<string, StoredConfig>();
  const versions = new Map<string, number>();
  const unreadable: { family: string; error: string }[] = [];
  for (const s of stored) {
    try {
      configs.set(s.family, parseStoredConfig(s.family, s).config);
      versions.set(s.family, s.version);
    } catch (err) {
      unreadable.push({ family: s.family, error: (err as Error).message });
    }
  }
  return { configs, versions, unreadable };
};

/** Every image of the catalog that is not retired, by state (one index query per state). */
const loadImages = async (catalog: CatalogPort): Promise<Image[]> => {
  const images: Image[] = [];
  for (const state of LIFECYCLE_STATES) {
    if (state === 'retired') continue;
    images.push(
      ...(await listAll(
        `${state} images`,
        (page) => catalog.listImagesByState(state, page),
        MAX_IMAGE_PAGES,
      )),
    );
  }
  return images;
};

/** Every hold not released; an expired one is passed too, and the planner lets it go by its clock. */
const loadHolds = (catalog: CatalogPort): Promise<Hold[]> =>
  listAll('active holds', (page) => catalog.listActiveHolds(page), MAX_HOLD_PAGES);

/**
 * A sweep's plan: the catalog, EC2's managed AMIs in every region and their usage in every account
 * they are shared with, planned by the core planner against the previous plan, and stored. A tripped
 * guard keeps every decision for review and empties `actions`; a dry run stores the plan and acts on
 * nothing. Planning the same sweep id twice answers the stored plan (a retried step plans once).
 */
export const planSweep = async (
  input: {
    sweepId: string;
    dryRun: boolean;
    /** False for a preview (`amictl retention plan`): nothing is stored, so the next sweep's diff is unchanged. */
    store?: boolean;
  },
  settings: SweepSettings,
  deps: DecommissionDeps,
): Promise<PlannedSweep> => {
  const stored = input.store === false ? undefined : await deps.catalog.getPlan(input.sweepId);
  if (stored !== undefined) {
    return {
      plan: stored,
      inventory: { drift: { untracked: [], missing: [] }, unknown: [] },
      batches: batchesOf(stored, input.dryRun),
    };
  }
  const { configs, versions } = await loadConfigs(deps.catalog);
  const images = await loadImages(deps.catalog);
  const holds = await loadHolds(deps.catalog);
  const channels: Channel[] = [];
  for (const family of new Set(images.map((i) => i.family)))
    channels.push(...(await deps.catalog.listChannels(family)));
  const inventoryAt = deps.clock.now();
  const inventory = await gatherInventory(
    { images, configs, accounts: settings.accounts, regions: settings.regions, now: inventoryAt },
    deps,
  );
  const usage = await discountOwnInspections(
    { facts: inventory.facts, images, configs, region: deps.region, now: inventoryAt },
    deps.catalog,
  );
  const previous = (await deps.catalog.listPlans({ limit: MAX_PLAN_PAGES })).items[0];
  const previousPlan = previous && (await deps.catalog.getPlan(previous.sweepId));
  const planned = planRetention({
    sweepId: input.sweepId,
    images,
    usage,
    holds,
    channels,
    families: [...configs.values()].flatMap((c) =>
      c.retention ? [{ name: c.name, retention: c.retention }] : [],
    ),
    guards: settings.guards,
    inventoryAt,
    previousPlan,
    now: deps.clock.now(),
  });
  const plan = withholdChangedPolicies(planned, previousPlan, settings, versions);
  if (input.store !== false) await deps.catalog.savePlan(plan);
  return { plan, inventory, batches: batchesOf(plan, input.dryRun) };
};

const batchesOf = (plan: RetentionPlan, dryRun: boolean): number[] =>
  dryRun ? [] : Array.from({ length: Math.ceil(plan.actions.length / ACTIONS_PER_BATCH) }, (_, i) => i);

/**
 * Records the policy versions the plan was made under and, unless the policy says to apply at once, holds
 * back the actions of every family whose policy is new or changed since the previous plan (all of them
 * when the organisation's changed, or on the first sweep): a person reads that plan before anything moves,
 * and the next sweep, under the same policy, acts.
 */
const withholdChangedPolicies = (
  plan: RetentionPlan,
  previous: RetentionPlan | undefined,
  settings: SweepSettings,
  versions: ReadonlyMap<string, number>,
): RetentionPlan => {
  const policyVersions = { organization: settings.version, families: Object.fromEntries(versions) };
  const before = previous?.policyVersions;
  const why = (family: string): string | undefined => {
    if (before === undefined) return 'the first sweep under this policy only plans';
    if (before.organization !== settings.version) {
      return `the organisation's policy changed (version ${before.organization} -> ${settings.version}); this sweep only plans`;
    }
    const was = before.families[family];
    const now = versions.get(family);
    if (was !== now) {
      return was === undefined
        ? `its policy is new (version ${now}); this sweep only plans`
        : `its policy changed (version ${was} -> ${now}); this sweep only plans`;
    }
    return undefined;
  };
  const withheld =
    settings.afterPolicyChange === 'apply'
      ? []
      : [...versions.keys()].sort().flatMap((family) => {
          const reason = why(family);
          return reason === undefined ? [] : [{ family, reason }];
        });
  const held = new Set(withheld.map((w) => w.family));
  return {
    ...plan,
    actions: plan.actions.filter((a) => !held.has(a.family)),
    policyVersions,
    ...(withheld.length > 0 ? { withheld } : {}),
  };
};
