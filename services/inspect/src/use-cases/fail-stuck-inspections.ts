import { TransitionConflictError } from '@ami-lifecycle/catalog';
import { summarizeFindings } from '@ami-lifecycle/core';
import { DEFAULT_ACTOR, type InspectDeps } from './deps';
import { allPages, correlationOf } from './images';
import { type InspectionLimits, inspectionLimits } from './reap-test-instances';

export interface StuckInspectionsResult {
  failed: { image: string; reason: string }[];
}

// One run reads at most this many pages; more is a backlog for the next run, not a reason to loop.
const MAX_PAGES = 20;

/**
 * Candidates left `inspecting` without a verdict for longer than any inspection of their family can run:
 * the execution that owned them ended without its Catch path (stopped by hand, timed out as a whole,
 * a definition error), so nothing else will ever move them. Each becomes `failed` with the reason and
 * emits `Image Inspection Completed` with verdict `fail`, as an inspection that could not complete does.
 * An image with a verdict (one waiting for a person's approval) is never touched; the transition is
 * conditional, so an inspection finishing at the same moment wins.
 */
export const failStuckInspections = async (
  deps: Pick<InspectDeps, 'catalog' | 'events' | 'clock' | 'actor' | 'region'>,
  limitOf: InspectionLimits = inspectionLimits(deps),
): Promise<StuckInspectionsResult> => {
  const now = deps.clock.now().getTime();
  const failed: StuckInspectionsResult['failed'] = [];
  const inspecting = await allPages('images in state inspecting', MAX_PAGES, (page) =>
    deps.catalog.listImagesByState('inspecting', page),
  );
  for (const image of inspecting) {
    if (image.verdict !== undefined) continue;
    const limit = await limitOf(image.family);
    const age = now - Date.parse(image.stateChangedAt);
    if (!(age > limit)) continue;
    const reason = `inspection could not complete: no verdict ${Math.floor(age / 60_000)} minutes after it started (the longest an inspection of ${image.family} runs is ${Math.ceil(limit / 60_000)})`;
    const correlationId = await correlationOf(deps.catalog, image);
    const at = deps.clock.now().toISOString();
    try {
      await deps.catalog.transitionImage({
        family: image.family,
        version: image.version,
        from: 'inspecting',
        to: 'failed',
        expectedStateVersion: image.stateVersion,
        at,
        audit: { actor: deps.actor ?? DEFAULT_ACTOR, reason, correlationId },
        patch: { reason },
      });
    } catch (err) {
      if (err instanceof TransitionConflictError) continue;
      throw err;
    }
    const amiId = image.amiIds[deps.region];
    if (amiId !== undefined) {
      await deps.events.publish('Image Inspection Completed', {
        schemaVersion: 1,
        family: image.family,
        version: image.version,
        correlationId,
        occurredAt: at,
        imageId: amiId,
        idempotencyKey: `image-inspection-completed:stuck:${image.family}@${image.version}`,
        purpose: 'candidate',
        verdict: 'fail',
        findings: image.findings ?? summarizeFindings([]),
        reasons: [reason],
      });
    }
    failed.push({ image: `${image.family}@${image.version}`, reason });
  }
  return { failed };
};
