import { type BuildRequestedDetail, buildRequested } from '@ami-lifecycle/contracts';
import { buildIdFor, type RefreshDecision } from '@ami-lifecycle/core';
import { RefreshApplyError, type RefreshFailure } from '../errors';
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
 *
 * A request is checked before its decision is written, so a request the bus would refuse is never on
 * record as requested. One decision that fails does not stop the others: all are carried out, then a
 * `RefreshApplyError` names the ones that failed.
 */
export const applyDecisions = async (
  decisions: readonly RefreshDecision[],
  views: ReadonlyMap<string, FamilyView>,
  deps: Pick<RefreshDeps, 'catalog' | 'events' | 'actor'>,
): Promise<AppliedDecision[]> => {
  const applied: AppliedDecision[] = [];
  const failures: RefreshFailure[] = [];
  for (const planned of decisions) {
    try {
      applied.push(await applyDecision(planned, views, deps));
    } catch (error) {
      failures.push({ family: planned.family, error });
    }
  }
  if (failures.length > 0) throw new RefreshApplyError(failures, applied.length);
  return applied;
};

const applyDecision = async (
  planned: RefreshDecision,
  views: ReadonlyMap<string, FamilyView>,
  deps: Pick<RefreshDeps, 'catalog' | 'events' | 'actor'>,
): Promise<AppliedDecision> => {
  const ask = buildRequestOf(planned, deps);
  const { decision, written } = await deps.catalog.recordRefreshDecision(planned);
  // The decision on record is another one when an earlier delivery stored it: its request is asked for.
  const detail = written ? ask : buildRequestOf(decision, deps);
  if (detail === undefined) return { decision, written, emitted: false };
  const buildId = buildIdFor(decision.family, detail.idempotencyKey);
  if (views.get(decision.family)?.images.some((i) => i.buildId === buildId)) {
    return { decision, written, emitted: false };
  }
  await deps.events.publish('Build Requested', detail);
  return { decision, written, emitted: true };
};

/** The `Build Requested` of a requested decision (none for a skip), refused here if malformed. */
const buildRequestOf = (
  decision: RefreshDecision,
  deps: Pick<RefreshDeps, 'actor'>,
): BuildRequestedDetail | undefined => {
  const request = decision.outcome === 'requested' ? decision.request : undefined;
  if (request === undefined) return undefined;
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
