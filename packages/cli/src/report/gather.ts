import {
  type AuditRecord,
  type CatalogPort,
  DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH,
  type Image,
  imageKey,
  LIFECYCLE_STATES,
  type LifecycleState,
  type OrganizationConfig,
  parseStoredConfig,
  parseStoredOrganizationConfig,
  type StoredConfig,
  type StoredFamilyConfig,
} from '@ami-lifecycle/core';
import { buildLineageGraph, readCatalogImages } from '../lineage-commands';
import { allPages } from '../output';
import type { TimelineEntry } from '../read-commands';
import type {
  ReportData,
  ReportDeps,
  ReportFamily,
  ReportImage,
  ReportPlan,
  ReportStorage,
  ReportStorageRow,
  ReportSweepRow,
  ReportSweeps,
} from './types';

/** Stored sweeps the savings table shows, newest first: three months of daily sweeps. */
export const REPORT_SWEEPS = 90;
/** Catalog reads made at once (audit trails, batch outcomes, config versions). */
const READS_AT_ONCE = 16;
/** The family of managed snapshots that carry no family tag. */
export const UNTAGGED = '(untagged)';

/** USD, rounded to cents: a sum of float products would print as 0.30000000000000004. */
export const cents = (usd: number): number => Math.round(usd * 100) / 100;

/** `items` mapped `at once` at a time, in order. */
const inBatches = async <T, R>(items: readonly T[], map: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READS_AT_ONCE)
    out.push(...(await Promise.all(items.slice(i, i + READS_AT_ONCE).map(map))));
  return out;
};

const timelineEntry = (record: AuditRecord): TimelineEntry => ({
  at: record.at,
  action: record.action,
  from: record.from ?? null,
  to: record.to ?? null,
  actor: record.actor,
  reason: record.reason,
});

const oldestFirst = (a: AuditRecord, b: AuditRecord): number => a.at.localeCompare(b.at) || a.seq - b.seq;

const byCreation = (a: Image, b: Image): number =>
  a.createdAt.localeCompare(b.createdAt) || a.version.localeCompare(b.version);

const parsed = (stored: StoredFamilyConfig): { config: StoredConfig } | { error: string } => {
  try {
    return { config: parseStoredConfig(stored.family, stored).config };
  } catch (error) {
    return { error: (error as Error).message.split('\n').slice(0, 2).join(' ') };
  }
};

/** The organisation config, when one is stored and parses. */
const organizationOf = async (catalog: CatalogPort): Promise<OrganizationConfig | undefined> => {
  const stored = await catalog.getOrganizationConfig();
  if (stored === undefined) return undefined;
  try {
    return parseStoredOrganizationConfig(stored).config;
  } catch {
    return undefined;
  }
};

/** The newest stored plan, each decision with the image's state now. */
const lastPlan = async (
  catalog: CatalogPort,
  images: ReadonlyMap<string, Image>,
): Promise<ReportPlan | null> => {
  const newest = (await catalog.listPlans({ limit: 1 })).items[0];
  if (newest === undefined) return null;
  const plan = await catalog.getPlan(newest.sweepId);
  if (plan === undefined) return null;
  const acted = new Set(plan.actions.map(imageKey));
  return {
    sweepId: plan.sweepId,
    generatedAt: plan.generatedAt,
    inventoryAt: plan.inventoryAt,
    previousSweepId: plan.previousSweepId ?? null,
    guard: { status: plan.guard.status, reasons: [...plan.guard.reasons] },
    summary: { ...plan.summary },
    withheld: (plan.withheld ?? []).map((w) => ({ family: w.family, reason: w.reason })),
    decisions: plan.decisions.map((d) => ({
      family: d.family,
      version: d.version,
      state: d.state,
      decision: d.decision,
      action: acted.has(imageKey(d)),
      reasons: d.reasons.map((r) => ({ code: r.code, message: r.message })),
      now: images.get(imageKey(d))?.state ?? null,
    })),
  };
};

/** The account that owns the snapshots: given, or the organisation's only account without a role to assume. */
const ownerOf = (
  given: string | undefined,
  organization: OrganizationConfig | undefined,
): { id: string | null; name: string | null } => {
  const accounts = Object.entries(organization?.accounts ?? {});
  const nameOf = (id: string) => accounts.find(([, a]) => a.id === id)?.[0] ?? null;
  if (given !== undefined) return { id: given, name: nameOf(given) };
  const own = accounts.filter(([, a]) => a.roleArn === undefined);
  if (own.length !== 1) return { id: null, name: null };
  const [name, account] = own[0]!;
  return { id: account.id, name };
};

interface Sized {
  rows: Map<string, { family: string; region: string; snapshots: number; gib: number }>;
  /** Per image key. */
  images: Map<string, number>;
  unsized: ReportStorage['unsized'];
}

const addTo = (sized: Sized, family: string, region: string, snapshots: number, gib: number) => {
  const key = `${family}|${region}`;
  const row = sized.rows.get(key) ?? { family, region, snapshots: 0, gib: 0 };
  row.snapshots += snapshots;
  row.gib += gib;
  sized.rows.set(key, row);
};

/** Every managed snapshot of the owner account in each region, by its family and version tags. */
const measured = async (
  regions: readonly string[],
  inventory: NonNullable<ReportDeps['inventory']>,
): Promise<Sized> => {
  const sized: Sized = { rows: new Map(), images: new Map(), unsized: [] };
  for (const region of regions) {
    for (const snapshot of await inventory(region).listManagedSnapshots()) {
      addTo(sized, snapshot.family ?? UNTAGGED, region, 1, snapshot.sizeGiB);
      if (snapshot.family !== undefined && snapshot.version !== undefined) {
        const key = imageKey({ family: snapshot.family, version: snapshot.version });
        sized.images.set(key, (sized.images.get(key) ?? 0) + snapshot.sizeGiB);
      }
    }
  }
  return sized;
};

/**
 * Each AMI copy (region of `amiIds`) of every image not retired, at the root volume size of the config
 * version the image was built with (the family's current one when the image does not record it).
 */
const estimated = async (
  images: readonly Image[],
  regions: ReadonlySet<string>,
  catalog: CatalogPort,
): Promise<Sized> => {
  const sized: Sized = { rows: new Map(), images: new Map(), unsized: [] };
  const live = images.filter((i) => i.state !== 'retired');
  // A retirement deletes the image's snapshots in every region.
  for (const image of images) if (image.state === 'retired') sized.images.set(imageKey(image), 0);
  const wanted = [...new Set(live.map((i) => `${i.family}|${i.configVersion ?? ''}`))];
  const sizes = new Map(
    await inBatches(wanted, async (key): Promise<[string, number | string]> => {
      const [family, version] = key.split('|') as [string, string];
      const stored = await catalog.getFamilyConfig(family, version === '' ? undefined : Number(version));
      if (stored === undefined)
        return [key, `no stored config${version === '' ? '' : ` version ${version}`} of ${family}`];
      const result = parsed(stored);
      return [key, 'config' in result ? result.config.build.rootVolume.sizeGiB : result.error];
    }),
  );
  for (const image of live) {
    const size = sizes.get(`${image.family}|${image.configVersion ?? ''}`);
    const copies = Object.keys(image.amiIds).filter((r) => regions.has(r));
    if (typeof size !== 'number') {
      sized.unsized.push({ family: image.family, version: image.version, why: String(size) });
      continue;
    }
    for (const region of copies) addTo(sized, image.family, region, 1, size);
    sized.images.set(imageKey(image), copies.length * size);
  }
  return sized;
};

const storageOf = async (
  deps: ReportDeps,
  images: readonly Image[],
  organization: OrganizationConfig | undefined,
  configs: ReadonlyMap<string, StoredConfig>,
  priceOf: (region: string) => number,
): Promise<{ storage: ReportStorage; perImage: Map<string, number> }> => {
  const regions = organization
    ? [...organization.regions.enabled]
    : [...new Set(images.flatMap((i) => Object.keys(i.amiIds)))].sort();
  const basis = deps.inventory === undefined ? 'config' : 'inventory';
  const sized =
    deps.inventory === undefined
      ? await estimated(images, new Set(regions), deps.catalog)
      : await measured(regions, deps.inventory);
  const owner = ownerOf(deps.ownerAccountId, organization);
  const rows: ReportStorageRow[] = [...sized.rows.values()]
    .sort((a, b) => a.family.localeCompare(b.family) || a.region.localeCompare(b.region))
    .map((r) => ({
      account: owner.id,
      family: r.family,
      region: r.region,
      snapshots: r.snapshots,
      gib: r.gib,
      pricePerGiBMonth: priceOf(r.region),
      monthlyCost: cents(r.gib * priceOf(r.region)),
    }));
  const families = [...new Set(rows.map((r) => r.family))].map((family) => {
    const mine = rows.filter((r) => r.family === family);
    return {
      family,
      gib: mine.reduce((n, r) => n + r.gib, 0),
      monthlyCost: cents(mine.reduce((n, r) => n + r.gib * r.pricePerGiBMonth, 0)),
    };
  });
  const accountNames = new Map(Object.entries(organization?.accounts ?? {}).map(([name, a]) => [a.id, name]));
  const shared = new Map<string, string[]>();
  for (const [family, config] of [...configs].sort(([a], [b]) => a.localeCompare(b))) {
    for (const id of config.publish.sharing.accounts) {
      if (id === owner.id) continue;
      shared.set(id, [...(shared.get(id) ?? []), family]);
    }
  }
  const priced = regions.map((r) => `${r} USD ${priceOf(r)}`).join(', ');
  const basedOn =
    basis === 'inventory'
      ? `EC2's managed snapshots (tagged ami-lifecycle:managed) and their sizes, read now in ${regions.join(', ') || 'no region'} of the owner account, by their family tag: the sizes a retirement counts as freed. Priced per GiB-month at the organisation config's prices (${priced}; USD ${DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH} where it names none).`
      : `An estimate from the catalog, which records no snapshot sizes: one snapshot per AMI copy of each image not retired, at the root volume size (build.rootVolume.sizeGiB) of the family config it was built with. EBS bills what a snapshot holds, which can be less. Priced per GiB-month at the organisation config's prices (${priced}; USD ${DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH} where it names none).`;
  return {
    perImage: sized.images,
    storage: {
      basis,
      basedOn,
      currency: 'USD',
      regions,
      ownerAccount: owner,
      sharedAccounts: [...shared].map(([id, fams]) => ({
        id,
        name: accountNames.get(id) ?? null,
        families: fams,
      })),
      rows,
      families,
      total: {
        gib: rows.reduce((n, r) => n + r.gib, 0),
        monthlyCost: cents(rows.reduce((n, r) => n + r.gib * r.pricePerGiBMonth, 0)),
      },
      unsized: sized.unsized,
    },
  };
};

/** The stored sweeps, newest first, with what their stored batches did and freed. */
const sweepsOf = async (catalog: CatalogPort, priceOf: (region: string) => number): Promise<ReportSweeps> => {
  const listed = await allPages('the stored retention plans', (page) => catalog.listPlans(page));
  const shown = listed.slice(0, REPORT_SWEEPS);
  const rows = await inBatches(shown, async (plan): Promise<ReportSweepRow> => {
    const batches = (await catalog.listBatchOutcomes(plan.sweepId)).map((b) => b.outcome);
    const freed = batches.flatMap((b) => b.freed);
    const families = [...new Set(freed.map((f) => f.family))];
    return {
      sweepId: plan.sweepId,
      generatedAt: plan.generatedAt,
      guard: plan.guard.status,
      planned: { ...plan.summary },
      done: batches.reduce((n, b) => n + b.done, 0),
      skipped: batches.reduce((n, b) => n + b.skipped, 0),
      failed: batches.reduce((n, b) => n + b.failed, 0),
      gibFreed: freed.reduce((n, f) => n + f.gib, 0),
      // Per family, as each family's Retention Sweep Completed rounds it, then summed.
      monthlyCostSaved: cents(
        families.reduce(
          (sum, family) =>
            sum +
            cents(
              freed.filter((f) => f.family === family).reduce((n, f) => n + f.gib * priceOf(f.region), 0),
            ),
          0,
        ),
      ),
    };
  });
  return {
    stored: listed.length,
    rows,
    total: {
      gibFreed: rows.reduce((n, r) => n + r.gibFreed, 0),
      monthlyCostSaved: cents(rows.reduce((n, r) => n + r.monthlyCostSaved, 0)),
    },
    basedOn:
      'Each sweep’s stored batch outcomes: the GiB of snapshots its retirements deleted, per family and region, ' +
      'priced at the organisation config’s prices now. Orphaned snapshots a sweep deletes at its end are counted ' +
      'in its Retention Sweep Completed events only, and are not stored in the catalog, so they are not here.',
  };
};

/**
 * Everything the report shows, read from the catalog (every image by state, every family's config and
 * channels, every image's audit trail, the stored plans and their batch outcomes, the organisation config
 * for regions, accounts and prices) and, when `deps.inventory` is given, the sizes of the owner account's
 * managed snapshots in every enabled region. Writes nothing.
 */
export const gatherReport = async (deps: ReportDeps): Promise<ReportData> => {
  const { catalog } = deps;
  const generatedAt = deps.clock.now().toISOString();
  const [images, stored, organization] = await Promise.all([
    readCatalogImages(catalog),
    allPages('the families', (page) => catalog.listFamilyConfigs(page)),
    organizationOf(catalog),
  ]);
  const byKey = new Map(images.map((i) => [imageKey(i), i]));
  const storedBy = new Map(stored.map((s) => [s.family, s]));
  const configs = new Map<string, StoredConfig>();
  const configErrors = new Map<string, string>();
  for (const s of stored) {
    const result = parsed(s);
    if ('config' in result) configs.set(s.family, result.config);
    else configErrors.set(s.family, result.error);
  }
  const priceOf = (region: string): number =>
    organization?.sweep.snapshotPricePerGiBMonth[region] ?? DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH;

  const ordered = [...images].sort(byCreation);
  const [timelines, { storage, perImage }, lastSweep, sweeps] = await Promise.all([
    inBatches(ordered, async (image) =>
      (
        await allPages(`the audit trail of ${imageKey(image)}`, (page) =>
          catalog.listAudit(image.family, image.version, page),
        )
      )
        .sort(oldestFirst)
        .map(timelineEntry),
    ),
    storageOf(deps, images, organization, configs, priceOf),
    lastPlan(catalog, byKey),
    sweepsOf(catalog, priceOf),
  ]);
  const timelineOf = new Map(ordered.map((image, i) => [imageKey(image), timelines[i]!]));

  const names = [...new Set([...stored.map((s) => s.family), ...images.map((i) => i.family)])].sort();
  const families = await Promise.all(
    names.map(async (name): Promise<ReportFamily> => {
      const channels = [...(await catalog.listChannels(name))].sort((a, b) => a.name.localeCompare(b.name));
      const mine = ordered.filter((i) => i.family === name);
      const counts = Object.fromEntries(LIFECYCLE_STATES.map((s) => [s, 0])) as Record<
        LifecycleState,
        number
      >;
      for (const image of mine) counts[image.state] += 1;
      return {
        name,
        kind: configs.get(name)?.kind ?? null,
        configVersion: storedBy.get(name)?.version ?? null,
        configError: configErrors.get(name) ?? null,
        channels: Object.fromEntries(channels.map((c) => [c.name, c.version])),
        counts,
        images: mine.map(
          (image): ReportImage => ({
            family: image.family,
            version: image.version,
            state: image.state,
            verdict: image.verdict ?? null,
            vulnerable: image.vulnerable,
            parent: image.parent ? { family: image.parent.family, version: image.parent.version } : null,
            channels: channels.filter((c) => c.version === image.version).map((c) => c.name),
            amiIds: { ...image.amiIds },
            createdAt: image.createdAt,
            stateChangedAt: image.stateChangedAt,
            publishedAt: image.publishedAt ?? null,
            snapshotGiB: perImage.get(imageKey(image)) ?? (storage.basis === 'inventory' ? 0 : null),
            timeline: timelineOf.get(imageKey(image)) ?? [],
          }),
        ),
      };
    }),
  );
  return { generatedAt, families, lineage: buildLineageGraph(images), lastSweep, storage, sweeps };
};
