import { TransitionConflictError } from '@ami-lifecycle/catalog';
import type { FindingsSummary, Image, TestResult } from '@ami-lifecycle/core';
import { DEFAULT_ACTOR, type InspectDeps } from './deps';
import { loadFamilyConfig } from './family-config';
import { flagVulnerable } from './flag-vulnerable';
import { assessFindings } from './gate-findings';
import { requireImage } from './images';
import type { InspectionRequest } from './inspection';

export interface VerdictResult {
  verdict: 'pass' | 'fail';
  reasons: string[];
  findings: FindingsSummary;
  /** The image's state afterwards: `approved`, `rejected`, still `inspecting` (manual approval) or unchanged. */
  state: Image['state'];
  vulnerable: boolean;
}

export type RecordVerdictDeps = Pick<
  InspectDeps,
  'catalog' | 'findings' | 'events' | 'clock' | 'region' | 'actor'
>;

/**
 * Lists the test instance's findings, evaluates the family's gate at the clock's now (waivers whose
 * expiry has passed excuse nothing) together with the test results, records the verdict and findings
 * summary on the image, and emits `Image Inspection Completed`.
 *
 * Candidate: a failing gate rejects the image (`Image Rejected`, approver `auto`); a passing gate
 * approves it when the family's approval is `auto` (`Image Approved`), and otherwise leaves it
 * `inspecting` with the verdict recorded, for a person to approve. Re-inspection: the state is left
 * alone; a published image that now fails on its findings is flagged vulnerable (`Image Vulnerable`).
 *
 * Safe to retry: a candidate no longer `inspecting` is not transitioned again, and the events are
 * emitted again under the same idempotency keys.
 */
export const recordVerdict = async (
  input: { request: InspectionRequest; instanceId: string; tests: TestResult[] },
  deps: RecordVerdictDeps,
): Promise<VerdictResult> => {
  const { request } = input;
  const { config, version: policyVersion } = await loadFamilyConfig(deps.catalog, request.family);
  const findings = await deps.findings.listFindingsForInstance(input.instanceId);
  const outcome = assessFindings({
    findings,
    gate: config.inspect.gate,
    tests: input.tests,
    now: deps.clock.now(),
  });
  const { verdict: v, summary } = outcome;
  const at = deps.clock.now().toISOString();
  const audit = {
    actor: deps.actor ?? DEFAULT_ACTOR,
    reason: clip(`inspection ${request.inspectionId}: ${v.verdict}: ${v.reasons.join('; ')}`),
    correlationId: request.correlationId,
    policyVersion,
  };
  let image = await requireImage(deps.catalog, request);

  if (request.purpose === 'reinspection') {
    if (v.verdict === 'fail' && (await flagVulnerable(image, outcome.failing, summary, audit, deps))) {
      image = await requireImage(deps.catalog, request);
    }
    image = await deps.catalog.updateImage(
      image.family,
      image.version,
      image.stateVersion,
      { findings: summary },
      { ...audit, at, action: 'reinspected' },
    );
    await completed(request, v.verdict, v.reasons, summary, deps);
    return {
      verdict: v.verdict,
      reasons: v.reasons,
      findings: summary,
      state: image.state,
      vulnerable: image.vulnerable,
    };
  }

  const approve = v.verdict === 'pass' && config.publish.approval === 'auto';
  const target = v.verdict === 'fail' ? 'rejected' : approve ? 'approved' : undefined;
  const patch = {
    findings: summary,
    verdict: v.verdict,
    reason: clip(v.reasons.join('; ')),
    ...(approve ? { approver: 'auto' } : {}),
  };
  if (image.state === 'inspecting' && target !== undefined) {
    try {
      image = await deps.catalog.transitionImage({
        family: image.family,
        version: image.version,
        from: 'inspecting',
        to: target,
        expectedStateVersion: image.stateVersion,
        at,
        audit,
        patch,
      });
    } catch (err) {
      if (!(err instanceof TransitionConflictError) || err.actual.state !== target) throw err;
      image = await requireImage(deps.catalog, request);
    }
  } else if (image.state === 'inspecting') {
    image = await deps.catalog.updateImage(image.family, image.version, image.stateVersion, patch, {
      ...audit,
      at,
      action: 'inspection-recorded',
    });
  }

  await completed(request, v.verdict, v.reasons, summary, deps);
  const identity = identityOf(request, deps);
  if (image.state === 'approved' && target === 'approved') {
    await deps.events.publish('Image Approved', {
      ...identity,
      idempotencyKey: `image-approved:${request.family}@${request.version}`,
      approver: { kind: 'auto' },
      reason: patch.reason,
    });
  } else if (image.state === 'rejected' && target === 'rejected') {
    await deps.events.publish('Image Rejected', {
      ...identity,
      idempotencyKey: `image-rejected:${request.family}@${request.version}`,
      approver: { kind: 'auto' },
      reason: patch.reason,
    });
  }
  return {
    verdict: v.verdict,
    reasons: v.reasons,
    findings: summary,
    state: image.state,
    vulnerable: image.vulnerable,
  };
};

const identityOf = (request: InspectionRequest, deps: Pick<InspectDeps, 'clock'>) => ({
  schemaVersion: 1 as const,
  family: request.family,
  version: request.version,
  correlationId: request.correlationId,
  occurredAt: deps.clock.now().toISOString(),
  imageId: request.imageId,
});

const completed = (
  request: InspectionRequest,
  verdict: 'pass' | 'fail',
  reasons: string[],
  findings: FindingsSummary,
  deps: Pick<InspectDeps, 'events' | 'clock'>,
) =>
  deps.events.publish('Image Inspection Completed', {
    ...identityOf(request, deps),
    idempotencyKey: `image-inspection-completed:${request.inspectionId}`,
    purpose: request.purpose,
    verdict,
    findings,
    reasons,
  });

/** Event texts are capped at 2048 characters by the contracts. */
const clip = (text: string): string => (text.length <= 2048 ? text : `${text.slice(0, 2045)}...`);
