import { MANAGED_TAG, TAG_PREFIX } from '@ami-lifecycle/core';
import type { InspectDeps } from './deps';
import { loadFamilyConfig } from './family-config';
import { INSPECTION_ID_TAG, TEST_INSTANCE_TAG } from './inspection';

/** Added to the longest an inspection of the family can run: retries, backoff, a late clean-up step. */
export const REAP_MARGIN_MS = 60 * 60_000;
/** For a test instance whose family config is gone: longer than any inspection the schema allows runs. */
export const REAP_FALLBACK_MS = 26 * 3_600_000;

export interface ReapResult {
  terminated: { instanceId: string; image: string; ageMinutes: number }[];
}

/**
 * Terminates test instances that outlived every inspection that could own them: the clean-up step of a
 * run failed (the state machine ends in `CleanupFailed`), or a run was stopped by hand. The bound comes
 * from the family's own limits: the scan timeout plus the longest test timeout, plus a margin; an
 * instance younger than that may still be under inspection and is left alone.
 *
 * Only instances that carry our managed tag, the test-instance tag and an inspection id are considered:
 * builders, and anything we did not launch for an inspection, are never touched here.
 */
export const reapTestInstances = async (
  deps: Pick<InspectDeps, 'catalog' | 'compute' | 'clock'>,
  limitOf: InspectionLimits = inspectionLimits(deps),
): Promise<ReapResult> => {
  const now = deps.clock.now().getTime();
  const instances = await deps.compute.findInstancesByTag(MANAGED_TAG, 'true');
  const terminated: ReapResult['terminated'] = [];
  for (const instance of instances) {
    const target = instance.tags[TEST_INSTANCE_TAG];
    const family = instance.tags[`${TAG_PREFIX}family`];
    if (target === undefined || instance.tags[INSPECTION_ID_TAG] === undefined || family === undefined)
      continue;
    const limit = await limitOf(family);
    const age = now - Date.parse(instance.launchedAt);
    if (!(age > limit)) continue;
    await deps.compute.terminateInstance(instance.instanceId);
    terminated.push({ instanceId: instance.instanceId, image: target, ageMinutes: Math.floor(age / 60_000) });
  }
  return { terminated };
};

/** The longest an inspection of the family can run: its scan timeout, its longest test, the margin. */
export const longestInspectionMs = async (
  deps: Pick<InspectDeps, 'catalog'>,
  family: string,
): Promise<number> => {
  const loaded = await loadFamilyConfig(deps.catalog, family).catch(() => undefined);
  if (loaded === undefined) return REAP_FALLBACK_MS;
  const { inspect } = loaded.config;
  const longestTest = Math.max(0, ...inspect.tests.map((t) => t.timeoutSeconds));
  return inspect.scanTimeoutMinutes * 60_000 + longestTest * 1000 + REAP_MARGIN_MS;
};

/** The longest an inspection of a family can run, by family name. */
export type InspectionLimits = (family: string) => Promise<number>;

/** `longestInspectionMs`, each family's config read once for as long as the answer is kept. */
export const inspectionLimits = (deps: Pick<InspectDeps, 'catalog'>): InspectionLimits => {
  const limits = new Map<string, Promise<number>>();
  return (family) => {
    let limit = limits.get(family);
    if (limit === undefined) {
      limit = longestInspectionMs(deps, family);
      limits.set(family, limit);
    }
    return limit;
  };
};
