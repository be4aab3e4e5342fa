import { DAY_MS } from '../clock';
import type { RetentionPolicy, SweepGuards } from '../config/retention-schema';
import { ValidationError } from '../errors';
import { IN_PIPELINE_STATES } from '../lifecycle';
import { type Hold, holdInForce, type Image, imageKey, type LifecycleState, type UsageFact } from '../model';
import type { Decision, ImageDecision, PlanDiffEntry, Reason, RetentionPlan } from './plan-types';

export interface PlannerFamily {
  name: string;
  retention: RetentionPolicy;
}

export interface PlanInput {
  sweepId: string;
  /** Every image of the catalog; retired ones are skipped. */
  images: readonly Image[];
  /**
   * What the inventory knows of each AMI's use, one fact or several (one per account that looked); they are
   * merged, any in-use wins. An AMI without a fact has unknown usage and is kept.
   */
  usage: readonly UsageFact[];
  holds: readonly Hold[];
  channels: readonly { family: string; name: string; version: string }[];
  families: readonly PlannerFamily[];
  guards: Pick<SweepGuards, 'maxRetirementsPerRun' | 'maxInventoryAgeMinutes'>;
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

const IN_PROGRESS = IN_PIPELINE_STATES;
const PUBLISHED_LINE: ReadonlySet<LifecycleState> = new Set(['published', 'deprecated', 'disabled']);

// Shared reason objects: a million-image plan should not allocate a million identical messages.
const R = {
  notManaged: { code: 'not-managed', message: 'not tagged ami-lifecycle:managed=true; never modified' },
  usageUnknown: { code: 'usage-unknown', message: 'the inventory has no usage fact for one of its AMIs' },
  inProgress: { code: 'in-progress', message: 'still in the build and inspection pipeline' },
  noPolicy: { code: 'no-policy', message: 'its family has no retention policy' },
} as const satisfies Record<string, Reason>;

/**
 * Most decisions have one reason that depends only on the family's policy; they share one frozen
 * array per reason instead of allocating a million. Reasons are therefore replaced, never mutated.
 */
const shared = new WeakMap<Reason, Reason[]>();
const only = (r: Reason): Reason[] => {
  let list = shared.get(r);
  if (!list) {
    list = Object.freeze([r]) as unknown as Reason[];
    shared.set(r, list);
  }
  return list;
};
const NO_REASONS = Object.freeze([]) as unknown as Reason[];

const append = (list: Reason[] | undefined, r: Reason): Reason[] => {
  if (!list) return [r];
  list.push(r);
  return list;
};

const isoDay = (ms: number): string => new Date(ms).toISOString();

/** family -> version -> value: two-level maps spare building a `family@version` string per lookup. */
type ByImage<T> = Map<string, Map<string, T>>;
const getIn = <T>(m: ByImage<T>, family: string, version: string): T | undefined =>
  m.get(family)?.get(version);
const setIn = <T>(m: ByImage<T>, family: string, version: string, value: T): void => {
  let inner = m.get(family);
  if (!inner) {
    inner = new Map();
    m.set(family, inner);
  }
  inner.set(version, value);
};

/**
 * Reasons whose text depends only on the family's policy, built once per family: a million-image plan
 * then shares a few hundred reason objects instead of allocating millions of identical ones.
 */
const familyReasons = (p: RetentionPolicy) =>
  ({
    withinKeepLatest: {
      code: 'within-keep-latest',
      message: `among the newest ${p.keepLatest} the family keeps`,
    },
    retainAtLeast: {
      code: 'retain-at-least',
      message: `past max age, but one of the newest ${p.retainAtLeast} the family always retains`,
    },
    expiredCount: {
      code: 'expired-count',
      message: `older than the newest ${p.keepLatest} the family keeps`,
    },
    expiredAge: { code: 'expired-age', message: `older than the family's max age of ${p.maxAgeDays} days` },
    failed: {
      code: 'failed-policy',
      message: `rejected or failed for over ${p.failedRetireAfterDays} days`,
    },
    disableGrace: {
      code: 'grace-elapsed',
      message: `deprecated for over ${p.disableAfterDeprecatedDays} days`,
    },
    retireGrace: { code: 'grace-elapsed', message: `disabled for over ${p.retireAfterDisabledDays} days` },
  }) satisfies Record<string, Reason>;
type FamilyReasons = ReturnType<typeof familyReasons>;

interface FamilyRules {
  policy: RetentionPolicy;
  reasons: FamilyReasons;
}

interface Protections {
  nowMs: number;
  usage: ReadonlyMap<string, UsageFact>;
  heldFamilies: ReadonlyMap<string, Hold>;
  heldImages: ByImage<Hold>;
  channelTargets: ByImage<string>;
}

const later = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : Date.parse(b) > Date.parse(a) ? b : a;

/**
 * One fact per AMI from however many the inventory gathered for it (the owner account's references and
 * each account it is shared with): in use if any says so, every reference, the latest times. The result
 * does not depend on the order of the facts, so neither does the plan.
 */
export const mergeUsageFacts = (facts: readonly UsageFact[]): Map<string, UsageFact> => {
  const merged = new Map<string, UsageFact>();
  for (const f of facts) {
    const seen = merged.get(f.amiId);
    if (seen === undefined) {
      // Most AMIs have one fact: taken as it is, with no copy (the planner runs over a million).
      merged.set(f.amiId, f);
      continue;
    }
    const lastSeenInUseAt = later(seen.lastSeenInUseAt, f.lastSeenInUseAt);
    const lastLaunchedAt = later(seen.lastLaunchedAt, f.lastLaunchedAt);
    merged.set(f.amiId, {
      amiId: f.amiId,
      inUse: seen.inUse || f.inUse,
      references: [...new Set([...seen.references, ...f.references])].sort(),
      ...(lastSeenInUseAt === undefined ? {} : { lastSeenInUseAt }),
      ...(lastLaunchedAt === undefined ? {} : { lastLaunchedAt }),
    });
  }
  return merged;
};

/**
 * The retention planner: one pure function from inventory, policy and `now` to a plan with a decision
 * and reasons for every image not yet retired, the guards' verdict, and a diff to the previous plan.
 *
 * Policy proposes; the never-rules dispose. An image that is unmanaged, held, in use (or was within the
 * in-use grace), of unknown usage, a channel target, or the parent of any image that stays, is kept
 * whatever the policy says. Expired images move one stage per sweep: deprecate, then disable after the
 * deprecation grace, then retire after the disable grace. A tripped guard empties `actions`.
 *
 * Cost: one sort per family, everything else linear (O(N log N) overall); see bench/RESULTS.md.
 */
export const planRetention = (input: PlanInput): RetentionPlan => {
  const nowMs = input.now.getTime();
  if (Number.isNaN(nowMs) || Number.isNaN(input.inventoryAt.getTime())) {
    throw new ValidationError('retention plan input', [
      { path: 'now/inventoryAt', message: 'not a valid date' },
    ]);
  }
  const rules = new Map<string, FamilyRules>();
  for (const f of input.families)
    rules.set(f.name, { policy: f.retention, reasons: familyReasons(f.retention) });

  const usage = mergeUsageFacts(input.usage);

  const heldFamilies = new Map<string, Hold>();
  const heldImages: ByImage<Hold> = new Map();
  for (const h of input.holds) {
    if (!holdInForce(h, nowMs)) continue;
    // Several holds may cover one image; the lowest id speaks for them, so the plan is order-independent.
    if (h.target.kind === 'family') {
      const other = heldFamilies.get(h.target.family);
      if (!other || h.id < other.id) heldFamilies.set(h.target.family, h);
    } else {
      const other = getIn(heldImages, h.target.family, h.target.version);
      if (!other || h.id < other.id) setIn(heldImages, h.target.family, h.target.version, h);
    }
  }

  const channelTargets: ByImage<string> = new Map();
  for (const c of input.channels) setIn(channelTargets, c.family, c.version, c.name);
  const protections: Protections = { nowMs, usage, heldFamilies, heldImages, channelTargets };

  // Group by family; index by family and version for the lineage walk. Images are referred to by their
  // position in `live`: at a million images, per-image wrapper objects cost more than the planning.
  const live: Image[] = [];
  const index: ByImage<number> = new Map();
  const byFamily = new Map<string, number[]>();
  const duplicates: { path: string; message: string }[] = [];
  for (const image of input.images) {
    if (image.state === 'retired') continue;
    if (getIn(index, image.family, image.version) !== undefined) {
      duplicates.push({
        path: `images[${imageKey(image)}]`,
        message: 'appears more than once in the inventory',
      });
      continue;
    }
    const i = live.push(image) - 1;
    setIn(index, image.family, image.version, i);
    const list = byFamily.get(image.family);
    if (list) list.push(i);
    else byFamily.set(image.family, [i]);
  }
  if (duplicates.length > 0) throw new ValidationError('retention plan input', duplicates);
  const created = new Float64Array(live.length);
  for (let i = 0; i < live.length; i++) created[i] = Date.parse(live[i]!.createdAt);

  const familyNames = [...byFamily.keys()].sort();
  const byIndex: ImageDecision[] = new Array(live.length);
  const decisions: ImageDecision[] = [];
  /** Positions in plan order, for the lineage walk below. */
  const planOrder: number[] = [];
  for (const family of familyNames) {
    const members = byFamily.get(family)!;
    // Newest first; equal timestamps fall back to the version so the order is total and replayable.
    members.sort((a, b) => created[b]! - created[a]! || (live[a]!.version < live[b]!.version ? 1 : -1));
    const familyRules = rules.get(family);
    // The newest published image: what the others are measured against for out-of-date.
    const newestAt = members.find((i) => live[i]!.state === 'published');
    const newest = newestAt === undefined ? undefined : live[newestAt];
    let rank = 0;
    for (const i of members) {
      const image = live[i]!;
      const d: ImageDecision = {
        family: image.family,
        version: image.version,
        state: image.state,
        decision: 'keep',
        reasons: NO_REASONS,
      };
      proposeByPolicy(
        image,
        created[i]!,
        d,
        familyRules,
        PUBLISHED_LINE.has(image.state) ? rank++ : -1,
        nowMs,
        newest,
      );
      applyNeverRules(image, d, familyRules?.policy, protections);
      byIndex[i] = d;
      decisions.push(d);
      planOrder.push(i);
    }
  }

  // An image that stays (anything but retire) protects its whole ancestry: lineage must not break
  // under an image someone can still launch. Each ancestor is visited once.
  const protectedIndex = new Uint8Array(live.length);
  // Walked in plan order, not input order, so the child named in a reason does not depend on how the
  // inventory was read.
  for (const i of planOrder) {
    if (byIndex[i]!.decision === 'retire') continue;
    let child = live[i]!;
    let parent = child.parent;
    while (parent !== undefined) {
      const p = getIn(index, parent.family, parent.version);
      // A parent outside the inventory (a source AMI, a retired image) has nothing to protect.
      if (p === undefined) break;
      if (protectedIndex[p] === 1) break;
      protectedIndex[p] = 1;
      const pd = byIndex[p]!;
      if (pd.decision !== 'keep') {
        pd.decision = 'keep';
        pd.reasons = [
          { code: 'parent-of-kept', message: `parent of ${imageKey(child)}, which stays` },
          ...pd.reasons,
        ];
      }
      child = live[p]!;
      parent = child.parent;
    }
  }

  const summary = { keep: 0, deprecate: 0, disable: 0, retire: 0 };
  const retiresByFamily = new Map<string, number>();
  const actions: ImageDecision[] = [];
  for (const d of decisions) {
    summary[d.decision]++;
    if (d.decision !== 'keep') actions.push(d);
    if (d.decision === 'retire') retiresByFamily.set(d.family, (retiresByFamily.get(d.family) ?? 0) + 1);
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
    const cap = rules.get(family)?.policy.maxRetirementsPerRun;
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
/**
 * Why a published-line image lacks the latest patches, once the family's `outOfDate` grace has passed:
 * flagged vulnerable, or superseded by the family's newest published image built on another base (a newer
 * parent image, or another source AMI). The newest published image itself is never out of date.
 */
const outOfDate = (
  image: Image,
  policy: RetentionPolicy,
  newest: Image | undefined,
  nowMs: number,
): Reason | undefined => {
  const rule = policy.outOfDate;
  if (rule === undefined || image === newest) return undefined;
  const grace = rule.graceDays * DAY_MS;
  if (
    image.vulnerable &&
    image.vulnerableSince !== undefined &&
    Date.parse(image.vulnerableSince) + grace <= nowMs
  ) {
    return {
      code: 'out-of-date',
      message: `flagged vulnerable since ${isoDay(Date.parse(image.vulnerableSince))}, past the out-of-date grace of ${rule.graceDays} days`,
    };
  }
  if (newest === undefined) return undefined;
  const base = (i: Image) => (i.parent ? imageKey(i.parent) : i.sourceAmiId);
  const newerBase = base(newest);
  const since = Date.parse(newest.publishedAt ?? newest.createdAt);
  if (newerBase === undefined || newerBase === base(image) || since + grace > nowMs) return undefined;
  return {
    code: 'out-of-date',
    message: `superseded by ${newest.version}, built on ${newerBase}, for over ${rule.graceDays} days`,
  };
};

const proposeByPolicy = (
  image: Image,
  createdMs: number,
  w: ImageDecision,
  rules: FamilyRules | undefined,
  rank: number,
  nowMs: number,
  newest: Image | undefined,
): void => {
  if (IN_PROGRESS.has(image.state)) {
    w.reasons = only(R.inProgress);
    return;
  }
  if (!rules) {
    w.reasons = only(R.noPolicy);
    return;
  }
  const { policy, reasons } = rules;
  const changedMs = Date.parse(image.stateChangedAt);
  if (image.state === 'rejected' || image.state === 'failed') {
    const due = changedMs + policy.failedRetireAfterDays * DAY_MS;
    if (graceElapsed(due, policy.failedRetireAfterDays, nowMs)) {
      w.decision = 'retire';
      w.reasons = only(reasons.failed);
    } else {
      w.reasons = [{ code: 'grace-pending', message: `${image.state}; retires from ${isoDay(due)}` }];
    }
    return;
  }
  // published line
  let expired: Reason | undefined;
  if (rank >= policy.keepLatest) {
    expired = reasons.expiredCount;
  } else if (policy.maxAgeDays !== undefined && nowMs - createdMs > policy.maxAgeDays * DAY_MS) {
    if (rank < policy.retainAtLeast) {
      w.reasons = only(reasons.retainAtLeast);
      return;
    }
    expired = reasons.expiredAge;
  }
  // Out of date never reaches the newest retainAtLeast: the family keeps those whatever they lack.
  if (rank >= policy.retainAtLeast) expired ??= outOfDate(image, policy, newest, nowMs);
  if (!expired) {
    w.reasons = only(reasons.withinKeepLatest);
    return;
  }
  w.reasons = only(expired);
  const next = NEXT_STAGE[image.state]!;
  const [grace, elapsed] =
    image.state === 'deprecated'
      ? [policy.disableAfterDeprecatedDays, reasons.disableGrace]
      : image.state === 'disabled'
        ? [policy.retireAfterDisabledDays, reasons.retireGrace]
        : [0, undefined];
  const due = changedMs + grace * DAY_MS;
  if (graceElapsed(due, grace, nowMs)) {
    w.decision = next;
    if (elapsed && grace > 0) w.reasons = [expired, elapsed];
  } else {
    w.reasons = [
      expired,
      { code: 'grace-pending', message: `${image.state}; may ${next} from ${isoDay(due)}` },
    ];
  }
};

/**
 * How early a grace of whole days counts as over. Sweeps run once a day at one time, and a sweep's action
 * lands minutes after it starts (after the inventory is read and the plan made): measured to the
 * millisecond, the sweep `grace` days later would find the grace a few minutes short, and every stage
 * would take a day longer than the policy says. An hour is far more than a sweep's minutes and far less
 * than a day, so no stage comes a sweep early.
 */
export const GRACE_TOLERANCE_MS = 60 * 60_000;

const graceElapsed = (dueMs: number, graceDays: number, nowMs: number): boolean =>
  graceDays === 0 ? dueMs <= nowMs : dueMs - GRACE_TOLERANCE_MS <= nowMs;

/** The never-rules. Each one that applies is recorded; any of them turns a proposed action into keep. */
const applyNeverRules = (
  image: Image,
  w: ImageDecision,
  policy: RetentionPolicy | undefined,
  p: Protections,
): void => {
  // Allocated only when a rule applies: most images need none (and no closure per image either).
  let guards: Reason[] | undefined;
  if (!image.managed) guards = append(guards, R.notManaged);
  const hold = getIn(p.heldImages, image.family, image.version) ?? p.heldFamilies.get(image.family);
  if (hold)
    guards = append(guards, {
      code: 'held',
      message: `held by ${hold.owner} (${hold.ticket}): ${hold.reason}`,
    });
  const channel = getIn(p.channelTargets, image.family, image.version);
  if (channel !== undefined)
    guards = append(guards, { code: 'channel-target', message: `channel ${channel} points to it` });

  // Grace defaults to 30 days when the family has no policy: the safe side of unknown.
  const graceStart = p.nowMs - (policy?.inUseGraceDays ?? 30) * DAY_MS;
  let unknown = false;
  let seenAt: string | undefined;
  for (const region in image.amiIds) {
    const amiId = image.amiIds[region]!;
    const u = p.usage.get(amiId);
    if (!u) {
      unknown = true;
      continue;
    }
    seenAt = later(seenAt, u.lastSeenInUseAt);
    if (u.inUse) {
      guards = append(guards, {
        code: 'in-use',
        message: `${amiId} in use by ${u.references.join(', ') || 'an unnamed reference'}`,
      });
    } else if (u.lastSeenInUseAt !== undefined && Date.parse(u.lastSeenInUseAt) > graceStart) {
      guards = append(guards, {
        code: 'in-use',
        message: `${amiId} was in use at ${u.lastSeenInUseAt}, within the in-use grace`,
      });
    } else if (u.lastLaunchedAt !== undefined && Date.parse(u.lastLaunchedAt) > graceStart) {
      guards = append(guards, {
        code: 'in-use',
        message: `${amiId} was launched at ${u.lastLaunchedAt}, within the in-use grace`,
      });
    }
  }
  if (seenAt !== undefined) w.lastSeenInUseAt = seenAt;
  if (unknown) guards = append(guards, R.usageUnknown);
  if (!guards) return;
  w.decision = 'keep';
  w.reasons = [...guards, ...w.reasons];
};

/** Decision changes between two plans, keyed by image. */
export const diffPlans = (
  previous: readonly Pick<ImageDecision, 'family' | 'version' | 'decision'>[],
  current: readonly Pick<ImageDecision, 'family' | 'version' | 'decision'>[],
): RetentionPlan['diff'] => {
  const before: ByImage<Pick<ImageDecision, 'family' | 'version' | 'decision'>> = new Map();
  for (const d of previous) setIn(before, d.family, d.version, d);
  const changed: PlanDiffEntry[] = [];
  const added: PlanDiffEntry[] = [];
  let unchanged = 0;
  for (const d of current) {
    const inner = before.get(d.family);
    const prev = inner?.get(d.version);
    if (!prev) added.push({ family: d.family, version: d.version, from: null, to: d.decision });
    else {
      inner!.delete(d.version);
      if (prev.decision === d.decision) unchanged++;
      else changed.push({ family: d.family, version: d.version, from: prev.decision, to: d.decision });
    }
  }
  const removed: PlanDiffEntry[] = [];
  for (const inner of before.values()) {
    for (const d of inner.values())
      removed.push({ family: d.family, version: d.version, from: d.decision, to: null });
  }
  return { changed, added, removed, unchanged };
};
