import { awsErrorCode } from '@ami-lifecycle/aws';
import { listAll, MAX_PAGE_SIZE } from '@ami-lifecycle/catalog';
import {
  DECISION_TARGET,
  FamilyNotConfiguredError,
  type Hold,
  holdInForce,
  type Image,
  type ImageDecision,
  type ImageUse,
  IN_PIPELINE_STATES,
  imageKey,
  loadFamilyConfig,
  type RetentionPlan,
} from '@ami-lifecycle/core';
import { EventsNotSentError, PlanNotFoundError } from '../errors';
import { DEFAULT_ACTOR, type DecommissionDeps } from './deps';
import { ACTIONS_PER_BATCH } from './plan-sweep';
import { loadSweepSettings } from './settings';
import { sharedWith, type UsageAccount } from './usage';

/** What one action of a sweep came to. */
export interface ActionResult {
  family: string;
  version: string;
  decision: ImageDecision['decision'];
  /** `done` also when a rerun finds it done by an earlier attempt (its event is sent again). */
  outcome: 'done' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  /** Snapshots deleted (retire). */
  deletedSnapshotIds?: string[];
  /** GiB of snapshot storage deleted, per region (retire). */
  freedGiB?: Record<string, number>;
}

type Action = ImageDecision & { decision: Exclude<ImageDecision['decision'], 'keep'> };

const EVENT: Record<Action['decision'], 'Image Deprecated' | 'Image Disabled' | 'Image Retired'> = {
  deprecate: 'Image Deprecated',
  disable: 'Image Disabled',
  retire: 'Image Retired',
};

const activeHold = (holds: readonly Hold[], now: number): Hold | undefined =>
  holds.find((h) => holdInForce(h, now));

/**
 * One batch of a sweep's actions, each on its own: a failed one is reported and the next goes on. Before
 * acting, each is checked again against the present, since the plan was made minutes ago: the image must
 * still be in the state the plan saw, not held, not a channel target, and (before it is disabled or
 * retired) not referenced in any region. Every region's copy is acted on, then the state moves (audited
 * with the plan's reasons) and the event is sent. A rerun converges: an image the plan's target state
 * already holds is `done` and its event is sent again under the same key; EC2 work already done is
 * recognised (a deregistered AMI, a deleted snapshot) rather than repeated.
 */
export const applyActions = async (
  input: { sweepId: string; batch: number },
  deps: DecommissionDeps,
): Promise<{ results: ActionResult[] }> => {
  const plan = await deps.catalog.getPlan(input.sweepId);
  if (plan === undefined) throw new PlanNotFoundError(input.sweepId);
  const actions = plan.actions.slice(
    input.batch * ACTIONS_PER_BATCH,
    (input.batch + 1) * ACTIONS_PER_BATCH,
  ) as Action[];
  const { accounts } = await loadSweepSettings(deps.catalog);
  const sharedWith = sharingOf(deps, accounts);
  const templates = await sharedTemplateUses(actions, deps, sharedWith);
  const buildingOn = await childrenInPipeline(actions, deps);
  const results: ActionResult[] = [];
  const unannounced: string[] = [];
  for (const action of actions) {
    try {
      results.push(await applyOne(action, plan, deps, { sharedWith, templates, buildingOn }));
    } catch (err) {
      if (err instanceof NotAnnouncedError) unannounced.push(err.message);
      else results.push({ ...ref(action), outcome: 'failed', reason: (err as Error).message });
    }
  }
  // A failed action is reported and left for the next sweep's plan. An image that moved but whose event
  // was not sent would never be announced (the next plan does not act on it again): the batch fails, and
  // its retry finds the image in its target state and sends the event under the same key.
  if (unannounced.length > 0) throw new EventsNotSentError(input.sweepId, unannounced);
  return { results };
};

/** The image's state moved, but its event could not be sent. */
class NotAnnouncedError extends Error {}

const announced = async (...args: Parameters<typeof announce>): Promise<void> => {
  const [action] = args;
  try {
    await announce(...args);
  } catch (err) {
    throw new NotAnnouncedError(
      `${action.family}@${action.version} ${action.decision}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
};

const ref = (a: Action) => ({ family: a.family, version: a.version, decision: a.decision });

/**
 * Who a family's images are shared with now, by the inventory's rule (`sharedWith`): the accounts to ask,
 * or why their usage cannot all be seen (a config gone or sharing with an organization, an OU or an
 * account without a role), in which case nothing of the family is disabled or retired. A catalog that
 * cannot be read fails the action rather than guess.
 */
type SharedWith = (family: string) => Promise<{ accounts: UsageAccount[]; why?: string }>;

const sharingOf = (deps: DecommissionDeps, accounts: readonly UsageAccount[]): SharedWith => {
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const cache = new Map<string, ReturnType<SharedWith>>();
  return (family) => {
    let found = cache.get(family);
    if (found === undefined) {
      found = loadFamilyConfig(deps.catalog, family).then(
        ({ config }) => sharedWith(config, byId),
        (err: unknown) => {
          if (err instanceof FamilyNotConfiguredError) return sharedWith(undefined, byId);
          throw err;
        },
      );
      cache.set(family, found);
    }
    return found;
  };
};

/** What the batch read once for every action's check: sharing, shared template uses, children in the pipeline. */
interface BatchView {
  sharedWith: SharedWith;
  templates: TemplateUses;
  /** `family@version` of a parent -> a child of it in the build and inspection pipeline. */
  buildingOn: ReadonlyMap<string, string>;
}

const MAX_PIPELINE_PAGES = 20;

/**
 * Images in the build and inspection pipeline, by the parent they are built on: a child build started
 * since the plan (which kept the parents of everything in the pipeline then) makes its parent a parent of
 * a kept image too. Read once per batch, and only when it disables or retires something.
 */
const childrenInPipeline = async (
  actions: readonly Action[],
  deps: DecommissionDeps,
): Promise<ReadonlyMap<string, string>> => {
  const children = new Map<string, string>();
  if (actions.every((a) => a.decision === 'deprecate')) return children;
  for (const state of IN_PIPELINE_STATES) {
    const images = await listAll(
      `${state} images`,
      (page) => deps.catalog.listImagesByState(state, { ...page, limit: MAX_PAGE_SIZE }),
      MAX_PIPELINE_PAGES,
    );
    for (const child of images)
      if (child.parent !== undefined) children.set(imageKey(child.parent), imageKey(child));
  }
  return children;
};

/** Launch template versions naming an AMI, in the accounts it is shared with, as read for the batch. */
type TemplateUses = ReadonlyMap<string, ImageUse[]>;

/**
 * The launch template versions, in every account and region the batch's images to disable or retire are
 * shared with, that name one of them. EC2 cannot filter template versions by image, so reading them is
 * every template and version of the account: once per account and region for the whole batch (the
 * accounts at once, each spending its own request tokens), not once per image. Instances, which EC2 does
 * filter by image, are still asked per image right before it is acted on.
 */
const sharedTemplateUses = async (
  actions: readonly Action[],
  deps: DecommissionDeps,
  sharedWith: SharedWith,
): Promise<TemplateUses> => {
  const asks = new Map<
    string,
    { account: UsageAccount & { roleArn: string }; region: string; ids: string[] }
  >();
  for (const action of actions) {
    if (action.decision === 'deprecate') continue;
    // What cannot be read here is read again by the action's own check, which fails that action alone.
    const sharing = await sharedWith(action.family).catch(() => undefined);
    const image =
      sharing && (await deps.catalog.getImage(action.family, action.version).catch(() => undefined));
    if (sharing === undefined || image === undefined) continue;
    for (const account of sharing.accounts) {
      if (account.roleArn === undefined) continue;
      for (const [region, amiId] of Object.entries(image.amiIds)) {
        if (!account.regions.includes(region)) continue;
        const key = `${account.id}|${region}`;
        const ask = asks.get(key) ?? { account: { ...account, roleArn: account.roleArn }, region, ids: [] };
        ask.ids.push(amiId);
        asks.set(key, ask);
      }
    }
  }
  const uses = new Map<string, ImageUse[]>();
  const found = await Promise.all(
    [...asks.values()].map(({ account, region, ids }) =>
      deps.sharedUsage(account, region).findLaunchTemplateVersions(ids),
    ),
  );
  for (const use of found.flat()) uses.set(use.imageId, [...(uses.get(use.imageId) ?? []), use]);
  return uses;
};

const applyOne = async (
  action: Action,
  plan: RetentionPlan,
  deps: DecommissionDeps,
  view: BatchView,
): Promise<ActionResult> => {
  const target = DECISION_TARGET[action.decision];
  const image = await deps.catalog.getImage(action.family, action.version);
  if (image === undefined)
    return { ...ref(action), outcome: 'skipped', reason: 'the image is no longer in the catalog' };
  if (image.state === target) {
    await announced(action, image, plan, [], deps);
    return { ...ref(action), outcome: 'done' };
  }
  if (image.state !== action.state) {
    return {
      ...ref(action),
      outcome: 'skipped',
      reason: `it is ${image.state} now, not ${action.state} as planned`,
    };
  }
  const refusal = await stillSafe(action, image, deps, view);
  if (refusal !== undefined) return { ...ref(action), outcome: 'skipped', reason: refusal };

  const deleted: string[] = [];
  const freedGiB: Record<string, number> = {};
  for (const [region, amiId] of Object.entries(image.amiIds)) {
    const ec2 = deps.images(region);
    const now = deps.clock.now();
    if (action.decision !== 'retire' && (await ec2.describeImage(amiId)) === undefined) {
      // Gone already (by hand, or a crashed retirement): nothing of it is left to deprecate or disable.
      continue;
    }
    if (action.decision === 'deprecate') await ec2.deprecateImage(amiId, now);
    else if (action.decision === 'disable') await ec2.disableImage(amiId);
    else {
      const retired = await retireAmi(region, amiId, image, deps);
      deleted.push(...retired.snapshotIds);
      freedGiB[region] = retired.gib;
    }
  }
  const updated = await deps.catalog.transitionImage({
    family: image.family,
    version: image.version,
    from: image.state,
    to: target,
    expectedStateVersion: image.stateVersion,
    at: deps.clock.now().toISOString(),
    audit: {
      actor: deps.actor ?? DEFAULT_ACTOR,
      reason: `sweep ${plan.sweepId}: ${action.reasons.map((r) => r.message).join('; ')}`.slice(0, 2000),
      correlationId: plan.sweepId,
    },
  });
  await announced(action, updated, plan, deleted, deps);
  return {
    ...ref(action),
    outcome: 'done',
    ...(action.decision === 'retire' ? { deletedSnapshotIds: deleted, freedGiB } : {}),
  };
};

/** The never-rules, read again now. Answers why not, or undefined when the action may go ahead. */
const stillSafe = async (
  action: Action,
  image: Image,
  deps: DecommissionDeps,
  { sharedWith, templates, buildingOn }: BatchView,
): Promise<string | undefined> => {
  const now = deps.clock.now().getTime();
  const held =
    activeHold(
      await deps.catalog.listHoldsForTarget({ kind: 'image', family: image.family, version: image.version }),
      now,
    ) ?? activeHold(await deps.catalog.listHoldsForTarget({ kind: 'family', family: image.family }), now);
  if (held !== undefined) return `held since the plan was made (${held.id}: ${held.reason})`;
  const channel = (await deps.catalog.listChannels(image.family)).find((c) => c.version === image.version);
  if (channel !== undefined) return `channel ${channel.name} points to it now`;
  if (action.decision === 'deprecate') return undefined;
  const child = buildingOn.get(imageKey(image));
  if (child !== undefined) return `${child} is being built on it now`;
  // Disabling or deregistering stops launches: look at its references once more, in every region.
  // In the owner account, and in every account it is shared with (its references cannot be seen from here).
  // The owner account and each account spend their own request tokens: asked at once.
  const sharing = await sharedWith(image.family);
  // A rejected or failed image was never shared: the owner account's view is the whole story.
  if (sharing.why !== undefined && image.state !== 'rejected' && image.state !== 'failed')
    return `its usage can no longer all be seen: ${sharing.why}`;
  const accounts = sharing.accounts;
  for (const [region, amiId] of Object.entries(image.amiIds)) {
    const found = await Promise.all([
      deps.inventory(region).findImageReferences([amiId]),
      ...accounts.flatMap((account) =>
        account.roleArn === undefined || !account.regions.includes(region)
          ? []
          : [deps.sharedUsage({ ...account, roleArn: account.roleArn }, region).findInstances([amiId])],
      ),
    ]);
    const uses = [...found.flat(), ...(templates.get(amiId) ?? [])];
    if (uses.length > 0) return `${amiId} is in use now by ${uses.map((u) => u.resource).join(', ')}`;
  }
  return undefined;
};

/**
 * Deregisters one region's AMI with its snapshots, then deletes whatever snapshot of it is left (a
 * crashed earlier attempt may have deregistered it before its snapshots went). The image's snapshots are
 * found by our tags before anything is deleted, which also gives their sizes. Answers the snapshots
 * deleted and their GiB.
 */
const retireAmi = async (
  region: string,
  amiId: string,
  image: Image,
  deps: DecommissionDeps,
): Promise<{ snapshotIds: string[]; gib: number }> => {
  const ec2 = deps.images(region);
  const inventory = deps.inventory(region);
  const of = { family: image.family, version: image.version };
  const before = await inventory.listManagedSnapshots(of);
  if ((await ec2.describeImage(amiId)) !== undefined)
    await ec2.deregisterImage(amiId, { deleteSnapshots: true });
  const left = await inventory.listManagedSnapshots(of);
  const kept = new Set<string>();
  for (const s of left) {
    try {
      await inventory.deleteManagedSnapshot(s.snapshotId);
    } catch (err) {
      // Another registered image is built on it too (EC2 refuses): it is that image's as well, so it stays,
      // and a rerun does not fail on it forever.
      if (awsErrorCode(err) !== 'InvalidSnapshot.InUse') throw err;
      kept.add(s.snapshotId);
    }
  }
  // What was deleted, and so freed: not what stays because another image uses it.
  const deleted = before.filter((s) => !kept.has(s.snapshotId));
  return {
    snapshotIds: deleted.map((s) => s.snapshotId),
    gib: deleted.reduce((sum, s) => sum + s.sizeGiB, 0),
  };
};

/** The stage's event, under a key of the image and stage: a rerun's copy is the same event. */
const announce = async (
  action: Action,
  image: Image,
  plan: RetentionPlan,
  deletedSnapshotIds: string[],
  deps: DecommissionDeps,
): Promise<void> => {
  const home = image.amiIds[deps.region] ?? Object.values(image.amiIds)[0];
  if (home === undefined) return;
  const base = {
    schemaVersion: 1 as const,
    family: image.family,
    version: image.version,
    correlationId: plan.sweepId,
    idempotencyKey: `${EVENT[action.decision].toLowerCase().replace(' ', '-')}:${imageKey(image)}`,
    occurredAt: deps.clock.now().toISOString(),
    imageId: home,
    sweepId: plan.sweepId,
    reasons: action.reasons.map((r) => r.message),
  };
  if (action.decision === 'retire') {
    await deps.events.publish('Image Retired', { ...base, deletedSnapshotIds });
  } else {
    await deps.events.publish(EVENT[action.decision], base);
  }
};
