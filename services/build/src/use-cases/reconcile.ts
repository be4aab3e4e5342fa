import { TransitionConflictError } from '@ami-lifecycle/catalog';
import {
  type CatalogPort,
  type Image,
  type InstanceDescription,
  isManaged,
  type LifecycleState,
  TAG_PREFIX,
} from '@ami-lifecycle/core';
import { BUILD_ID_TAG } from './builders';
import { listAll } from './catalog-pages';
import { type BuildDeps, DEFAULT_ACTOR } from './deps';
import {
  correlationOf,
  onImageStateChange,
  publishBuildFailed,
  publishImageBuilt,
} from './on-image-state-change';

export interface ReconcileOptions {
  /** A build with no available or failed AMI this long after it started is abandoned. */
  buildTimeoutMs: number;
  /** A builder whose build is over, or unknown, is terminated once it has run this long. */
  orphanGraceMs: number;
  /** An image `built` this long without inspection starting gets its `Image Built` published again. */
  republishAfterMs: number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = {
  buildTimeoutMs: 6 * 3_600_000,
  orphanGraceMs: 30 * 60_000,
  republishAfterMs: 30 * 60_000,
};

export interface ReconcileResult {
  /** Builds whose AMI had become available or failed without the state-change event reaching us. */
  repaired: { image: string; outcome: 'built' | 'failed' }[];
  /** Builds that made no progress within the build timeout, now `failed`. */
  abandoned: { image: string; reason: string }[];
  /** Builders left running by builds that are over (crashed, failed, superseded). */
  terminated: string[];
  /** Images whose `Image Built` was published again because nothing picked it up. */
  republished: string[];
}

export type ReconcileDeps = Pick<
  BuildDeps,
  'catalog' | 'compute' | 'images' | 'events' | 'clock' | 'region' | 'actor'
>;

// One run looks at this many pages per state; more is a backlog for the next run, not a reason to loop.
const MAX_PAGES = 20;

/**
 * The build service's scheduled repair (design 4: AWS service events are best effort). It compares the
 * catalog with EC2 and fixes what a lost or failed delivery left behind:
 * - a `building` image whose AMI is already available or failed is finished as the event would have;
 * - a `building` image with no AMI progress within the build timeout is failed, its builders terminated;
 * - a builder instance whose build is no longer `building` (or never was ours) is terminated;
 * - a `built` image still waiting for inspection gets its `Image Built` again, under the same
 *   idempotency key, so a consumer that already saw it drops the copy.
 *
 * Each repair goes through the same conditional transition as the normal path, so a reconciler racing
 * a late event leaves one outcome, never two.
 */
export const reconcileBuilds = async (
  deps: ReconcileDeps,
  options: ReconcileOptions = DEFAULT_RECONCILE_OPTIONS,
): Promise<ReconcileResult> => {
  const result: ReconcileResult = { repaired: [], abandoned: [], terminated: [], republished: [] };
  const now = deps.clock.now().getTime();

  for (const image of await listByState(deps.catalog, 'building')) {
    await reconcileBuilding(image, now, deps, options, result);
  }
  await terminateOrphans(now, deps, options, result);
  for (const image of await listByState(deps.catalog, 'built')) {
    if (now - Date.parse(image.stateChangedAt) < options.republishAfterMs) continue;
    if (await republishBuilt(image, deps)) result.republished.push(key(image));
  }
  return result;
};

const key = (image: Image): string => `${image.family}@${image.version}`;

const reconcileBuilding = async (
  image: Image,
  now: number,
  deps: ReconcileDeps,
  options: ReconcileOptions,
  result: ReconcileResult,
): Promise<void> => {
  const amiId = image.amiIds[deps.region];
  if (amiId !== undefined) {
    const ami = await deps.images.describeImage(amiId);
    if (ami?.state === 'available' || ami?.state === 'failed') {
      const change = await onImageStateChange(
        {
          amiId,
          state: ami.state,
          ...(ami.state === 'failed'
            ? { errorMessage: 'EC2 reports the AMI failed; its state-change event never arrived' }
            : {}),
        },
        deps,
      );
      if (change.outcome === 'built' || change.outcome === 'failed') {
        result.repaired.push({ image: key(image), outcome: change.outcome });
      }
      return;
    }
    // Deregistered (by hand): this build cannot finish. A missing AMI may only be DescribeImages'
    // eventual consistency right after CreateImage, so that one waits for the timeout.
    if (ami?.state === 'deregistered') {
      await abandon(image, amiId, `AMI ${amiId} was deregistered`, deps, result);
      return;
    }
    if (ami === undefined && now - Date.parse(image.stateChangedAt) >= options.buildTimeoutMs) {
      await abandon(image, amiId, `AMI ${amiId} no longer exists`, deps, result);
      return;
    }
  }
  // Pending: EC2 may still be copying snapshots, which takes long for big volumes; the timeout decides.
  if (now - Date.parse(image.stateChangedAt) < options.buildTimeoutMs) return;
  const hours = Math.round((options.buildTimeoutMs / 3_600_000) * 10) / 10;
  const reason =
    amiId === undefined
      ? `the build made no progress for ${hours} h: no AMI was created`
      : `AMI ${amiId} was not available after ${hours} h`;
  await abandon(image, amiId, reason, deps, result);
};

const abandon = async (
  image: Image,
  amiId: string | undefined,
  reason: string,
  deps: ReconcileDeps,
  result: ReconcileResult,
): Promise<void> => {
  const builders =
    image.buildId === undefined
      ? []
      : (await deps.compute.findInstancesByTag(BUILD_ID_TAG, image.buildId)).filter((i) =>
          isBuilderOf(i, image),
        );
  const at = deps.clock.now().toISOString();
  const correlationId = await correlationOf(image, deps);
  let failed: Image;
  try {
    failed = await deps.catalog.transitionImage({
      family: image.family,
      version: image.version,
      from: 'building',
      to: 'failed',
      expectedStateVersion: image.stateVersion,
      at,
      audit: { actor: deps.actor ?? DEFAULT_ACTOR, reason: `reconciler: ${reason}`, correlationId },
      patch: { reason },
    });
  } catch (err) {
    // The build moved on while we looked (a late event or the state machine): nothing to repair.
    if (err instanceof TransitionConflictError) return;
    throw err;
  }
  for (const b of builders) {
    await deps.compute.terminateInstance(b.instanceId);
    result.terminated.push(b.instanceId);
  }
  if (failed.buildId !== undefined) {
    await publishBuildFailed(
      failed,
      {
        correlationId,
        occurredAt: at,
        buildId: failed.buildId,
        imageId: amiId,
        // Where the build stood: an AMI was asked for, or a builder existed, or not even that.
        stage:
          amiId !== undefined ? 'await-image' : builders.length > 0 ? 'run-components' : 'launch-builder',
        reason,
      },
      deps,
    );
  }
  result.abandoned.push({ image: key(failed), reason });
};

const terminateOrphans = async (
  now: number,
  deps: ReconcileDeps,
  options: ReconcileOptions,
  result: ReconcileResult,
): Promise<void> => {
  const managed = await deps.compute.findInstancesByTag(`${TAG_PREFIX}managed`, 'true');
  for (const instance of managed) {
    const buildId = instance.tags[BUILD_ID_TAG];
    if (buildId === undefined || result.terminated.includes(instance.instanceId)) continue;
    if (now - Date.parse(instance.launchedAt) < options.orphanGraceMs) continue;
    const family = instance.tags[`${TAG_PREFIX}family`];
    const version = instance.tags[`${TAG_PREFIX}version`];
    if (family === undefined || version === undefined) continue;
    const image = await deps.catalog.getImage(family, version);
    // An instance we cannot tie to a catalog image is left alone; terminating the unknown is how
    // cleaners cause outages.
    if (image === undefined || !isBuilderOf(instance, image) || image.state === 'building') continue;
    await deps.compute.terminateInstance(instance.instanceId);
    result.terminated.push(instance.instanceId);
  }
};

/**
 * Whether the instance is, beyond doubt, the builder of this image's build: our managed tag, the image's
 * family, version and build id, and launched from its source AMI (a test instance runs the built AMI and
 * belongs to the inspect service). Only such an instance is ever terminated here.
 */
const isBuilderOf = (instance: InstanceDescription, image: Image): boolean =>
  isManaged(instance.tags) &&
  image.buildId !== undefined &&
  instance.tags[BUILD_ID_TAG] === image.buildId &&
  instance.tags[`${TAG_PREFIX}family`] === image.family &&
  instance.tags[`${TAG_PREFIX}version`] === image.version &&
  image.sourceAmiId !== undefined &&
  instance.imageId === image.sourceAmiId;

/** The same detail `onImageStateChange` published, under the same idempotency key. */
const republishBuilt = async (image: Image, deps: ReconcileDeps): Promise<boolean> => {
  const amiId = image.amiIds[deps.region];
  // Images we built carry all of these; an image without them was not built here and has no such event.
  if (amiId === undefined || !image.buildId || !image.sourceAmiId || !image.buildKey) return false;
  await publishImageBuilt(image, amiId, await correlationOf(image, deps), image.stateChangedAt, deps);
  return true;
};

const listByState = (catalog: CatalogPort, state: LifecycleState): Promise<Image[]> =>
  listAll(`images in state ${state}`, (page) => catalog.listImagesByState(state, page), MAX_PAGES);
