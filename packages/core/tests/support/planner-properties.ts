import { DAY_MS, imageKey, type PlanInput } from '@ami-lifecycle/core';

/**
 * The planner's properties are spread over several files (planner.*.property.test.ts) so that jest's
 * workers share them; each keeps its own 10,000 cases. What they share is here and in `arbitraries.ts`.
 */

// The issue asks for at least 10,000 generated cases per property.
export const RUNS = { numRuns: 10_000 };

/** Answers, independently of the planner, whether an image may be touched at all. */
export const protectedBy = (input: PlanInput, key: string): string | undefined => {
  const nowMs = input.now.getTime();
  const img = input.images.find((i) => imageKey(i) === key)!;
  if (!img.managed) return 'unmanaged';
  const activeHold = input.holds.some(
    (h) =>
      h.releasedAt === undefined &&
      (h.expiresAt === undefined || Date.parse(h.expiresAt) > nowMs) &&
      (h.target.kind === 'family' ? h.target.family === img.family : imageKey(h.target) === key),
  );
  if (activeHold) return 'held';
  if (input.channels.some((c) => imageKey(c) === key)) return 'channel';
  const grace = (input.families.find((f) => f.name === img.family)?.retention.inUseGraceDays ?? 30) * DAY_MS;
  for (const amiId of Object.values(img.amiIds)) {
    // Every fact counts: the inventory may report one AMI once per account that looked.
    const facts = input.usage.filter((u) => u.amiId === amiId);
    if (facts.length === 0) return 'usage unknown';
    for (const fact of facts) {
      if (fact.inUse) return 'in use';
      if (fact.lastSeenInUseAt && Date.parse(fact.lastSeenInUseAt) > nowMs - grace) return 'seen in use';
      if (fact.lastLaunchedAt && Date.parse(fact.lastLaunchedAt) > nowMs - grace) return 'launched';
    }
  }
  return undefined;
};

/** A seeded shuffle (an LCG), so a failing case replays with fast-check's seed. */
export const shuffleWith =
  (seed: number) =>
  <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    let s = seed;
    for (let i = out.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) | 0;
      const j = Math.abs(s) % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
