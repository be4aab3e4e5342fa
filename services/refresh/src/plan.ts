// The refresh decisions, as pure functions of what the catalog holds: which families to rebuild for a
// trigger, and why the others are not. No I/O here; the use cases load the world and carry decisions out.
import {
  buildIdFor,
  buildKey,
  type Channel,
  DAY_MS,
  descendantFamilies,
  type Image,
  type ImageRef,
  IN_PIPELINE_STATES,
  imageKey,
  type RefreshDecision,
  type RefreshSkip,
  type RefreshTrigger,
  SAME_INPUTS_STATES,
  type StoredConfig,
} from '@ami-lifecycle/core';

/** One family as the planner sees it: its current config, its images and its channels. */
export interface FamilyView {
  name: string;
  config: StoredConfig;
  configVersion: number;
  images: readonly Image[];
  channels: readonly Channel[];
}

export interface PlanContext {
  /** The home region: where images are built, so the AMI a child builds on. */
  region: string;
  now: Date;
  /** At most this many rebuilds are requested for one trigger; the rest are skipped with `fan-out-cap`. */
  maxBuildsPerTrigger: number;
  correlationId: string;
  decidedBy: string;
}

/** A build of the family is still on its way: nothing it started has reached an outcome yet. */
const IN_FLIGHT: ReadonlySet<string> = IN_PIPELINE_STATES;

/**
 * `refresh:<family>:<triggerKey>`: the `Build Requested` idempotency key, the same for every delivery of
 * the trigger and different for every family the trigger rebuilds.
 */
export const requestKeyFor = (family: string, triggerKey: string): string =>
  `refresh:${family}:${triggerKey}`;

export const parentPublishedKey = (parent: { family: string; version: string }): string =>
  `parent-published:${imageKey(parent)}`;
export const vulnerableKey = (image: { family: string; version: string }): string =>
  `vulnerable:${imageKey(image)}`;
export const staleBaseKey = (now: Date): string => `stale-base:${now.toISOString().slice(0, 10)}`;

const ageDays = (now: Date, at: string): number => Math.floor((now.getTime() - Date.parse(at)) / DAY_MS);

/** The image a channel points to, when the family holds it. */
export const channelTarget = (view: FamilyView, channel: string): Image | undefined => {
  const version = view.channels.find((c) => c.name === channel)?.version;
  return version === undefined ? undefined : view.images.find((i) => i.version === version);
};

/** The newest published image any channel of the family points to: what its users launch today. */
export const currentImage = (view: FamilyView): Image | undefined => {
  let newest: Image | undefined;
  for (const channel of view.channels) {
    const image = view.images.find((i) => i.version === channel.version);
    if (image?.state !== 'published') continue;
    if (newest === undefined || Date.parse(image.createdAt) > Date.parse(newest.createdAt)) newest = image;
  }
  return newest;
};

const describe = (image: Image): string => `${image.family} ${image.version} (${image.state})`;

interface DecisionBase {
  family: string;
  trigger: RefreshTrigger;
  triggerKey: string;
  triggerImage?: ImageRef | undefined;
}

const skipped = (base: DecisionBase, skip: RefreshSkip, reason: string, ctx: PlanContext): RefreshDecision =>
  finish({ ...base, outcome: 'skipped', skip, reason }, ctx);

const requested = (
  base: DecisionBase,
  request: { parent?: ImageRef | undefined; force: boolean },
  reason: string,
  ctx: PlanContext,
): RefreshDecision =>
  finish(
    {
      ...base,
      outcome: 'requested',
      reason,
      request: {
        idempotencyKey: requestKeyFor(base.family, base.triggerKey),
        ...(request.parent === undefined ? {} : { parent: request.parent }),
        force: request.force,
      },
    },
    ctx,
  );

const finish = (
  d: Omit<RefreshDecision, 'correlationId' | 'decidedAt' | 'decidedBy'> & {
    triggerImage?: ImageRef | undefined;
  },
  ctx: PlanContext,
): RefreshDecision => {
  const { triggerImage, ...rest } = d;
  return {
    ...rest,
    ...(triggerImage === undefined ? {} : { triggerImage }),
    correlationId: ctx.correlationId,
    decidedAt: ctx.now.toISOString(),
    decidedBy: ctx.decidedBy,
  };
};

/** The image this very request built, if its build has started: the decision was carried out already. */
const builtBy = (view: FamilyView, triggerKey: string): Image | undefined => {
  const buildId = buildIdFor(view.name, requestKeyFor(view.name, triggerKey));
  return view.images.find((i) => i.buildId === buildId);
};

/** An image of the family built on exactly `parent`, whatever became of it. */
const builtOn = (view: FamilyView, parent: Image): Image | undefined =>
  view.images.find((i) => i.parent?.family === parent.family && i.parent.version === parent.version);

/**
 * Why `child` cannot be built on `parent` now, or `undefined` when it can: a child builds only on a
 * published image, on its AMI in the home region (the region it is built in).
 */
const cannotBuildOn = (child: FamilyView, parent: Image, ctx: PlanContext): string | undefined => {
  const on = `${parent.family} ${parent.version}`;
  if (parent.state !== 'published') return `${on} is ${parent.state} now, no longer published`;
  if (parent.amiIds[ctx.region] === undefined) {
    return `${on} has no AMI in ${ctx.region}, where ${child.name} is built`;
  }
  return undefined;
};

const refOf = (image: Image, region: string): ImageRef => ({
  family: image.family,
  version: image.version,
  ...(image.amiIds[region] === undefined ? {} : { amiId: image.amiIds[region] }),
});

/**
 * Parent published: `child` builds on `parent`'s family and channel, and `parent` was just published on
 * it. Rebuilt on exactly `parent` unless its policy says no, the trigger came from its own lineage, or
 * an image with the same build key (the same parent AMI, config version and components) already exists.
 */
const decideChild = (
  child: FamilyView,
  parent: Image,
  triggerKey: string,
  lineage: ReadonlySet<string>,
  ctx: PlanContext,
): RefreshDecision => {
  const base: DecisionBase = {
    family: child.name,
    trigger: 'parent-published',
    triggerKey,
    triggerImage: refOf(parent, ctx.region),
  };
  const on = `${parent.family} ${parent.version}`;
  if (lineage.has(child.name)) {
    return skipped(
      base,
      'loop',
      `${on} descends from ${child.name}: a family is never rebuilt by its own publication`,
      ctx,
    );
  }
  if (!child.config.refresh.onParentPublish) {
    return skipped(base, 'policy-off', `refresh.onParentPublish is off for ${child.name}`, ctx);
  }
  const done = builtBy(child, triggerKey);
  if (done !== undefined) {
    return requested(
      base,
      { parent: refOf(parent, ctx.region), force: false },
      `rebuild on ${on} requested; built as ${describe(done)}`,
      ctx,
    );
  }
  const unbuildable = cannotBuildOn(child, parent, ctx);
  if (unbuildable !== undefined) return skipped(base, 'superseded', unbuildable, ctx);
  const key = buildKey({
    sourceAmiId: parent.amiIds[ctx.region]!,
    configVersion: child.configVersion,
    components: child.config.build.components,
  });
  const same = child.images.find((i) => i.buildKey === key && SAME_INPUTS_STATES.has(i.state));
  if (same !== undefined) {
    return skipped(
      base,
      'build-key-unchanged',
      `${describe(same)} is already built on ${on} with config version ${child.configVersion}`,
      ctx,
    );
  }
  return requested(
    base,
    { parent: refOf(parent, ctx.region), force: false },
    `${on} was published on ${child.config.parent?.channel}, which ${child.name} builds on`,
    ctx,
  );
};

/** Turns the requests past the cap into `fan-out-cap` skips, in the order given (parents first). */
const capFanOut = (decisions: RefreshDecision[], ctx: PlanContext, what: string): RefreshDecision[] => {
  const total = decisions.filter((d) => d.outcome === 'requested').length;
  let kept = 0;
  return decisions.map((d) => {
    if (d.outcome !== 'requested') return d;
    kept += 1;
    if (kept <= ctx.maxBuildsPerTrigger) return d;
    const { request: _, ...rest } = d;
    return {
      ...rest,
      outcome: 'skipped',
      skip: 'fan-out-cap',
      reason: `${what} asked for ${total} rebuilds and one trigger starts at most ${ctx.maxBuildsPerTrigger}; the daily refresh requests it later (${d.reason})`,
    };
  });
};

/**
 * `Image Published` of `parent` on `channels`: every application family building on one of those channels
 * of its family is considered, in name order; `lineage` names the families the parent descends from (its
 * own included), none of which may be rebuilt by it.
 */
export const planParentPublished = (
  trigger: { image: Image; channels: readonly string[]; triggerKey: string },
  families: readonly FamilyView[],
  lineage: ReadonlySet<string>,
  ctx: PlanContext,
): RefreshDecision[] => {
  const children = families
    .filter(
      (f) =>
        f.config.kind === 'application' &&
        f.config.parent.family === trigger.image.family &&
        trigger.channels.includes(f.config.parent.channel),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  return capFanOut(
    children.map((child) => decideChild(child, trigger.image, trigger.triggerKey, lineage, ctx)),
    ctx,
    `${trigger.image.family} ${trigger.image.version}`,
  );
};

/**
 * `Image Vulnerable` of `image`: its family is rebuilt (with `force`, since the same inputs now build a
 * patched image: updates are installed at build time) if it still is what a channel points to and no
 * newer build is already on its way. A golden family resolves its source afresh, an application family
 * builds on its parent channel's current image.
 */
export const planVulnerable = (image: Image, view: FamilyView, ctx: PlanContext): RefreshDecision => {
  const triggerKey = vulnerableKey(image);
  const base: DecisionBase = {
    family: view.name,
    trigger: 'vulnerable',
    triggerKey,
    triggerImage: refOf(image, ctx.region),
  };
  if (!view.config.refresh.onVulnerable) {
    return skipped(base, 'policy-off', `refresh.onVulnerable is off for ${view.name}`, ctx);
  }
  const done = builtBy(view, triggerKey);
  if (done !== undefined) {
    return requested(
      base,
      { force: true },
      `rebuild of vulnerable ${image.version} requested; built as ${describe(done)}`,
      ctx,
    );
  }
  const pointing = view.channels.filter((c) => c.version === image.version).map((c) => c.name);
  if (image.state !== 'published' || pointing.length === 0) {
    const now = view.channels.map((c) => `${c.name} -> ${c.version}`).join(', ') || 'no channels';
    return skipped(
      base,
      'superseded',
      `${describe(image)} is not what any channel points to (${now}); a vulnerable current image is rebuilt on its own`,
      ctx,
    );
  }
  const newer = view.images.find(
    (i) => IN_FLIGHT.has(i.state) && Date.parse(i.createdAt) > Date.parse(image.createdAt),
  );
  if (newer !== undefined) {
    return skipped(base, 'already-rebuilding', `${describe(newer)} is newer and on its way`, ctx);
  }
  const worst = image.findings
    ? ` (findings CRITICAL ${image.findings.CRITICAL}, HIGH ${image.findings.HIGH})`
    : '';
  return requested(
    base,
    { force: true },
    `${image.family} ${image.version} on ${pointing.join(', ')} is vulnerable${worst}; rebuilt with current updates${
      view.config.kind === 'application'
        ? ` on ${view.config.parent.family}/${view.config.parent.channel}`
        : ''
    }`,
    ctx,
  );
};

/** Families in lineage order: every parent before its children, then by name. */
const lineageOrder = (families: readonly FamilyView[]): FamilyView[] => {
  const byName = new Map(families.map((f) => [f.name, f]));
  const configs = families.map((f) => ({
    name: f.name,
    parent: f.config.kind === 'application' ? f.config.parent : undefined,
  }));
  const roots = families
    .filter((f) => f.config.kind !== 'application' || !byName.has(f.config.parent.family))
    .map((f) => f.name)
    .sort();
  const ordered: string[] = [];
  const seen = new Set<string>();
  for (const root of roots) {
    for (const name of [root, ...descendantFamilies(configs, root)]) {
      if (!seen.has(name)) {
        seen.add(name);
        ordered.push(name);
      }
    }
  }
  // A cycle in stored configs (the policy refuses one) leaves families unreached: still plan them.
  for (const f of [...families].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!seen.has(f.name)) ordered.push(f.name);
  }
  return ordered.map((name) => byName.get(name)!);
};

/**
 * The daily refresh: for each family (parents first), at most one decision, the first that applies of
 * - its current image is vulnerable and has not been rebuilt (an `Image Vulnerable` that was lost);
 * - it builds on a parent channel whose image it has no build on (an `Image Published` that was lost, or
 *   a rebuild a fan-out cap deferred);
 * - its base is older than `refresh.maxBaseAgeDays` (golden: the current image's age; application: the
 *   age of the parent image it was built on).
 * Families with nothing to do get no decision. Requests past the cap are skipped with `fan-out-cap`.
 */
export const planDaily = (families: readonly FamilyView[], ctx: PlanContext): RefreshDecision[] => {
  const byName = new Map(families.map((f) => [f.name, f]));
  const decisions: RefreshDecision[] = [];
  const rebuilding = new Set<string>();
  for (const view of lineageOrder(families)) {
    const decision =
      vulnerableCatchUp(view, ctx) ??
      parentCatchUp(view, byName, ctx) ??
      staleBase(view, byName, rebuilding, ctx);
    if (decision === undefined) continue;
    if (decision.outcome === 'requested') rebuilding.add(view.name);
    decisions.push(decision);
  }
  return capFanOut(decisions, ctx, `the daily refresh of ${ctx.now.toISOString().slice(0, 10)}`);
};

const vulnerableCatchUp = (view: FamilyView, ctx: PlanContext): RefreshDecision | undefined => {
  const current = currentImage(view);
  if (current === undefined || !current.vulnerable || !view.config.refresh.onVulnerable) return undefined;
  // Already built for it: nothing left to catch up.
  if (builtBy(view, vulnerableKey(current)) !== undefined) return undefined;
  return planVulnerable(current, view, ctx);
};

const parentCatchUp = (
  view: FamilyView,
  byName: ReadonlyMap<string, FamilyView>,
  ctx: PlanContext,
): RefreshDecision | undefined => {
  const { config } = view;
  if (config.kind !== 'application' || !config.refresh.onParentPublish) return undefined;
  const parentView = byName.get(config.parent.family);
  const parent = parentView && channelTarget(parentView, config.parent.channel);
  if (parent?.state !== 'published' || builtOn(view, parent) !== undefined) return undefined;
  return decideChild(view, parent, parentPublishedKey(parent), new Set([parent.family]), ctx);
};

const staleBase = (
  view: FamilyView,
  byName: ReadonlyMap<string, FamilyView>,
  rebuilding: ReadonlySet<string>,
  ctx: PlanContext,
): RefreshDecision | undefined => {
  const { config } = view;
  const limit = config.refresh.maxBaseAgeDays;
  const current = currentImage(view);
  if (limit === undefined || current === undefined) return undefined;
  const baseImage =
    config.kind === 'application' && current.parent !== undefined
      ? byName.get(current.parent.family)?.images.find((i) => i.version === current.parent?.version)
      : current;
  if (baseImage === undefined) return undefined;
  // Compared in milliseconds, not whole days: a base of 30 days and an hour is over a limit of 30 days.
  if (ctx.now.getTime() - Date.parse(baseImage.createdAt) <= limit * DAY_MS) return undefined;
  const age = ageDays(ctx.now, baseImage.createdAt);
  const triggerKey = staleBaseKey(ctx.now);
  const base: DecisionBase = {
    family: view.name,
    trigger: 'stale-base',
    triggerKey,
    triggerImage: refOf(current, ctx.region),
  };
  const stale =
    baseImage === current
      ? `${current.family} ${current.version} is ${age} days old`
      : `${current.family} ${current.version} is built on ${baseImage.family} ${baseImage.version}, ${age} days old`;
  const done = builtBy(view, triggerKey);
  if (done !== undefined) {
    return requested(base, { force: config.kind === 'golden' }, `${stale}; built as ${describe(done)}`, ctx);
  }
  const newer = view.images.find(
    (i) => IN_FLIGHT.has(i.state) && Date.parse(i.createdAt) > Date.parse(current.createdAt),
  );
  if (newer !== undefined) {
    return skipped(
      base,
      'already-rebuilding',
      `${stale} (limit ${limit}); ${describe(newer)} is on its way`,
      ctx,
    );
  }
  if (config.kind === 'golden') {
    return requested(
      base,
      { force: true },
      `${stale}, over the limit of ${limit}; rebuilt from a freshly resolved source`,
      ctx,
    );
  }
  const parentView = byName.get(config.parent.family);
  const parent = parentView && channelTarget(parentView, config.parent.channel);
  if (parent === undefined || parent.version === baseImage.version) {
    const waiting = rebuilding.has(config.parent.family)
      ? `${config.parent.family} is being rebuilt today, and ${view.name} follows when it is published`
      : `${config.parent.family}/${config.parent.channel} has nothing newer to build on; refresh ${config.parent.family} first`;
    return skipped(base, 'nothing-newer', `${stale} (limit ${limit}); ${waiting}`, ctx);
  }
  const unbuildable = cannotBuildOn(view, parent, ctx);
  if (unbuildable !== undefined) {
    return skipped(base, 'nothing-newer', `${stale} (limit ${limit}); ${unbuildable}`, ctx);
  }
  // Tried on that parent already (rejected, failed): a daily retry would build the same thing every day.
  const tried = builtOn(view, parent);
  if (tried !== undefined) {
    return skipped(
      base,
      'nothing-newer',
      `${stale} (limit ${limit}); ${describe(tried)} is already built on ${parent.family} ${parent.version}, the newest on ${config.parent.channel}`,
      ctx,
    );
  }
  return requested(
    base,
    { parent: refOf(parent, ctx.region), force: false },
    `${stale}, over the limit of ${limit}; rebuilt on ${parent.family} ${parent.version}`,
    ctx,
  );
};
