import {
  DAY_MS,
  type Hold,
  type Image,
  LIFECYCLE_STATES,
  type PlanInput,
  retentionPolicySchema,
  type UsageFact,
} from '@ami-lifecycle/core';
import fc from 'fast-check';

export const NOW_MS = Date.parse('2026-06-01T00:00:00.000Z');
const FAMILIES = ['fa', 'fb', 'fc'] as const;
/** True with probability `p`, unbiased (fc.double favours its bounds, which skews such flags). */
const chance = (p: number) =>
  fc.oneof(
    { weight: Math.round(p * 100), arbitrary: fc.constant(true) },
    { weight: Math.round((1 - p) * 100), arbitrary: fc.constant(false) },
  );
const iso = (daysBack: number) => new Date(NOW_MS - daysBack * DAY_MS).toISOString();

const policyArb = fc
  .record({
    keepLatest: fc.integer({ min: 1, max: 3 }),
    retainFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    maxAgeDays: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
    disableAfterDeprecatedDays: fc.integer({ min: 0, max: 20 }),
    retireAfterDisabledDays: fc.integer({ min: 0, max: 20 }),
    inUseGraceDays: fc.integer({ min: 0, max: 30 }),
    failedRetireAfterDays: fc.integer({ min: 0, max: 10 }),
    maxRetirementsPerRun: fc.integer({ min: 0, max: 10 }),
    outOfDate: fc.option(fc.record({ graceDays: fc.integer({ min: 0, max: 30 }) }), {
      nil: undefined,
      freq: 2,
    }),
  })
  .map(({ retainFrac, ...p }) =>
    retentionPolicySchema.parse({ ...p, retainAtLeast: 1 + Math.floor(retainFrac * (p.keepLatest - 1)) }),
  );

const imageSeedArb = fc.record({
  family: fc.constantFrom(...FAMILIES),
  // Weighted to the published line, where retention acts most.
  state: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('published', 'deprecated', 'disabled') },
    { weight: 2, arbitrary: fc.constantFrom(...LIFECYCLE_STATES) },
  ),
  ageDays: fc.integer({ min: 0, max: 200 }),
  changedFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  managed: chance(0.9),
  regions: fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 2 }) },
  ),
  parentPick: fc.option(fc.nat(), { nil: undefined, freq: 2 }),
  // Flagged vulnerable this many days ago (out-of-date retention counts from it).
  vulnerableDaysAgo: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined, freq: 4 }),
  sourcePick: fc.integer({ min: 0, max: 2 }),
});

/** Mostly a value far in the past, sometimes a recent one, sometimes none: so the grace rule is exercised both ways. */
const sometimesDaysAgo = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 60 }) },
  { weight: 2, arbitrary: fc.integer({ min: 61, max: 400 }) },
);

// Protections are kept rare enough that most worlds still have images the policy wants to act on;
// otherwise a broken never-rule would hide behind another one.
const usageSeedArb = fc.record({
  present: chance(0.97),
  inUse: chance(0.1),
  lastSeenDaysAgo: sometimesDaysAgo,
  lastLaunchedDaysAgo: sometimesDaysAgo,
  // A second fact for the same AMI, as another account's inventory reports it, before or after the first.
  other: fc.option(
    fc.record({
      inUse: chance(0.3),
      lastSeenDaysAgo: sometimesDaysAgo,
      lastLaunchedDaysAgo: sometimesDaysAgo,
      first: fc.boolean(),
    }),
    { freq: 4 },
  ),
});

const usageFact = (
  amiId: string,
  seed: { inUse: boolean; lastSeenDaysAgo: number | undefined; lastLaunchedDaysAgo: number | undefined },
  reference: string,
): UsageFact => ({
  amiId,
  inUse: seed.inUse,
  references: seed.inUse ? [reference] : [],
  ...(seed.lastSeenDaysAgo !== undefined ? { lastSeenInUseAt: iso(seed.lastSeenDaysAgo) } : {}),
  ...(seed.lastLaunchedDaysAgo !== undefined ? { lastLaunchedAt: iso(seed.lastLaunchedDaysAgo) } : {}),
});

const REGIONS = ['eu-west-1', 'us-east-1'];

/** A random but coherent world: families with policies, images with lineage, usage, holds, channels. */
export const planInputArb: fc.Arbitrary<PlanInput> = fc
  .record({
    policies: fc.tuple(policyArb, policyArb, policyArb),
    withPolicy: fc.tuple(chance(0.9), chance(0.9), chance(0.9)).map((t) => t.map((b, i) => b || i === 0)),
    seeds: fc.array(imageSeedArb, { maxLength: 30, size: 'medium' }),
    usageSeeds: fc.array(usageSeedArb, { minLength: 48, maxLength: 48 }),
    holdSeeds: fc.array(
      fc.record({
        pick: fc.nat(),
        onFamily: chance(0.2),
        expiry: fc.constantFrom('none', 'past', 'future', 'released'),
      }),
      { maxLength: 3 },
    ),
    channelPicks: fc.array(fc.nat(), { maxLength: 3 }),
    guards: fc.record({
      maxRetirementsPerRun: fc.integer({ min: 0, max: 12 }),
      maxInventoryAgeMinutes: fc.integer({ min: 1, max: 120 }),
    }),
    inventoryAgeMinutes: fc.integer({ min: -10, max: 150 }),
  })
  .map(
    ({ policies, withPolicy, seeds, usageSeeds, holdSeeds, channelPicks, guards, inventoryAgeMinutes }) => {
      let ami = 0;
      const images: Image[] = seeds.map((s, i) => {
        const amiIds: Record<string, string> = {};
        for (let r = 0; r < s.regions; r++) amiIds[REGIONS[r]!] = `ami-${(0x20000000 + ami++).toString(16)}`;
        const parentIndex = s.parentPick !== undefined && i > 0 ? s.parentPick % i : undefined;
        const parent = parentIndex !== undefined ? seeds[parentIndex] : undefined;
        return {
          family: s.family,
          version: `1.${i}.0`,
          state: s.state,
          stateVersion: 1,
          amiIds,
          snapshotIds: [],
          vulnerable: s.vulnerableDaysAgo !== undefined,
          ...(s.vulnerableDaysAgo !== undefined ? { vulnerableSince: iso(s.vulnerableDaysAgo) } : {}),
          sourceAmiId: `ami-${(0x30000000 + s.sourcePick).toString(16)}`,
          managed: s.managed,
          createdAt: iso(s.ageDays),
          stateChangedAt: iso(s.ageDays * s.changedFrac),
          ...(parent && parentIndex !== undefined
            ? { parent: { family: parent.family, version: `1.${parentIndex}.0` } }
            : {}),
        };
      });
      const usage: UsageFact[] = [];
      let u = 0;
      for (const img of images) {
        for (const amiId of Object.values(img.amiIds)) {
          const seed = usageSeeds[u++ % usageSeeds.length]!;
          if (!seed.present) continue;
          const own = usageFact(amiId, seed, 'instance:i-0123456789abcdef0');
          if (seed.other === null) {
            usage.push(own);
            continue;
          }
          const other = usageFact(amiId, seed.other, 'account:222222222222:instance:i-0fedcba9876543210');
          usage.push(...(seed.other.first ? [other, own] : [own, other]));
        }
      }
      const holds: Hold[] =
        images.length === 0
          ? []
          : holdSeeds.map((h, i) => {
              const img = images[h.pick % images.length]!;
              return {
                id: `h${i}`,
                target: h.onFamily
                  ? { kind: 'family', family: img.family }
                  : { kind: 'image', family: img.family, version: img.version },
                reason: 'audit',
                owner: 'legal',
                ticket: `T-${i}`,
                createdAt: iso(90),
                ...(h.expiry === 'past' ? { expiresAt: iso(1) } : {}),
                ...(h.expiry === 'future' ? { expiresAt: iso(-1) } : {}),
                ...(h.expiry === 'released' ? { releasedAt: iso(2) } : {}),
              };
            });
      const channels =
        images.length === 0
          ? []
          : channelPicks.map((p, i) => {
              const img = images[p % images.length]!;
              return { family: img.family, name: `ch${i}`, version: img.version };
            });
      return {
        sweepId: 'prop',
        images,
        usage,
        holds,
        channels,
        families: FAMILIES.flatMap((name, i) => (withPolicy[i] ? [{ name, retention: policies[i]! }] : [])),
        guards,
        inventoryAt: new Date(NOW_MS - inventoryAgeMinutes * 60_000),
        now: new Date(NOW_MS),
      };
    },
  );
