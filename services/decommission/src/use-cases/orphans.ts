import { listAll } from '@ami-lifecycle/catalog';
import { DAY_MS, holdInForce, type Image, imageKey } from '@ami-lifecycle/core';
import type { DecommissionDeps } from './deps';

/** A snapshot younger than this may belong to an image being made or copied right now: never an orphan yet. */
export const ORPHAN_MIN_AGE_MS = DAY_MS;
/** Deleted per sweep at most; the rest wait for the next one. */
export const MAX_ORPHANS_PER_SWEEP = 200;
const MAX_HOLD_PAGES = 50;

export interface OrphanSnapshot {
  family: string;
  version: string;
  region: string;
  snapshotId: string;
  gib: number;
}

/**
 * Snapshots our builds made whose image this controller has retired, left behind (a deregistration that
 * kept its snapshots, a copy's snapshot a crash orphaned). Only snapshots tagged `ami-lifecycle:managed`
 * with the family and version of a catalog image in `retired`, used by no AMI of the region, and a day
 * old are orphans; anything that cannot be tied to a retired image is left alone, and so is what a hold in
 * force covers (a retired image may be held for the evidence its snapshots keep) and what belongs to a
 * family in `skipFamilies` (one whose sweep only plans). Deleted unless `dryRun`; answers what was (or
 * would be) deleted.
 */
export const deleteOrphanSnapshots = async (
  input: { regions: readonly string[]; dryRun: boolean; skipFamilies?: ReadonlySet<string> },
  deps: Pick<DecommissionDeps, 'catalog' | 'inventory' | 'clock'>,
): Promise<OrphanSnapshot[]> => {
  const now = deps.clock.now().getTime();
  const held = new Set(
    (await listAll('active holds', (page) => deps.catalog.listActiveHolds(page), MAX_HOLD_PAGES))
      .filter((h) => holdInForce(h, now))
      .map((h) => (h.target.kind === 'family' ? h.target.family : imageKey(h.target))),
  );
  const images = new Map<string, Promise<Image | undefined>>();
  const imageOf = (family: string, version: string) => {
    const key = imageKey({ family, version });
    let found = images.get(key);
    if (found === undefined) {
      found = deps.catalog.getImage(family, version);
      images.set(key, found);
    }
    return found;
  };
  // Each region's listings are its own request tokens and hundreds of pages at fleet size: read at once.
  const listed = await Promise.all(
    input.regions.map(async (region) => {
      const inventory = deps.inventory(region);
      const [amis, snapshots] = await Promise.all([
        inventory.listManagedImages(),
        inventory.listManagedSnapshots(),
      ]);
      return {
        region,
        inventory,
        used: new Set(amis.flatMap((a) => a.snapshots.map((s) => s.snapshotId))),
        snapshots,
      };
    }),
  );
  const orphans: OrphanSnapshot[] = [];
  for (const { region, inventory, used, snapshots } of listed) {
    for (const s of snapshots) {
      if (orphans.length >= MAX_ORPHANS_PER_SWEEP) return orphans;
      if (s.family === undefined || s.version === undefined || used.has(s.snapshotId)) continue;
      if (input.skipFamilies?.has(s.family)) continue;
      if (held.has(s.family) || held.has(imageKey({ family: s.family, version: s.version }))) continue;
      if (now - Date.parse(s.startTime) < ORPHAN_MIN_AGE_MS) continue;
      if ((await imageOf(s.family, s.version))?.state !== 'retired') continue;
      if (!input.dryRun) await inventory.deleteManagedSnapshot(s.snapshotId);
      orphans.push({
        family: s.family,
        version: s.version,
        region,
        snapshotId: s.snapshotId,
        gib: s.sizeGiB,
      });
    }
  }
  return orphans;
};
