import { TransitionConflictError } from '@ami-lifecycle/catalog';
import type { BuildRequestedDetail, ImageBuildFailedDetail } from '@ami-lifecycle/contracts';
import type { CatalogPort, Image } from '@ami-lifecycle/core';
import { buildIdFor } from '@ami-lifecycle/core';
import { terminateBuilders } from './builders';
import { listAll } from './catalog-pages';
import { type BuildDeps, DEFAULT_ACTOR } from './deps';
import { publishBuildFailed } from './on-image-state-change';

export type BuildStage = ImageBuildFailedDetail['stage'];

export interface FailBuildInput {
  request: BuildRequestedDetail;
  stage: BuildStage;
  /** What the machine caught: the error name and its cause (a Lambda error's JSON, or plain text). */
  error: { Error: string; Cause?: string | undefined };
  /** The image, when the build got as far as registering it. */
  image?: { family: string; version: string } | undefined;
}

export type FailBuildResult =
  | { outcome: 'failed' | 'duplicate'; image: Image; reason: string; terminatedInstanceIds: string[] }
  /** The build failed before its image was registered (no source, no config): only builders to clean up. */
  | { outcome: 'no-image'; reason: string; terminatedInstanceIds: string[] }
  | { outcome: 'ignored'; image: Image; reason: string; terminatedInstanceIds: string[] };

export type FailBuildDeps = Pick<BuildDeps, 'catalog' | 'compute' | 'events' | 'clock' | 'region' | 'actor'>;

const MAX_IMAGE_PAGES = 100;

/**
 * The machine's Catch branch: marks the build's image `failed` with the reason, terminates every builder
 * of the build, and emits `Image Build Failed` with the stage. Safe to run again: an image already failed
 * is `duplicate` (builders still cleaned up, nothing emitted twice), and an image that is no longer
 * building for another reason (built meanwhile) is left alone.
 */
export const failBuild = async (input: FailBuildInput, deps: FailBuildDeps): Promise<FailBuildResult> => {
  const { request, stage } = input;
  const buildId = buildIdFor(request.family, request.idempotencyKey);
  const reason = `${stage}: ${describeError(input.error)}`;
  // The image the progress names is only trusted when it is this build's: `$.build` is read leniently,
  // and failing (or terminating for) another build's image would break a build that is not ours.
  const named =
    input.image !== undefined
      ? await deps.catalog.getImage(input.image.family, input.image.version)
      : undefined;
  const image =
    named?.buildId === buildId ? named : await findByBuildId(deps.catalog, request.family, buildId);

  if (image === undefined) {
    return { outcome: 'no-image', reason, terminatedInstanceIds: await terminateBuilders(buildId, deps) };
  }
  if (image.state === 'failed') {
    // Failed by this very failure (a retry of this step after the publish failed): its event again,
    // under the same key. Failed by something else (the AMI's own state change): that one's event stands.
    if (image.reason === reason) await publishFailed(image, input, image.stateChangedAt, deps);
    return {
      outcome: 'duplicate',
      image,
      reason,
      terminatedInstanceIds: await terminateBuilders(buildId, deps),
    };
  }
  if (image.state !== 'building') return { outcome: 'ignored', image, reason, terminatedInstanceIds: [] };

  const at = deps.clock.now().toISOString();
  let failed: Image;
  try {
    failed = await deps.catalog.transitionImage({
      family: image.family,
      version: image.version,
      from: 'building',
      to: 'failed',
      expectedStateVersion: image.stateVersion,
      at,
      audit: { actor: deps.actor ?? DEFAULT_ACTOR, reason, correlationId: request.correlationId },
      patch: { reason },
    });
  } catch (err) {
    // Something else moved the image first (the AMI state change, a concurrent retry): decide again.
    if (!(err instanceof TransitionConflictError)) throw err;
    return failBuild({ ...input, image: { family: image.family, version: image.version } }, deps);
  }

  await publishFailed(failed, input, at, deps);
  // After the event: a retry finds the image failed and only cleans up (`duplicate`), so a terminate
  // that failed before the publish would lose the event for good.
  const terminatedInstanceIds = await terminateBuilders(buildId, deps);
  return { outcome: 'failed', image: failed, reason, terminatedInstanceIds };
};

const publishFailed = (image: Image, input: FailBuildInput, occurredAt: string, deps: FailBuildDeps) =>
  publishBuildFailed(
    image,
    {
      correlationId: input.request.correlationId,
      occurredAt,
      buildId: buildIdFor(input.request.family, input.request.idempotencyKey),
      imageId: image.amiIds[deps.region],
      stage: input.stage,
      reason: image.reason ?? `${input.stage}: ${describeError(input.error)}`,
    },
    deps,
  );

/**
 * A readable reason from what Step Functions caught. Lambda errors arrive as JSON
 * (`{"errorType","errorMessage"}`); anything else is quoted as it is.
 */
export const describeError = (error: FailBuildInput['error']): string => {
  const cause = error.Cause?.trim();
  if (!cause) return error.Error;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string' && parsed.errorMessage.trim() !== '')
      return `${error.Error}: ${parsed.errorMessage}`;
  } catch {
    // Not JSON: a plain-text cause.
  }
  return cause.startsWith(error.Error) ? cause : `${error.Error}: ${cause}`;
};

const findByBuildId = async (
  catalog: CatalogPort,
  family: string,
  buildId: string,
): Promise<Image | undefined> => {
  const own = (i: Image) => i.buildId === buildId;
  const images = await listAll(
    `images of family ${family}`,
    (page) => catalog.listImagesByFamily(family, page),
    MAX_IMAGE_PAGES,
    own,
  );
  return images.find(own);
};
