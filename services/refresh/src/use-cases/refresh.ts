import { createHash } from 'node:crypto';
import type { ImagePublishedDetail, ImageVulnerableDetail } from '@ami-lifecycle/contracts';
import { FamilyNotConfiguredError, type Image, imageKey, loadFamilyConfig } from '@ami-lifecycle/core';
import { TriggerMismatchError } from '../errors';
import {
  type FamilyView,
  type PlanContext,
  parentPublishedKey,
  planDaily,
  planParentPublished,
  planVulnerable,
} from '../plan';
import { type AppliedDecision, applyDecisions } from './apply';
import { DEFAULT_ACTOR, type RefreshDeps } from './deps';
import { lineageFamilies, loadFamilies, loadView, type UnreadableFamily } from './world';

export interface RefreshResult {
  decisions: AppliedDecision[];
  /** Families left out because their stored config no longer parses. */
  unreadable: UnreadableFamily[];
}

/** The idempotency key of the publish service's own `Image Published` of an image. */
const publicationKey = (image: { family: string; version: string }) => `image-published:${imageKey(image)}`;
/** So that `refresh:<family>:<trigger key>` fits an idempotency key (256) for any family name (63). */
const MAX_TRIGGER_KEY = 256 - 'refresh:'.length - 63 - ':'.length;

/**
 * The trigger key of an `Image Published`: the parent image, so every delivery, re-emission and daily
 * catch-up of its publication is one trigger (one child build per parent version). A channel moved back
 * to an image (a rollback) is a trigger of its own, since the children may have moved on since.
 */
export const publishedTriggerKey = (detail: ImagePublishedDetail): string => {
  const key = parentPublishedKey(detail);
  if (detail.idempotencyKey === publicationKey(detail)) return key;
  const suffix = detail.idempotencyKey.replace(/[^A-Za-z0-9@._:/+-]/g, '-');
  const full = `${key}/${suffix}`;
  return full.length <= MAX_TRIGGER_KEY
    ? full
    : `${key}/${createHash('sha256').update(detail.idempotencyKey).digest('hex').slice(0, 32)}`;
};

const context = (deps: RefreshDeps, correlationId: string, now = deps.clock.now()): PlanContext => ({
  region: deps.region,
  now,
  maxBuildsPerTrigger: deps.maxBuildsPerTrigger,
  correlationId,
  decidedBy: deps.actor ?? DEFAULT_ACTOR,
});

/** The catalog image an event names, as the event names it; anything else is refused before deciding. */
const triggerImage = async (
  deps: Pick<RefreshDeps, 'catalog' | 'region'>,
  detailType: string,
  detail: { family: string; version: string; imageId: string },
): Promise<Image> => {
  const image = await deps.catalog.getImage(detail.family, detail.version);
  const ref = imageKey(detail);
  if (image === undefined) throw new TriggerMismatchError(detailType, ref, 'the catalog has no such image');
  const home = image.amiIds[deps.region];
  if (home !== detail.imageId) {
    throw new TriggerMismatchError(
      detailType,
      ref,
      `its AMI in ${deps.region} is ${home ?? 'not recorded'}, not ${detail.imageId}`,
    );
  }
  return image;
};

const byName = (views: readonly FamilyView[]) => new Map(views.map((v) => [v.name, v]));

/**
 * `Image Published`: the application families that build on the published image's family and one of the
 * channels it was published on are rebuilt on exactly that image (bounded by the fan-out cap), unless
 * their policy, the loop guard or the build key says no. Every family considered gets a decision.
 */
export const onImagePublished = async (
  detail: ImagePublishedDetail,
  deps: RefreshDeps,
): Promise<RefreshResult> => {
  const image = await triggerImage(deps, 'Image Published', detail);
  const { views, unreadable } = await loadFamilies(
    deps.catalog,
    (c) =>
      c.kind === 'application' &&
      c.parent.family === image.family &&
      detail.channels.includes(c.parent.channel),
  );
  const lineage = await lineageFamilies(deps.catalog, image);
  const decisions = planParentPublished(
    { image, channels: detail.channels, triggerKey: publishedTriggerKey(detail) },
    views,
    lineage,
    context(deps, detail.correlationId),
  );
  return { decisions: await applyDecisions(decisions, byName(views), deps), unreadable };
};

/** `Image Vulnerable`: the image's own family is rebuilt once for it, if it is still current. */
export const onImageVulnerable = async (
  detail: ImageVulnerableDetail,
  deps: RefreshDeps,
): Promise<RefreshResult> => {
  const image = await triggerImage(deps, 'Image Vulnerable', detail);
  const { config, version } = await loadFamilyConfig(deps.catalog, image.family).catch((err: unknown) => {
    throw err instanceof FamilyNotConfiguredError
      ? new TriggerMismatchError('Image Vulnerable', imageKey(image), err.message)
      : err;
  });
  const view = await loadView(deps.catalog, config, version);
  const decision = planVulnerable(image, view, context(deps, detail.correlationId));
  return { decisions: await applyDecisions([decision], byName([view]), deps), unreadable: [] };
};

/** What the daily run would decide now, without writing or emitting anything (`amictl refresh plan`). */
export const planRefresh = async (
  deps: Pick<RefreshDeps, 'catalog' | 'region' | 'maxBuildsPerTrigger' | 'actor'> & { now: Date },
): Promise<{
  views: FamilyView[];
  decisions: ReturnType<typeof planDaily>;
  unreadable: UnreadableFamily[];
}> => {
  const { views, unreadable } = await loadFamilies(deps.catalog);
  const decisions = planDaily(views, {
    region: deps.region,
    now: deps.now,
    maxBuildsPerTrigger: deps.maxBuildsPerTrigger,
    correlationId: dailyCorrelationId(deps.now),
    decidedBy: deps.actor ?? DEFAULT_ACTOR,
  });
  return { views, decisions, unreadable };
};

const dailyCorrelationId = (now: Date) => `refresh-daily-${now.toISOString().slice(0, 10)}`;

/**
 * The daily schedule (`now` is the schedule event's time): catches up vulnerable images and parent
 * publications no event brought, and rebuilds bases older than their family's limit.
 */
export const refreshDaily = async (input: { now: Date }, deps: RefreshDeps): Promise<RefreshResult> => {
  const { views, unreadable } = await loadFamilies(deps.catalog);
  const decisions = planDaily(views, context(deps, dailyCorrelationId(input.now), input.now));
  return { decisions: await applyDecisions(decisions, byName(views), deps), unreadable };
};
