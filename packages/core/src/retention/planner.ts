import { DAY_MS } from '../clock';
import type { RetentionPolicy, SweepGuards } from '../config/retention-schema';
import { ValidationError } from '../errors';
import { IN_PIPELINE_STATES } from '../lifecycle';
import { type Hold, holdInForce, type Image, imageKey, type LifecycleState, type UsageFact } from '../model';
import { versionCode } from './key-index';
import type { Decision, ImageDecision, PlanDiffEntry, Reason, RetentionPlan } from './plan-types';
import { isoMs } from './timestamps';

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
const both = (a: Reason, b: Reason): Reason[] => Object.freeze([a, b]) as unknown as Reason[];
const NO_REASONS = Object.freeze([]) as unknown as Reason[];

const append = (list: Reason[] | undefined, r: Reason): Reason[] => {
  if (!list) return [r];
  list.push(r);
  return list;
};

// Builtins read once: in a hot loop, each read of a global (`Math`, `Date`) costs a lookup that jest's
// test context makes a hundred times slower than a local one.
const { imul } = Math;
const DateOf = Date;

const isoDay = (ms: number): string => new DateOf(ms).toISOString();

/**
 * Reasons whose text depends only on the family's policy, built once per family: a million-image plan
 * then shares a few hundred reason objects (and lists of them) instead of allocating millions.
 */
const familyReasons = (p: RetentionPolicy) => {
  const reasons = {
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
  } satisfies Record<string, Reason>;
  return {
    ...reasons,
    /** An expiry and the grace that has elapsed since: [expired-count or expired-age, grace-elapsed]. */
    elapsed: {
      countDisable: both(reasons.expiredCount, reasons.disableGrace),
      countRetire: both(reasons.expiredCount, reasons.retireGrace),
      ageDisable: both(reasons.expiredAge, reasons.disableGrace),
      ageRetire: both(reasons.expiredAge, reasons.retireGrace),
    },
  };
};
type FamilyReasons = ReturnType<typeof familyReasons>;

interface FamilyRules {
  policy: RetentionPolicy;
  reasons: FamilyReasons;
}

/**
 * One family of the live images: its members (positions in the input, in input order until planned)
 * and, once `index` has run, its versions, found by their `versionCode` in a table of the family's own,
 * sized once to its members: small enough to stay in the cache while the family is indexed, and while
 * the images built on it look for their parent there. A version without a code is kept in a map.
 */
class FamilyIndex {
  readonly members: number[] = [];
  /**
   * Two numbers a slot, placed by the code's hash and probed in turn from there: the version's code and
   * its position in the input + 1 (0: an empty slot). The code beside its position, a probe reads one
   * cache line.
   */
  private table = new Float64Array(2);
  private uncoded: Map<string, number> | undefined;

  /** `codes` is shared by every family: each live image's version code (-1: none), by position. */
  constructor(private readonly codes: readonly number[]) {}

  /**
   * Indexes every member's version, in input order: answers the members whose version came before
   * (positions in the input), which are none when the inventory is sound.
   */
  index(images: readonly Image[]): number[] {
    const { members, codes } = this;
    let size = 2;
    while (size < 1.5 * members.length) size *= 2;
    const table = new Float64Array(2 * size);
    this.table = table;
    const mask = size - 1;
    const repeated: number[] = [];
    for (let m = 0; m < members.length; m++) {
      const at = members[m]!;
      const code = codes[at]!;
      if (code < 0) {
        const version = images[at]!.version;
        this.uncoded ??= new Map();
        if (this.uncoded.has(version)) repeated.push(at);
        else this.uncoded.set(version, at);
        continue;
      }
      for (let i = codeHash(code) & mask; ; i = (i + 1) & mask) {
        if (table[2 * i + 1] === 0) {
          table[2 * i] = code;
          table[2 * i + 1] = at + 1;
          break;
        }
        if (table[2 * i] === code) {
          repeated.push(at);
          break;
        }
      }
    }
    return repeated;
  }

  /** The position in the input of the version, or -1. */
  find(version: string): number {
    const code = versionCode(version);
    if (code < 0) return this.uncoded?.get(version) ?? -1;
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    for (let i = codeHash(code) & mask; ; i = (i + 1) & mask) {
      const at = table[2 * i + 1]!;
      if (at === 0) return -1;
      if (table[2 * i] === code) return at - 1;
    }
  }
}

/** A 32-bit hash of a version code (a whole number below 2^53). */
const codeHash = (code: number): number => {
  let h = imul((code >>> 0) ^ imul((code / 4_294_967_296) | 0, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
};

/** A hash of an AMI id, from its length and (for a long one) its last 12 characters, where ids differ. */
const idHash = (s: string): number => {
  if (typeof s !== 'string') return 0;
  const n = s.length;
  let h = n;
  for (let i = n > 12 ? n - 12 : 0; i < n; i++) h = imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
};

/**
 * One bit per id hash, 16 bits per id: n ids set about 6% of them (a million ids, 2 MiB, which mostly
 * stays in cache).
 */
class HashBits {
  private readonly words: Int32Array;
  private readonly shift: number;

  constructor(ids: number) {
    let bits = 10;
    while (bits < 26 && 2 ** bits < 16 * ids) bits++;
    this.shift = 32 - bits;
    this.words = new Int32Array(2 ** (bits - 5));
  }

  /** Sets the bit of the hash `h`: answers whether it was set already. */
  testAndSet(h: number): boolean {
    const at = (h >>> 0) >>> this.shift;
    const word = this.words[at >>> 5]!;
    const bit = 1 << (at & 31);
    if (word & bit) return true;
    this.words[at >>> 5] = word | bit;
    return false;
  }

  test(h: number): boolean {
    const at = (h >>> 0) >>> this.shift;
    return (this.words[at >>> 5]! & (1 << (at & 31))) !== 0;
  }
}

/**
 * Each AMI's usage, the facts merged as `mergeUsageFacts` merges them, found without a table of a
 * million ids. The inventory lists its facts in the catalog's order (each region's part reads the live
 * images in order), so an image's fact is looked for first just after the previous image's (per region,
 * a few facts ahead: those of images not planned); a bit per id hash then tells most absent ids, and only
 * an id found neither way makes the index build its map of every fact, once. Whether an AMI has several
 * facts is told by the same bits: only ids whose hash was seen twice are counted exactly.
 */
class UsageIndex {
  private readonly seen: HashBits;
  private readonly repeated: Set<string> | undefined;
  private readonly merged: Map<string, UsageFact> | undefined;
  /** id to the position of its first fact, built on the first id found neither near nor absent. */
  private byId: Map<string, number> | undefined;
  /** Per region (by its place among an image's AMIs): where the next fact is looked for first... */
  private readonly next: number[] = [];
  /** ...and how many facts from there: 8 while the facts follow the images, 1 once they do not. */
  private readonly ahead: number[] = [];

  constructor(private readonly facts: readonly UsageFact[]) {
    this.seen = new HashBits(facts.length);
    const hashes = new Int32Array(facts.length);
    let twice: HashBits | undefined;
    for (let j = 0; j < facts.length; j++) {
      const h = idHash(facts[j]!.amiId);
      hashes[j] = h;
      if (this.seen.testAndSet(h)) {
        twice ??= new HashBits(facts.length);
        twice.testAndSet(h);
      }
    }
    if (twice === undefined) return;
    // The facts whose bit was set twice: grouped by their whole hash (a small whole number, cheap to
    // look up), then, where a hash is shared, counted exactly by id.
    const byHash = new Map<number, number>();
    const candidates: number[] = [];
    for (let j = 0; j < facts.length; j++) {
      const h = hashes[j]!;
      if (!twice.test(h)) continue;
      candidates.push(j);
      const key = h & 0x3fffffff;
      byHash.set(key, (byHash.get(key) ?? 0) + 1);
    }
    const count = new Map<string, number>();
    for (const j of candidates) {
      if (byHash.get(hashes[j]! & 0x3fffffff)! < 2) continue;
      const id = facts[j]!.amiId;
      count.set(id, (count.get(id) ?? 0) + 1);
    }
    const repeated = new Set<string>();
    for (const [id, n] of count) if (n > 1) repeated.add(id);
    if (repeated.size === 0) return;
    this.repeated = repeated;
    this.merged = mergeInOrder(facts.filter((f) => repeated.has(f.amiId)));
  }

  /**
   * The AMI's fact (merged, if it has several), or undefined; `region` is the place of the AMI among its
   * image's AMIs.
   */
  fact(amiId: string, region: number): UsageFact | undefined {
    const facts = this.facts;
    const from = this.next[region] ?? 0;
    const ahead = this.ahead[region] ?? 8;
    let j = -1;
    for (let k = from; k < from + ahead && k < facts.length; k++) {
      if (facts[k]!.amiId === amiId) {
        j = k;
        break;
      }
    }
    if (j < 0) {
      // The bits tell most absent ids without the map; once the map is made, it tells them all.
      if (this.byId === undefined && !this.seen.test(idHash(amiId))) return undefined;
      j = this.position(amiId);
      if (j < 0) return undefined;
      // Found far from where it was looked for: the facts do not follow the images (here, at least).
      this.ahead[region] = 1;
    } else this.ahead[region] = 8;
    this.next[region] = j + 1;
    return this.repeated?.has(amiId) ? this.merged!.get(amiId) : facts[j];
  }

  private position(amiId: string): number {
    if (this.byId === undefined) {
      // Backwards, so that each id is left with its first fact.
      this.byId = new Map();
      for (let j = this.facts.length - 1; j >= 0; j--) this.byId.set(this.facts[j]!.amiId, j);
    }
    return this.byId.get(amiId) ?? -1;
  }
}

/**
 * The usage never-rule's part of an image's decision, when it has one: the in-use reasons of its AMIs
 * (in their order), the latest time one was seen in use, and whether one has no fact.
 */
interface UsageVerdict {
  inUse: Reason[] | undefined;
  seenAt: string | undefined;
  unknown: boolean;
}

/**
 * What the inventory says of the image's AMIs, or undefined when it says nothing to record (every AMI
 * has a fact, none in use, seen in use or launched within the grace): read with the image at hand.
 */
const usageVerdict = (
  image: Image,
  policy: RetentionPolicy | undefined,
  nowMs: number,
  usage: UsageIndex,
): UsageVerdict | undefined => {
  // Grace defaults to 30 days when the family has no policy: the safe side of unknown.
  const graceStart = nowMs - (policy?.inUseGraceDays ?? 30) * DAY_MS;
  let inUse: Reason[] | undefined;
  let unknown = false;
  let seenAt: string | undefined;
  let r = 0;
  for (const region in image.amiIds) {
    const amiId = image.amiIds[region]!;
    const u = usage.fact(amiId, r++);
    if (!u) {
      unknown = true;
      continue;
    }
    if (!u.inUse && u.lastSeenInUseAt === undefined && u.lastLaunchedAt === undefined) continue;
    if (u.lastSeenInUseAt !== undefined) seenAt = later(seenAt, u.lastSeenInUseAt);
    if (u.inUse) {
      inUse = append(inUse, {
        code: 'in-use',
        message: `${amiId} in use by ${u.references.join(', ') || 'an unnamed reference'}`,
      });
    } else if (u.lastSeenInUseAt !== undefined && isoMs(u.lastSeenInUseAt) > graceStart) {
      inUse = append(inUse, {
        code: 'in-use',
        message: `${amiId} was in use at ${u.lastSeenInUseAt}, within the in-use grace`,
      });
    } else if (u.lastLaunchedAt !== undefined && isoMs(u.lastLaunchedAt) > graceStart) {
      inUse = append(inUse, {
        code: 'in-use',
        message: `${amiId} was launched at ${u.lastLaunchedAt}, within the in-use grace`,
      });
    }
  }
  if (inUse === undefined && seenAt === undefined && !unknown) return undefined;
  return { inUse, seenAt, unknown };
};

/** Per position in the input: the image has a hold of its own (`HELD`), a channel points to it (`CHANNEL`)... */
const HELD = 1;
const CHANNEL = 2;
/** ...and (in the lineage walk) it has been reached as the ancestor of an image that stays... */
const PROTECTED = 4;
/** ...and the usage never-rule has something to say of it (its `UsageVerdict`). */
const USAGE = 8;

/** What the rules read besides the image: `now`, usage, and the holds and channels naming images. */
interface Context {
  nowMs: number;
  /** Position in the input to its usage verdict, for the images marked USAGE. */
  usage: UsageVerdict[];
  marks: Uint8Array;
  /** Position in the input to the index in `holds` of its own hold in force (the lowest id). */
  holdOf: Map<number, number>;
  /** Position in the input to the index in `channels` of the (last) channel pointing to it. */
  channelOf: Map<number, number>;
  holds: readonly Hold[];
  channels: PlanInput['channels'];
  /** The `held` reason of each hold, made once however many images it holds. */
  heldReasons: (Reason | undefined)[];
  /** Each image's creation time, by position in the input. */
  created: readonly number[];
}

const later = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : isoMs(b) > isoMs(a) ? b : a;

/** Merges the facts in their order: in use if any says so, every reference, the latest times. */
const mergeInOrder = (facts: readonly UsageFact[]): Map<string, UsageFact> => {
  const merged = new Map<string, UsageFact>();
  for (const f of facts) {
    const seen = merged.get(f.amiId);
    if (seen === undefined) {
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
 * One fact per AMI from however many the inventory gathered for it (the owner account's references and
 * each account it is shared with): in use if any says so, every reference, the latest times. The result
 * does not depend on the order of the facts, so neither does the plan.
 *
 * Most AMIs have one fact, taken as it is with no copy: one `set` per fact finds them (a repeated AMI
 * leaves the map's size unchanged), and only the AMIs seen more than once are merged, in the facts' order.
 */
export const mergeUsageFacts = (facts: readonly UsageFact[]): Map<string, UsageFact> => {
  const merged = new Map<string, UsageFact>();
  let repeated: Set<string> | undefined;
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]!;
    const size = merged.size;
    merged.set(f.amiId, f);
    if (merged.size === size) {
      repeated ??= new Set();
      repeated.add(f.amiId);
    }
  }
  if (repeated !== undefined) {
    const ids = repeated;
    // Keys keep the place of their first fact, so the map iterates as if merged one fact at a time.
    for (const [amiId, u] of mergeInOrder(facts.filter((f) => ids.has(f.amiId)))) merged.set(amiId, u);
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
 * Cost: one sort per family, everything else linear (O(N log N) overall): each image is indexed once,
 * each of its AMIs and its parent looked up once, each timestamp parsed at most once, and the previous
 * plan matched mostly by position; see bench/RESULTS.md.
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

  // One pass over the input, in its order: each live image joins its family, its version is coded, its
  // creation time parsed and its usage read. Images are referred to by their position in the input: at
  // a million images, per-image wrapper objects cost more than the planning.
  const images = input.images;
  const usage = new UsageIndex(input.usage);
  const verdicts: UsageVerdict[] = new Array(images.length);
  const marks = new Uint8Array(images.length);
  // Creation times by position in the input, on the heap (as a typed array it would count against the
  // external memory that makes V8 collect the whole heap, and the plan's tables need that room).
  const created: number[] = new Array(images.length);
  // Each live image's version code, by position in the input (on the heap, like `created`).
  const codes: number[] = new Array(images.length);
  const byFamily = new Map<string, FamilyIndex>();
  let lastName: string | undefined;
  let family: FamilyIndex | undefined;
  let policy: RetentionPolicy | undefined;
  for (let i = 0; i < images.length; i++) {
    const image = images[i]!;
    if (image.state === 'retired') continue;
    if (family === undefined || image.family !== lastName) {
      lastName = image.family;
      family = byFamily.get(lastName);
      if (family === undefined) {
        family = new FamilyIndex(codes);
        byFamily.set(lastName, family);
      }
      policy = rules.get(lastName)?.policy;
    }
    family.members.push(i);
    codes[i] = versionCode(image.version);
    created[i] = isoMs(image.createdAt);
    // The usage never-rule, while the image is at hand and the facts are read in their order.
    const verdict = usageVerdict(image, policy, nowMs, usage);
    if (verdict !== undefined) {
      verdicts[i] = verdict;
      marks[i]! |= USAGE;
    }
  }
  // Each family indexes its versions, its members in input order: a version met again is a duplicate.
  let repeated: number[] = [];
  for (const f of byFamily.values()) {
    const again = f.index(images);
    if (again.length > 0) repeated = repeated.concat(again);
  }
  if (repeated.length > 0) {
    throw new ValidationError(
      'retention plan input',
      repeated
        .sort((a, b) => a - b)
        .map((i) => ({
          path: `images[${imageKey(images[i]!)}]`,
          message: 'appears more than once in the inventory',
        })),
    );
  }
  /** The position in the input of a live image, or -1. */
  const find = (name: string, version: string): number => byFamily.get(name)?.find(version) ?? -1;
  // Each live image's parent (-1: none, or outside the inventory), looked up as its image is planned.
  const parentAt = new Int32Array(images.length).fill(-1);

  // Holds and channels name a few images: each is found once, and an image then reads its own mark.
  const holds = input.holds;
  const heldFamilies = new Map<string, number>();
  const holdOf = new Map<number, number>();
  for (let h = 0; h < holds.length; h++) {
    const hold = holds[h]!;
    if (!holdInForce(hold, nowMs)) continue;
    // Several holds may cover one image; the lowest id speaks for them, so the plan is order-independent.
    if (hold.target.kind === 'family') {
      const other = heldFamilies.get(hold.target.family);
      if (other === undefined || hold.id < holds[other]!.id) heldFamilies.set(hold.target.family, h);
    } else {
      const i = find(hold.target.family, hold.target.version);
      if (i < 0) continue;
      const other = holdOf.get(i);
      if (other === undefined || hold.id < holds[other]!.id) holdOf.set(i, h);
      marks[i]! |= HELD;
    }
  }
  const channels = input.channels;
  const channelOf = new Map<number, number>();
  for (let c = 0; c < channels.length; c++) {
    const i = find(channels[c]!.family, channels[c]!.version);
    if (i < 0) continue;
    channelOf.set(i, c);
    marks[i]! |= CHANNEL;
  }

  const context: Context = {
    nowMs,
    usage: verdicts,
    marks,
    holdOf,
    channelOf,
    holds,
    channels,
    heldReasons: [],
    created,
  };

  const familyNames = [...byFamily.keys()].sort();
  // Sized once: the plan holds a decision per live image.
  let live = 0;
  for (const f of byFamily.values()) live += f.members.length;
  const decisions: ImageDecision[] = new Array(live);
  let planned = 0;
  /** Each live image's position in the plan, for the lineage walk and the diff. */
  const planAt = new Int32Array(images.length);
  for (const name of familyNames) {
    const members = byFamily.get(name)!.members;
    // Newest first; equal timestamps fall back to the version so the order is total and replayable.
    members.sort((a, b) => created[b]! - created[a]! || (images[a]!.version < images[b]!.version ? 1 : -1));
    const familyRules = rules.get(name);
    const familyHold = heldFamilies.get(name) ?? -1;
    // The newest published image: what the others are measured against for out-of-date.
    let newest: Image | undefined;
    for (let m = 0; m < members.length && newest === undefined; m++) {
      if (images[members[m]!]!.state === 'published') newest = images[members[m]!];
    }
    let rank = 0;
    for (let m = 0; m < members.length; m++) {
      const i = members[m]!;
      const image = images[i]!;
      const ref = image.parent;
      if (ref !== undefined) parentAt[i] = find(ref.family, ref.version);
      const d: ImageDecision = {
        family: image.family,
        version: image.version,
        state: image.state,
        decision: 'keep',
        reasons: NO_REASONS,
      };
      proposeByPolicy(
        image,
        i,
        d,
        familyRules,
        PUBLISHED_LINE.has(image.state) ? rank++ : -1,
        newest,
        context,
      );
      applyNeverRules(image, i, d, familyHold, context);
      planAt[i] = planned;
      decisions[planned++] = d;
    }
  }

  // An image that stays (anything but retire) protects its whole ancestry: lineage must not break
  // under an image someone can still launch. Each ancestor is visited once (then marked PROTECTED).
  // Walked in plan order (the families in order, each one's members as sorted), not input order, so
  // the child named in a reason does not depend on how the inventory was read.
  for (const name of familyNames) {
    const members = byFamily.get(name)!.members;
    for (let m = 0; m < members.length; m++) {
      const start = members[m]!;
      if (decisions[planAt[start]!]!.decision === 'retire') continue;
      let child = start;
      let p = parentAt[child]!;
      // A parent outside the inventory (a source AMI, a retired image) has nothing to protect.
      while (p >= 0 && (marks[p]! & PROTECTED) === 0) {
        marks[p]! |= PROTECTED;
        const pd = decisions[planAt[p]!]!;
        if (pd.decision !== 'keep') {
          pd.decision = 'keep';
          const reasons: Reason[] = [
            { code: 'parent-of-kept', message: `parent of ${imageKey(images[child]!)}, which stays` },
          ];
          for (let r = 0; r < pd.reasons.length; r++) reasons.push(pd.reasons[r]!);
          pd.reasons = reasons;
        }
        child = p;
        p = parentAt[child]!;
      }
    }
  }

  const summary = { keep: 0, deprecate: 0, disable: 0, retire: 0 };
  for (let k = 0; k < decisions.length; k++) if (decisions[k]!.decision === 'keep') summary.keep++;
  const retiresByFamily = new Map<string, number>();
  const actions: ImageDecision[] = new Array(decisions.length - summary.keep);
  let acting = 0;
  for (let k = 0; k < decisions.length; k++) {
    const d = decisions[k]!;
    const decision = d.decision;
    if (decision === 'keep') continue;
    actions[acting++] = d;
    if (decision === 'deprecate') summary.deprecate++;
    else if (decision === 'disable') summary.disable++;
    else {
      summary.retire++;
      retiresByFamily.set(d.family, (retiresByFamily.get(d.family) ?? 0) + 1);
    }
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
  for (const name of familyNames) {
    const n = retiresByFamily.get(name) ?? 0;
    const cap = rules.get(name)?.policy.maxRetirementsPerRun;
    if (cap !== undefined && n > cap)
      guardReasons.push(`${n} retirements in ${name} exceed its limit of ${cap}`);
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
    // parentAt is done with: its memory serves the diff.
    diff: diffIndexed(input.previousPlan?.decisions ?? [], decisions, parentAt, (name, version) => {
      const i = find(name, version);
      return i < 0 ? -1 : planAt[i]!;
    }),
  };
};

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
    isoMs(image.vulnerableSince) + grace <= nowMs
  ) {
    return {
      code: 'out-of-date',
      message: `flagged vulnerable since ${isoDay(isoMs(image.vulnerableSince))}, past the out-of-date grace of ${rule.graceDays} days`,
    };
  }
  if (newest === undefined) return undefined;
  const base = (i: Image) => (i.parent ? imageKey(i.parent) : i.sourceAmiId);
  const newerBase = base(newest);
  const since = isoMs(newest.publishedAt ?? newest.createdAt);
  if (newerBase === undefined || newerBase === base(image) || since + grace > nowMs) return undefined;
  return {
    code: 'out-of-date',
    message: `superseded by ${newest.version}, built on ${newerBase}, for over ${rule.graceDays} days`,
  };
};

/**
 * What the family's policy alone would do; `rank` is the position among published-line images, `at`
 * the image's position in the input.
 */
const proposeByPolicy = (
  image: Image,
  at: number,
  w: ImageDecision,
  rules: FamilyRules | undefined,
  rank: number,
  newest: Image | undefined,
  c: Context,
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
  const nowMs = c.nowMs;
  if (image.state === 'rejected' || image.state === 'failed') {
    const due = isoMs(image.stateChangedAt) + policy.failedRetireAfterDays * DAY_MS;
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
  } else if (policy.maxAgeDays !== undefined && nowMs - c.created[at]! > policy.maxAgeDays * DAY_MS) {
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
  let grace = 0;
  let elapsed: Reason[] | undefined;
  if (image.state === 'deprecated') {
    grace = policy.disableAfterDeprecatedDays;
    elapsed =
      expired === reasons.expiredCount
        ? reasons.elapsed.countDisable
        : expired === reasons.expiredAge
          ? reasons.elapsed.ageDisable
          : [expired, reasons.disableGrace];
  } else if (image.state === 'disabled') {
    grace = policy.retireAfterDisabledDays;
    elapsed =
      expired === reasons.expiredCount
        ? reasons.elapsed.countRetire
        : expired === reasons.expiredAge
          ? reasons.elapsed.ageRetire
          : [expired, reasons.retireGrace];
  }
  // The state's timestamp is read only here, where a grace counts from it.
  const due = isoMs(image.stateChangedAt) + grace * DAY_MS;
  if (graceElapsed(due, grace, nowMs)) {
    w.decision = next;
    if (elapsed && grace > 0) w.reasons = elapsed;
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

/** The `held` reason of the hold at `h`, one object however many images it holds. */
const heldReason = (c: Context, h: number): Reason => {
  let r = c.heldReasons[h];
  if (r === undefined) {
    const hold = c.holds[h]!;
    r = { code: 'held', message: `held by ${hold.owner} (${hold.ticket}): ${hold.reason}` };
    c.heldReasons[h] = r;
  }
  return r;
};

/**
 * The never-rules. Each one that applies is recorded; any of them turns a proposed action into keep.
 * `at` is the image's position in the input, `familyHold` the index of its family's hold or -1.
 */
const applyNeverRules = (
  image: Image,
  at: number,
  w: ImageDecision,
  familyHold: number,
  c: Context,
): void => {
  // Allocated only when a rule applies: most images need none (and no closure per image either).
  let guards: Reason[] | undefined;
  if (!image.managed) guards = append(guards, R.notManaged);
  const mark = c.marks[at]!;
  const hold = mark & HELD ? c.holdOf.get(at)! : familyHold;
  if (hold >= 0) guards = append(guards, heldReason(c, hold));
  if (mark & CHANNEL) {
    guards = append(guards, {
      code: 'channel-target',
      message: `channel ${c.channels[c.channelOf.get(at)!]!.name} points to it`,
    });
  }

  if (mark & USAGE) {
    const usage = c.usage[at]!;
    if (usage.inUse !== undefined) {
      if (guards === undefined) guards = usage.inUse;
      else for (let r = 0; r < usage.inUse.length; r++) guards.push(usage.inUse[r]!);
    }
    if (usage.seenAt !== undefined) w.lastSeenInUseAt = usage.seenAt;
    if (usage.unknown) guards = append(guards, R.usageUnknown);
  }
  if (!guards) return;
  w.decision = 'keep';
  // `guards` is this image's own list: the policy's reasons follow the never-rules' in it.
  for (let r = 0; r < w.reasons.length; r++) guards.push(w.reasons[r]!);
  w.reasons = guards;
};

type Decided = Pick<ImageDecision, 'family' | 'version' | 'decision'>;

/** Decision changes between two plans, keyed by image. */
export const diffPlans = (
  previous: readonly Decided[],
  current: readonly Decided[],
): RetentionPlan['diff'] => {
  const before = new Map<string, Map<string, Decided>>();
  for (const d of previous) {
    let inner = before.get(d.family);
    if (!inner) {
      inner = new Map();
      before.set(d.family, inner);
    }
    inner.set(d.version, d);
  }
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

/**
 * `diffPlans` for a current plan whose images are unique and already indexed (`at` gives an image's
 * position in `current`, or -1; `scratch` is memory it may use): the same diff, entry for entry and in
 * the same order, without a map of the previous plan. A plan and the one before it mostly list the same
 * images in the same order, so each previous decision is first tried against the current one after the
 * last it matched; only where they part is the index consulted. A previous plan naming an image twice
 * speaks with its last decision, as a map of it would.
 */
const diffIndexed = (
  previous: readonly Decided[],
  current: readonly Decided[],
  scratch: Int32Array,
  at: (family: string, version: string) => number,
): RetentionPlan['diff'] => {
  // For each current decision, the previous one it matches (-1: none), in `scratch` if it is long enough.
  const prevAt = (scratch.length >= current.length ? scratch : new Int32Array(current.length)).fill(-1);
  const gone: number[] = [];
  let next = 0;
  for (let j = 0; j < previous.length; j++) {
    const p = previous[j]!;
    let k = next;
    const guess = current[k];
    if (guess === undefined || guess.version !== p.version || guess.family !== p.family) {
      k = at(p.family, p.version);
      if (k < 0) {
        gone.push(j);
        continue;
      }
    }
    prevAt[k] = j;
    next = k + 1;
  }
  const changed: PlanDiffEntry[] = [];
  const added: PlanDiffEntry[] = [];
  let unchanged = 0;
  for (let k = 0; k < current.length; k++) {
    const d = current[k]!;
    const j = prevAt[k]!;
    if (j < 0) added.push({ family: d.family, version: d.version, from: null, to: d.decision });
    else {
      const from = previous[j]!.decision;
      if (from === d.decision) unchanged++;
      else changed.push({ family: d.family, version: d.version, from, to: d.decision });
    }
  }
  return { changed, added, removed: gone.length === 0 ? [] : removedInOrder(previous, gone), unchanged };
};

/**
 * The previous decisions no current one matched, in the order a map of the whole previous plan would
 * give them: by family in order of first appearance (counting every previous decision), then by version
 * in order of first appearance, each with its last decision.
 */
const removedInOrder = (previous: readonly Decided[], gone: readonly number[]): PlanDiffEntry[] => {
  const rank = new Map<string, number>();
  let lastFamily: string | undefined;
  for (const d of previous) {
    if (d.family === lastFamily) continue;
    lastFamily = d.family;
    if (!rank.has(d.family)) rank.set(d.family, rank.size);
  }
  const byFamily = new Map<string, Map<string, Decided>>();
  for (const j of gone) {
    const d = previous[j]!;
    let inner = byFamily.get(d.family);
    if (!inner) {
      inner = new Map();
      byFamily.set(d.family, inner);
    }
    inner.set(d.version, d);
  }
  const removed: PlanDiffEntry[] = [];
  for (const family of [...byFamily.keys()].sort((a, b) => rank.get(a)! - rank.get(b)!)) {
    for (const d of byFamily.get(family)!.values())
      removed.push({ family: d.family, version: d.version, from: d.decision, to: null });
  }
  return removed;
};
