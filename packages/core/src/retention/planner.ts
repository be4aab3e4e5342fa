import { DAY_MS } from '../clock';
import type { RetentionPolicy, SweepGuards } from '../config/retention-schema';
import { ValidationError } from '../errors';
import { type Hold, type Image, imageKey, type LifecycleState, type UsageFact } from '../model';
import type { Decision, ImageDecision, PlanDiffEntry, Reason, RetentionPlan } from './plan-types';

export interface PlannerFamily {
  name: string;
  retention: RetentionPolicy;
}

export interface PlanInput {
  sweepId: string;
  /** Every image of the catalog; retired ones are skipped. */
  images: readonly Image[];
  /** One fact per AMI id the inventory looked at. An AMI without a fact has unknown usage and is kept. */
  usage: readonly UsageFact[];
  holds: readonly Hold[];
  channels: readonly { family: string; name: string; version: string }[];
  families: readonly PlannerFamily[];
  guards: SweepGuards;
  /** When the images and usage were read; older than the guard allows and the plan takes no action. */
  inventoryAt: Date;
  previousPlan?: Pick<RetentionPlan, 'sweepId' | 'decisions'> | undefined;
  now: Date;
}

/** The one next stage for each state that retention moves; nothing skips a stage. */
const NEXT_STAGE: Partial<Record<LifecycleState, Exclude<Decision, 'keep'>>> = {
  published: 'deprecate',
  deprecated: 'disable',
  disabled: 'retire',
  rejected: 'retire',
  failed: 'retire',
};

/** The state a decision leads to: the lifecycle transition the sweep will make. */
export const DECISION_TARGET: Record<Exclude<Decision, 'keep'>, LifecycleState> = {
  deprecate: 'deprecated',
  disable: 'disabled',
  retire: 'retired',
};

const IN_PROGRESS: ReadonlySet<LifecycleState> = new Set(['building', 'built', 'inspecting', 'approved']);
const PUBLISHED_LINE: ReadonlySet<LifecycleState> = new Set(['published', 'deprecated', 'disabled']);

// Shared reason objects: a million-image plan should not allocate a million identical messages.
const R = {
  notManaged: { code: 'not-managed', message: 'not tagged ami-lifecycle:managed=true; never modified' },
  usageUnknown: { code: 'usage-unknown', message: 'the inventory has no usage fact for one of its AMIs' },
  inProgress: { code: 'in-progress', message: 'still in the build and inspection pipeline' },
  noPolicy: { code: 'no-policy', message: 'its family has no retention policy' },
} as const satisfies Record<string, Reason>;

const isoDay = (ms: number): string => new Date(ms).toISOString();

interface Work {
  image: Image;
  key: string;
  createdMs: number;
  decision: Decision;
  reasons: Reason[];
}

/**
 * The retention planner: one pure function from inventory, policy and `now` to a plan with a decision
 * and reasons for every image not yet retired, the guards' verdict, and a diff to the previous plan.
 *
 * Policy proposes; the never-rules dispose. An image that is unmanaged, held, in use (or was within the
 * in-use grace), of unknown usage, a channel target, or the parent of any image that stays, is kept
 * whatever the policy says. Expired images move one stage per sweep: deprecate, then disable after the
 * deprecation grace, then retire after the disable grace. A tripped guard empties `actions`.
 *
 * Cost: one sort per family, everything else linear (O(N log N) overall).
 */
export const planRetention = (input: PlanInput): RetentionPlan => {
  const nowMs = input.now.getTime();
  if (Number.isNaN(nowMs) || Number.isNaN(input.inventoryAt.getTime())) {
    throw new ValidationError('retention plan input', [
      { path: 'now/inventoryAt', message: 'not a valid date' },
    ]);
  }
  const policies = new Map(input.families.map((f) => [f.name, f.retention]));

  const usage = new Map<string, UsageFact>();
  for (const u of input.usage) usage.set(u.amiId, u);

  const heldFamilies = new Map<string, Hold>();
  const heldImages = new Map<string, Hold>();
  for (const h of input.holds) {
    if (h.releasedAt !== undefined) continue;
    if (h.expiresAt !== undefined && Date.parse(h.expiresAt) <= nowMs) continue;
    // Several holds may cover one image; the lowest id speaks for them, so the plan is order-independent.
    const [map, key] =
      h.target.kind === 'family' ? [heldFamilies, h.target.family] : [heldImages, imageKey(h.target)];
    const other = map.get(key);
    if (!other || h.id < other.id) map.set(key, h);
  }

  const channelTargets = new Map<string, string>();
  for (const c of input.channels) channelTargets.set(imageKey(c), c.name);

  // Group by family; index by key for the lineage walk.
  const byKey = new Map<string, Work>();
  const byFamily = new Map<string, Work[]>();
  const duplicates: { path: string; message: string }[] = [];
  for (const image of input.images) {
    if (image.state === 'retired') continue;
    const key = imageKey(image);
    if (byKey.has(key)) {
      duplicates.push({ path: `images[${key}]`, message: 'appears more than once in the inventory' });
      continue;
    }
    const w: Work = { image, key, createdMs: Date.parse(image.createdAt), decision: 'keep', reasons: [] };
    byKey.set(key, w);
    const list = byFamily.get(image.family);
    if (list) list.push(w);
    else byFamily.set(image.family, [w]);
  }
  if (duplicates.length > 0) throw new ValidationError('retention plan input', duplicates);

  const familyNames = [...byFamily.keys()].sort();
  const ordered: Work[] = [];
  for (const family of familyNames) {
    const works = byFamily.get(family)!;
    // Newest first; equal timestamps fall back to the version so the order is total and replayable.
    works.sort((a, b) => b.createdMs - a.createdMs || (a.image.version < b.image.version ? 1 : -1));
    const policy = policies.get(family);
    let rank = 0;
    for (const w of works) {
      proposeByPolicy(w, policy, PUBLISHED_LINE.has(w.image.state) ? rank++ : -1, nowMs);
      applyNeverRules(w, policy, nowMs, usage, heldFamilies, heldImages, channelTargets);
      ordered.push(w);
    }
  }

  // An image that stays (anything but retire) protects its whole ancestry: lineage must not break
  // under an image someone can still launch. Each ancestor is visited once.
  const protectedKeys = new Set<string>();
  for (const w of ordered) {
    if (w.decision === 'retire') continue;
    let parent = w.image.parent ? imageKey(w.image.parent) : undefined;
    let child = w.key;
    while (parent !== undefined && !protectedKeys.has(parent)) {
      protectedKeys.add(parent);
      const p = byKey.get(parent);
      if (!p) break;
      if (p.decision !== 'keep') {
        p.decision = 'keep';
        p.reasons.unshift({ code: 'parent-of-kept', message: `parent of ${child}, which stays` });
      }
      child = parent;
      parent = p.image.parent ? imageKey(p.image.parent) : undefined;
    }
  }

  const decisions: ImageDecision[] = new Array(ordered.length);
  const summary = { keep: 0, deprecate: 0, disable: 0, retire: 0 };
  const retiresByFamily = new Map<string, number>();
  const actions: ImageDecision[] = [];
  for (let i = 0; i < ordered.length; i++) {
    const w = ordered[i]!;
    const d: ImageDecision = {
      family: w.image.family,
      version: w.image.version,
      state: w.image.state,
      decision: w.decision,
      reasons: w.reasons,
    };
    decisions[i] = d;
    summary[w.decision]++;
    if (w.decision !== 'keep') actions.push(d);
    if (w.decision === 'retire') retiresByFamily.set(d.family, (retiresByFamily.get(d.family) ?? 0) + 1);
  }

  const guardReasons: string[] = [];
  const inventoryAgeMin = (nowMs - input.inventoryAt.getTime()) / 60_000;
  if (inventoryAgeMin > input.guards.maxInventoryAgeMinutes) {
    guardReasons.push(
      `inventory is ${Math.round(inventoryAgeMin)} minutes old; the limit is ${input.guards.maxInventoryAgeMinutes}`,
    );
  } else if (inventoryAgeMin < -5) {
    guardReasons.push(`inventory time ${input.inventoryAt.toISOString()} is in the future; clocks disagree`);
  }
  if (summary.retire > input.guards.maxRetirementsPerRun) {
    guardReasons.push(
      `${summary.retire} retirements exceed the per-run limit of ${input.guards.maxRetirementsPerRun}`,
    );
  }
  for (const family of familyNames) {
    const n = retiresByFamily.get(family) ?? 0;
    const cap = policies.get(family)?.maxRetirementsPerRun;
    if (cap !== undefined && n > cap)
      guardReasons.push(`${n} retirements in ${family} exceed its limit of ${cap}`);
  }
  const tripped = guardReasons.length > 0;

  return {
    sweepId: input.sweepId,
    generatedAt: input.now.toISOString(),
    inventoryAt: input.inventoryAt.toISOString(),
    ...(input.previousPlan ? { previousSweepId: input.previousPlan.sweepId } : {}),
    decisions,
    guard: { status: tripped ? 'tripped' : 'ok', reasons: tripped ? guardReasons : [] },
    summary,
    actions: tripped ? [] : actions,
    diff: diffPlans(input.previousPlan?.decisions ?? [], decisions),
  };
};

/** What the family's policy alone would do; `rank` is the position among published-line images. */
const proposeByPolicy = (w: Work, policy: RetentionPolicy | undefined, rank: number, nowMs: number): void => {
  const { image } = w;
  if (IN_PROGRESS.has(image.state)) {
    w.reasons.push(R.inProgress);
    return;
  }
  if (!policy) {
    w.reasons.push(R.noPolicy);
    return;
  }
  const changedMs = Date.parse(image.stateChangedAt);
  if (image.state === 'rejected' || image.state === 'failed') {
    const due = changedMs + policy.failedRetireAfterDays * DAY_MS;
    if (due <= nowMs) {
      w.decision = 'retire';
      w.reasons.push({
        code: 'failed-policy',
        message: `${image.state} for over ${policy.failedRetireAfterDays} days`,
      });
    } else {
      w.reasons.push({ code: 'grace-pending', message: `${image.state}; retires from ${isoDay(due)}` });
    }
    return;
  }
  // published line
  const ageDays = (nowMs - w.createdMs) / DAY_MS;
  let expired: Reason | undefined;
  if (rank >= policy.keepLatest) {
    expired = {
      code: 'expired-count',
      message: `number ${rank + 1} by age; the family keeps ${policy.keepLatest}`,
    };
  } else if (policy.maxAgeDays !== undefined && ageDays > policy.maxAgeDays) {
    if (rank >= policy.retainAtLeast) {
      expired = {
        code: 'expired-age',
        message: `${Math.floor(ageDays)} days old; the limit is ${policy.maxAgeDays}`,
      };
    } else {
      w.reasons.push({
        code: 'retain-at-least',
        message: `past max age, but one of the newest ${policy.retainAtLeast} the family always retains`,
      });
      return;
    }
  }
  if (!expired) {
    w.reasons.push({
      code: 'within-keep-latest',
      message: `number ${rank + 1} of the newest ${policy.keepLatest}`,
    });
    return;
  }
  w.reasons.push(expired);
  const next = NEXT_STAGE[image.state]!;
  const grace =
    image.state === 'deprecated'
      ? policy.disableAfterDeprecatedDays
      : image.state === 'disabled'
        ? policy.retireAfterDisabledDays
        : 0;
  const due = changedMs + grace * DAY_MS;
  if (due <= nowMs) {
    w.decision = next;
    if (grace > 0)
      w.reasons.push({ code: 'grace-elapsed', message: `${image.state} for over ${grace} days` });
  } else {
    w.reasons.push({ code: 'grace-pending', message: `${image.state}; may ${next} from ${isoDay(due)}` });
  }
};

/** The never-rules. Each one that applies is recorded; any of them turns a proposed action into keep. */
const applyNeverRules = (
  w: Work,
  policy: RetentionPolicy | undefined,
  nowMs: number,
  usage: ReadonlyMap<string, UsageFact>,
  heldFamilies: ReadonlyMap<string, Hold>,
  heldImages: ReadonlyMap<string, Hold>,
  channelTargets: ReadonlyMap<string, string>,
): void => {
  const { image } = w;
  const guards: Reason[] = [];
  if (!image.managed) guards.push(R.notManaged);
  const hold = heldImages.get(w.key) ?? heldFamilies.get(image.family);
  if (hold) guards.push({ code: 'held', message: `held by ${hold.owner} (${hold.ticket}): ${hold.reason}` });
  const channel = channelTargets.get(w.key);
  if (channel !== undefined)
    guards.push({ code: 'channel-target', message: `channel ${channel} points to it` });

  // Grace defaults to 30 days when the family has no policy: the safe side of unknown.
  const graceStart = nowMs - (policy?.inUseGraceDays ?? 30) * DAY_MS;
  let unknown = false;
  for (const amiId of Object.values(image.amiIds)) {
    const u = usage.get(amiId);
    if (!u) {
      unknown = true;
      continue;
    }
    if (u.inUse) {
      guards.push({
        code: 'in-use',
        message: `${amiId} in use by ${u.references.join(', ') || 'an unnamed reference'}`,
      });
    } else if (u.lastSeenInUseAt !== undefined && Date.parse(u.lastSeenInUseAt) > graceStart) {
      guards.push({
        code: 'in-use',
        message: `${amiId} was in use at ${u.lastSeenInUseAt}, within the in-use grace`,
      });
    } else if (u.lastLaunchedAt !== undefined && Date.parse(u.lastLaunchedAt) > graceStart) {
      guards.push({
        code: 'in-use',
        message: `${amiId} was launched at ${u.lastLaunchedAt}, within the in-use grace`,
      });
    }
  }
  if (unknown) guards.push(R.usageUnknown);
  if (guards.length === 0) return;
  w.decision = 'keep';
  w.reasons.unshift(...guards);
};

/** Decision changes between two plans, keyed by image. */
export const diffPlans = (
  previous: readonly Pick<ImageDecision, 'family' | 'version' | 'decision'>[],
  current: readonly Pick<ImageDecision, 'family' | 'version' | 'decision'>[],
): RetentionPlan['diff'] => {
  const before = new Map<string, Pick<ImageDecision, 'family' | 'version' | 'decision'>>();
  for (const d of previous) before.set(imageKey(d), d);
  const changed: PlanDiffEntry[] = [];
  const added: PlanDiffEntry[] = [];
  let unchanged = 0;
  for (const d of current) {
    const key = imageKey(d);
    const prev = before.get(key);
    if (!prev) added.push({ family: d.family, version: d.version, from: null, to: d.decision });
    else {
      before.delete(key);
      if (prev.decision === d.decision) unchanged++;
      else changed.push({ family: d.family, version: d.version, from: prev.decision, to: d.decision });
    }
  }
  const removed: PlanDiffEntry[] = [];
  for (const d of before.values())
    removed.push({ family: d.family, version: d.version, from: d.decision, to: null });
  return { changed, added, removed, unchanged };
};
