import { type BuildRequestedDetail, buildRequested } from '@ami-lifecycle/contracts';
import { buildIdFor, type RefreshDecision } from '@ami-lifecycle/core';
import type { FamilyView } from '../plan';
import { DEFAULT_ACTOR, type RefreshDeps } from './deps';

/** One decision as carried out. */
export interface AppliedDecision {
  /** The decision on record: this one, or the one an earlier delivery of the same trigger stored. */
  decision: RefreshDecision;
  /** Whether this run wrote the decision. */
  written: boolean;
  /** Whether this run put a `Build Requested` on the bus. */
  emitted: boolean;
}

/**
 * Records each decision, then asks for each requested rebuild. The decision is written first, so a crash
 * between the two is repaired by the next delivery (or daily run): it finds the requested decision on
 * record and emits the same `Build Requested` again, under the same idempotency key, for as long as no
 * image of that build exists. The build service turns every copy into the one execution.
 */
export const applyDecisions = async (
  decisions: readonly RefreshDecision[],
  views: ReadonlyMap<string, FamilyView>,
  deps: Pick<RefreshDeps, 'catalog' | 'events' | 'actor'>,
): Promise<AppliedDecision[]> => {
  const applied: AppliedDecision[] = [];
  for (const planned of decisions) {
    const { decision, written } = await deps.catalog.recordRefreshDecision(planned);
    const request = decision.outcome === 'requested' ? decision.request : undefined;
    let emitted = false;
    if (request !== undefined) {
      const buildId = buildIdFor(decision.family, request.idempotencyKey);
      const started = views.get(decision.family)?.images.some((i) => i.buildId === buildId) ?? false;
      if (!started) {
        await deps.events.publish('Build Requested', buildRequestOf(decision, request, deps));
        emitted = true;
      }
    }
    applied.push({ decision, written, emitted });
  }
  return applied;
};

const buildRequestOf = (
  decision: RefreshDecision,
  request: NonNullable<RefreshDecision['request']>,
  deps: Pick<RefreshDeps, 'actor'>,
): BuildRequestedDetail => {
  const parent = request.parent;
  // Refused here, naming the field, rather than by the bus: a parent without its AMI is a planner bug.
  return buildRequested.schema.parse({
    schemaVersion: 1,
    family: decision.family,
    correlationId: decision.correlationId,
    idempotencyKey: request.idempotencyKey,
    // The decision's time, not now: every copy of the request is then the same bytes.
    occurredAt: decision.decidedAt,
    reason: decision.trigger,
    requestedBy: deps.actor ?? DEFAULT_ACTOR,
    force: request.force,
    ...(parent === undefined
      ? {}
      : { parent: { family: parent.family, version: parent.version, imageId: parent.amiId } }),
  });
};
