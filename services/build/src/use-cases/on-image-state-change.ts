import { InvalidKeyError, TransitionConflictError } from '@ami-lifecycle/catalog';
import type { ImageBuildFailedDetail } from '@ami-lifecycle/contracts';
import { type Image, isManaged, TAG_PREFIX } from '@ami-lifecycle/core';
import { BUILD_ID_TAG, terminateBuilders } from './builders';
import { type BuildDeps, DEFAULT_ACTOR } from './deps';

/** What the `EC2 AMI State Change` handler passes on: the AMI and the state it reached. */
export interface ImageStateChange {
  amiId: string;
  state: 'available' | 'failed';
  /** EC2's reason, when the image failed. */
  errorMessage?: string | undefined;
}

export type ImageStateChangeResult =
  | { outcome: 'built' | 'failed'; image: Image; terminatedInstanceIds: string[] }
  | { outcome: 'duplicate'; image: Image; terminatedInstanceIds: string[] }
  | { outcome: 'ignored'; reason: string };

export type ImageStateChangeDeps = Pick<
  BuildDeps,
  'catalog' | 'compute' | 'images' | 'events' | 'clock' | 'region' | 'actor'
>;

/**
 * Continues a build once EC2 reports its AMI `available` or `failed` (design 5: the state machine ends
 * when CreateImage is accepted): marks the image built (with its snapshots) or failed, terminates the
 * builder, and emits `Image Built` or `Image Build Failed`.
 *
 * An AMI we did not build is ignored. A repeated event finds the image no longer `building` and answers
 * `duplicate`; it still terminates a builder left running, which is harmless. While the image is still
 * where this AMI's outcome put it (`built`, or `failed` by this AMI), the duplicate publishes the event
 * again under the same idempotency key: the catalog is written before the event, so a retry after a
 * failed publish must be able to deliver it, and consumers drop the copies.
 */
export const onImageStateChange = async (
  change: ImageStateChange,
  deps: ImageStateChangeDeps,
): Promise<ImageStateChangeResult> => {
  const image = await findBuildImage(change.amiId, deps);
  if (image === undefined) return { outcome: 'ignored', reason: `${change.amiId} is not an image we build` };

  if (image.state !== 'building') {
    await republishOutcome(image, change, deps);
    return {
      outcome: 'duplicate',
      image,
      terminatedInstanceIds: await terminateBuilders(image.buildId, deps),
    };
  }

  const at = deps.clock.now().toISOString();
  const correlationId = await correlationOf(image, deps);
  const amiIds = { ...image.amiIds, [deps.region]: change.amiId };
  const reason =
    change.state === 'available'
      ? `AMI ${change.amiId} became available`
      : `AMI ${change.amiId} failed: ${change.errorMessage?.trim() || 'EC2 gave no reason'}`;
  const patch =
    change.state === 'available'
      ? { amiIds, snapshotIds: (await deps.images.describeImage(change.amiId))?.snapshotIds ?? [] }
      : { amiIds, reason };

  let next: Image;
  try {
    next = await deps.catalog.transitionImage({
      family: image.family,
      version: image.version,
      from: 'building',
      to: change.state === 'available' ? 'built' : 'failed',
      expectedStateVersion: image.stateVersion,
      at,
      audit: { actor: deps.actor ?? DEFAULT_ACTOR, reason, correlationId },
      patch,
    });
  } catch (err) {
    // A concurrent delivery of the same event moved it first; it also emits the event.
    if (!(err instanceof TransitionConflictError)) throw err;
    const current = (await deps.catalog.getImage(image.family, image.version)) ?? image;
    return {
      outcome: 'duplicate',
      image: current,
      terminatedInstanceIds: await terminateBuilders(current.buildId, deps),
    };
  }

  if (change.state === 'available') await publishImageBuilt(next, change.amiId, correlationId, at, deps);
  else
    await publishBuildFailed(
      next,
      {
        correlationId,
        occurredAt: at,
        buildId: next.buildId!,
        imageId: change.amiId,
        stage: 'await-image',
        reason,
      },
      deps,
    );
  // After the event: a redelivery finds the image no longer building and only cleans up, so a failed
  // terminate before the publish would lose the event for good; a failed one now is retried as cleanup.
  const terminatedInstanceIds = await terminateBuilders(next.buildId, deps);
  return { outcome: change.state === 'available' ? 'built' : 'failed', image: next, terminatedInstanceIds };
};

/**
 * `Image Built` of an image: the AMI, its snapshots, lineage and build key, keyed per image so a consumer
 * drops a copy (a redelivery, the reconciler's re-publish).
 */
export const publishImageBuilt = (
  image: Image,
  amiId: string,
  correlationId: string,
  occurredAt: string,
  deps: Pick<BuildDeps, 'events' | 'region'>,
): Promise<{ eventId: string }> =>
  deps.events.publish('Image Built', {
    schemaVersion: 1,
    family: image.family,
    version: image.version,
    correlationId,
    occurredAt,
    buildId: image.buildId!,
    imageId: amiId,
    idempotencyKey: `image-built:${image.family}@${image.version}`,
    region: deps.region,
    snapshotIds: image.snapshotIds,
    ...(image.parent?.amiId
      ? {
          parent: { family: image.parent.family, version: image.parent.version, imageId: image.parent.amiId },
        }
      : {}),
    sourceAmiId: image.sourceAmiId!,
    buildKey: image.buildKey!,
  });

/**
 * `Image Build Failed` of an image, whoever reports it (the machine's Catch, the AMI's state change, the
 * reconciler): keyed per image, so one failure is one event downstream however many report it.
 */
export const publishBuildFailed = (
  image: Pick<Image, 'family' | 'version'>,
  failure: Pick<
    ImageBuildFailedDetail,
    'correlationId' | 'occurredAt' | 'buildId' | 'imageId' | 'stage' | 'reason'
  >,
  deps: Pick<BuildDeps, 'events'>,
): Promise<{ eventId: string }> => {
  const { imageId, ...rest } = failure;
  return deps.events.publish('Image Build Failed', {
    schemaVersion: 1,
    family: image.family,
    version: image.version,
    idempotencyKey: `image-build-failed:${image.family}@${image.version}`,
    ...rest,
    ...(imageId !== undefined ? { imageId } : {}),
  });
};

/** The event of an outcome already recorded by this AMI's state change, published again (same key). */
const republishOutcome = async (image: Image, change: ImageStateChange, deps: ImageStateChangeDeps) => {
  if (image.amiIds[deps.region] !== change.amiId || image.buildId === undefined) return;
  const sameOutcome =
    (change.state === 'available' && image.state === 'built') ||
    (change.state === 'failed' &&
      image.state === 'failed' &&
      image.reason?.startsWith(`AMI ${change.amiId} failed`));
  if (!sameOutcome) return;
  const correlationId = await correlationOf(image, deps);
  if (image.state === 'built')
    await publishImageBuilt(image, change.amiId, correlationId, image.stateChangedAt, deps);
  else
    await publishBuildFailed(
      image,
      {
        correlationId,
        occurredAt: image.stateChangedAt,
        buildId: image.buildId,
        imageId: change.amiId,
        stage: 'await-image',
        reason: image.reason!,
      },
      deps,
    );
};

/**
 * The catalog image this AMI belongs to. The AMI id is normally recorded when CreateImage is accepted;
 * if the state change overtakes that write, the AMI's own tags (managed, family, version, build id)
 * lead to the image instead, and only when they all agree with the catalog.
 */
const findBuildImage = async (amiId: string, deps: ImageStateChangeDeps): Promise<Image | undefined> => {
  const recorded = (await deps.catalog.findImagesByAmiId(amiId)).find(
    (i) => i.managed && i.amiIds[deps.region] === amiId,
  );
  if (recorded !== undefined) return recorded;
  const description = await deps.images.describeImage(amiId);
  if (description === undefined || !isManaged(description.tags)) return undefined;
  const family = description.tags[`${TAG_PREFIX}family`];
  const version = description.tags[`${TAG_PREFIX}version`];
  const buildId = description.tags[BUILD_ID_TAG];
  if (family === undefined || version === undefined || buildId === undefined) return undefined;
  // Tags that cannot form a catalog key name no image of ours; any other error (throttling, an outage)
  // must reach the retry, since an ignored state change is acknowledged and lost.
  const image = await deps.catalog.getImage(family, version).catch((err: unknown) => {
    if (err instanceof InvalidKeyError) return undefined;
    throw err;
  });
  // A recorded AMI id that differs means this AMI is a stray (a retried CreateImage), not this image's.
  const regionAmi = image?.amiIds[deps.region];
  return image?.managed && image.buildId === buildId && (regionAmi === undefined || regionAmi === amiId)
    ? image
    : undefined;
};

/** The correlation id the build was requested under: the image's creation audit record carries it. */
export const correlationOf = async (image: Image, deps: Pick<BuildDeps, 'catalog'>): Promise<string> => {
  const first = (await deps.catalog.listAudit(image.family, image.version, { limit: 1 })).items[0];
  return first?.correlationId ?? image.buildId ?? `${image.family}@${image.version}`;
};
