import {
  DAY_MS,
  type Hold,
  type Image,
  type LifecycleState,
  type PlanInput,
  retentionPolicySchema,
  sweepGuardsSchema,
  type UsageFact,
} from '@ami-lifecycle/core';

/** Small, fast, seeded PRNG (mulberry32): the same world for the same seed on every machine. */
export const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export interface WorldOptions {
  images: number;
  families?: number;
  seed?: number;
  now?: Date;
}

/**
 * A synthetic organisation for the planner: a fifth of the families golden, the rest applications on
 * them; images spread over the lifecycle, application images linked to golden parents, usage facts for
 * every AMI (some in use, some recently launched), ~1% of images and one family in twenty held, and
 * `latest`/`stable` channels per family.
 */
export const makeWorld = ({
  images: total,
  families = 200,
  seed = 42,
  now = new Date('2026-11-01T00:00:00Z'),
}: WorldOptions): PlanInput => {
  const rand = prng(seed);
  const nowMs = now.getTime();
  const goldenCount = Math.max(1, Math.floor(families / 5));
  const names = Array.from({ length: families }, (_, i) => (i < goldenCount ? `golden-${i}` : `app-${i}`));
  const perFamily = Math.floor(total / families);
  const images: Image[] = [];
  const usage: UsageFact[] = [];
  const holds: Hold[] = [];
  const channels: { family: string; name: string; version: string }[] = [];
  const states: LifecycleState[] = [
    'published',
    'published',
    'published',
    'deprecated',
    'disabled',
    'rejected',
    'failed',
    'retired',
    'inspecting',
  ];
  let ami = 0;
  for (let f = 0; f < families; f++) {
    const family = names[f]!;
    const count = f === families - 1 ? total - perFamily * (families - 1) : perFamily;
    const golden = f < goldenCount;
    for (let i = 0; i < count; i++) {
      const ageDays = ((count - i) / count) * 720;
      const createdMs = nowMs - ageDays * DAY_MS;
      const state = i >= count - 3 ? 'published' : states[Math.floor(rand() * states.length)]!;
      const amiId = `ami-${(ami++).toString(16).padStart(17, '0')}`;
      const parentFamily = golden ? undefined : names[Math.floor(rand() * goldenCount)]!;
      const image: Image = {
        family,
        version: `${1 + Math.floor(i / 1000)}.${i % 1000}.0`,
        state,
        stateVersion: 4,
        amiIds: { 'eu-west-1': amiId },
        snapshotIds: [`snap-${amiId.slice(4)}`],
        vulnerable: false,
        managed: rand() > 0.01,
        createdAt: new Date(createdMs).toISOString(),
        stateChangedAt: new Date(createdMs + rand() * (nowMs - createdMs)).toISOString(),
        ...(parentFamily
          ? {
              parent: {
                family: parentFamily,
                version: `${1 + Math.floor(Math.min(i, perFamily - 1) / 1000)}.${Math.min(i, perFamily - 1) % 1000}.0`,
              },
            }
          : {}),
      };
      images.push(image);
      const r = rand();
      usage.push({
        amiId,
        inUse: r < 0.05,
        references: r < 0.05 ? [`instance:i-${amiId.slice(4)}`] : [],
        ...(r > 0.9 ? { lastLaunchedAt: new Date(nowMs - rand() * 60 * DAY_MS).toISOString() } : {}),
      });
      if (rand() < 0.01) {
        holds.push({
          id: `hold-${images.length}`,
          target: { kind: 'image', family, version: image.version },
          reason: 'litigation',
          owner: 'legal@example.com',
          ticket: `LEGAL-${images.length}`,
          createdAt: new Date(nowMs - 10 * DAY_MS).toISOString(),
        });
      }
    }
    if (f % 20 === 0) {
      holds.push({
        id: `hold-family-${f}`,
        target: { kind: 'family', family },
        reason: 'audit',
        owner: 'audit@example.com',
        ticket: `AUD-${f}`,
        createdAt: new Date(nowMs - 10 * DAY_MS).toISOString(),
      });
    }
    const last = images[images.length - 1];
    if (last) channels.push({ family, name: 'latest', version: last.version });
    const stable = images[images.length - 2];
    if (stable) channels.push({ family, name: 'stable', version: stable.version });
  }
  return {
    sweepId: `bench-${total}`,
    images,
    usage,
    holds,
    channels,
    families: names.map((name) => ({
      name,
      retention: retentionPolicySchema.parse({
        keepLatest: 5,
        maxAgeDays: 180,
        retainAtLeast: 2,
        maxRetirementsPerRun: 1_000_000,
      }),
    })),
    guards: sweepGuardsSchema.parse({ maxRetirementsPerRun: 10_000_000 }),
    inventoryAt: new Date(nowMs - 60_000),
    now,
  };
};
