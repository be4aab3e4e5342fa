import { TransitionConflictError } from '@ami-lifecycle/catalog';
import { type Image, summarizeFindings } from '@ami-lifecycle/core';
import { DEFAULT_ACTOR, type InspectDeps } from './deps';
import { requireImage } from './images';
import type { InspectionRequest } from './inspection';

/** What the state machine's Catch hands over: Step Functions' error name and cause. */
export interface InspectionFailure {
  error: string;
  cause?: string | undefined;
}

/**
 * The reason an operator reads: a Lambda error's cause is `{"errorType","errorMessage",...}` JSON, a
 * failure of the machine's own making (the scan timeout) is plain text.
 */
export const failureReason = (failure: InspectionFailure): string => {
  let message = failure.cause?.trim() ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: the cause is the message.
  }
  const text = message ? `${failure.error}: ${message}` : failure.error;
  return `inspection could not complete: ${text}`.slice(0, 2048);
};

/**
 * Records an inspection that could not complete. A candidate still `inspecting` becomes `failed` with
 * the reason. A candidate still `built` (the inspection failed before `built -> inspecting`, e.g. the
 * start step kept failing) goes `built -> inspecting -> failed`: left `built`, it would wait for good,
 * since the build reconciler's re-published `Image Built` carries the same idempotency key and so asks
 * for the same execution name, which Step Functions refuses as a duplicate. Only a request for the
 * image's own AMI does that: a stray request for another AMI must not fail the image. An image that
 * moved on is left alone, and so is a re-inspected image, whose state an inspection never changes:
 * those get an audit record.
 *
 * A candidate that ends `failed` emits `Image Inspection Completed` with verdict `fail` and the reason
 * (the only contract that says how an inspection ended; a `fail` is never approved), under the
 * inspection's own key, so a retried step's copy is dropped. Its findings are the image's last known
 * summary, zeros when it never had one: a failed inspection found nothing it could vouch for. Nothing is
 * emitted when a verdict was already recorded (its own event stands) or for a re-inspection, whose
 * `fail` would read as "the image fails its gate" to whoever refreshes vulnerable images.
 */
export const recordFailure = async (
  input: { request: InspectionRequest; failure: InspectionFailure },
  deps: Pick<InspectDeps, 'catalog' | 'clock' | 'actor' | 'region' | 'events'>,
): Promise<{ state: Image['state']; reason: string }> => {
  const { image, reason } = await recordFailedState(input, deps);
  const outcome = { state: image.state, reason };
  if (input.request.purpose !== 'candidate' || image.state !== 'failed') return outcome;
  await deps.events.publish('Image Inspection Completed', {
    schemaVersion: 1,
    family: input.request.family,
    version: input.request.version,
    correlationId: input.request.correlationId,
    occurredAt: deps.clock.now().toISOString(),
    imageId: input.request.imageId,
    idempotencyKey: `image-inspection-completed:${input.request.inspectionId}`,
    purpose: input.request.purpose,
    verdict: 'fail',
    findings: image.findings ?? summarizeFindings([]),
    reasons: [outcome.reason],
  });
  return outcome;
};

const recordFailedState = async (
  input: { request: InspectionRequest; failure: InspectionFailure },
  deps: Pick<InspectDeps, 'catalog' | 'clock' | 'actor' | 'region'>,
): Promise<{ image: Image; reason: string }> => {
  const { request } = input;
  const reason = failureReason(input.failure);
  let image = await requireImage(deps.catalog, request);
  const at = deps.clock.now().toISOString();
  const audit = { actor: deps.actor ?? DEFAULT_ACTOR, reason, correlationId: request.correlationId };
  if (
    request.purpose === 'candidate' &&
    image.state === 'built' &&
    image.amiIds[deps.region] === request.imageId
  ) {
    try {
      image = await deps.catalog.transitionImage({
        family: image.family,
        version: image.version,
        from: 'built',
        to: 'inspecting',
        expectedStateVersion: image.stateVersion,
        at,
        audit,
      });
    } catch (err) {
      if (!(err instanceof TransitionConflictError)) throw err;
      // Moved meanwhile (a retry of this step, or a start that did get through): judge what it is now.
      image = await requireImage(deps.catalog, request);
    }
  }
  if (request.purpose === 'candidate' && image.state === 'inspecting' && image.verdict === undefined) {
    try {
      const failed = await deps.catalog.transitionImage({
        family: image.family,
        version: image.version,
        from: 'inspecting',
        to: 'failed',
        expectedStateVersion: image.stateVersion,
        at,
        audit,
        patch: { reason },
      });
      return { image: failed, reason };
    } catch (err) {
      if (!(err instanceof TransitionConflictError) || err.actual.state !== 'failed') throw err;
      return { image: await requireImage(deps.catalog, request), reason };
    }
  }
  const updated = await deps.catalog.updateImage(
    image.family,
    image.version,
    image.stateVersion,
    {},
    {
      ...audit,
      at,
      action: request.purpose === 'candidate' ? 'inspection-failed' : 'reinspection-failed',
    },
  );
  return { image: updated, reason };
};
