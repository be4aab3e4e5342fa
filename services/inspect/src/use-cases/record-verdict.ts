import { StaleImageError } from '@ami-lifecycle/catalog';
import type { FindingsSummary, Image, TestResult } from '@ami-lifecycle/core';
import { DEFAULT_ACTOR, type InspectDeps } from './deps';
import { loadFamilyConfig } from './family-config';
import { flagVulnerable } from './flag-vulnerable';
import { assessFindings } from './gate-findings';
import { allPages, requireImage } from './images';
import type { InspectionRequest } from './inspection';

export interface VerdictResult {
  verdict: 'pass' | 'fail';
  reasons: string[];
  findings: FindingsSummary;
  /** The image's state afterwards: `approved`, `rejected`, still `inspecting` (manual approval) or unchanged. */
  state: Image['state'];
  vulnerable: boolean;
}

// A verdict step reads the image's audit trail; more than this many pages is a data problem to surface.
const MAX_AUDIT_PAGES = 20;

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
 * Safe to retry: the catalog write comes first, then the events. An image whose verdict this
 * inspection already stored (found by the inspection id its audit record names) is not judged again:
 * the events are emitted from the stored verdict, findings and transition under the same idempotency
 * keys, so a step whose publishes failed gets them out on retry and consumers drop copies.
 */
export const recordVerdict = async (
  input: { request: InspectionRequest; instanceId: string; tests: TestResult[] },
  deps: RecordVerdictDeps,
): Promise<VerdictResult> => {
  const { request } = input;
  // A retry of this step after the verdict was stored: the stored outcome, not a second gate run (a
  // changed clock or config could pick another target, or another verdict for a re-inspection), and its
  // events again under their keys.
  let image = await requireImage(deps.catalog, request);
  const stored = await storedOutcome(request, image, deps);
  if (stored) return emitStored(request, stored, deps);
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
    reason: clip(`${verdictPrefix(request, v.verdict)}${v.reasons.join('; ')}`),
    correlationId: request.correlationId,
    policyVersion,
  };

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
  try {
    if (image.state === 'inspecting' && target !== undefined) {
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
    } else if (image.state === 'inspecting') {
      image = await deps.catalog.updateImage(image.family, image.version, image.stateVersion, patch, {
        ...audit,
        at,
        action: 'inspection-recorded',
      });
    }
  } catch (err) {
    if (!(err instanceof StaleImageError)) throw err;
    // Another attempt of this very step (a retry while the first still ran) may have stored it first.
    const stored = await storedOutcome(request, await requireImage(deps.catalog, request), deps);
    if (stored) return emitStored(request, stored, deps);
    throw err;
  }

  await completed(request, v.verdict, v.reasons, summary, deps);
  if (image.state === 'approved' && target === 'approved') {
    await decided(request, 'approved', patch.reason, deps);
  } else if (image.state === 'rejected' && target === 'rejected') {
    await decided(request, 'rejected', patch.reason, deps);
  }
  return {
    verdict: v.verdict,
    reasons: v.reasons,
    findings: summary,
    state: image.state,
    vulnerable: image.vulnerable,
  };
};

/** What an earlier attempt of this inspection's verdict step stored: its audit record and the image. */
interface StoredOutcome {
  image: Image;
  verdict: 'pass' | 'fail';
  reasons: string[];
  findings: FindingsSummary;
  /** The transition the step made, if any (none: a passing verdict left for a person). */
  decided?: 'approved' | 'rejected';
}

/** The audit reason of a verdict names the inspection, so a retry can tell its own verdict. */
const verdictPrefix = (request: InspectionRequest, verdict: 'pass' | 'fail'): string =>
  `inspection ${request.inspectionId}: ${verdict}: `;

/**
 * The verdict this inspection already recorded on `image` (as just read), found by its audit record (the
 * transition or `inspection-recorded` written together with the verdict, in one catalog write).
 */
const storedOutcome = async (
  request: InspectionRequest,
  image: Image,
  deps: Pick<InspectDeps, 'catalog'>,
): Promise<StoredOutcome | undefined> => {
  // A candidate's verdict is stored on the image; a re-inspection's only in its audit record.
  if (image.findings === undefined || (request.purpose === 'candidate' && image.verdict === undefined)) {
    return undefined;
  }
  const audit = await allPages(`audit of ${request.family}@${request.version}`, MAX_AUDIT_PAGES, (page) =>
    deps.catalog.listAudit(request.family, request.version, page),
  );
  for (const record of audit) {
    const decided = record.action === 'transition' && record.from === 'inspecting' ? record.to : undefined;
    const recorded =
      request.purpose === 'reinspection'
        ? record.action === 'reinspected'
        : record.action === 'inspection-recorded' || decided === 'approved' || decided === 'rejected';
    if (!recorded) continue;
    for (const verdict of ['pass', 'fail'] as const) {
      const prefix = verdictPrefix(request, verdict);
      if (!record.reason.startsWith(prefix)) continue;
      return {
        image,
        verdict,
        reasons: record.reason.slice(prefix.length).split('; '),
        findings: image.findings,
        ...(decided === 'approved' || decided === 'rejected' ? { decided } : {}),
      };
    }
  }
  return undefined;
};

/** Emits what the first attempt should have, from what it stored, under the same idempotency keys. */
const emitStored = async (
  request: InspectionRequest,
  stored: StoredOutcome,
  deps: RecordVerdictDeps,
): Promise<VerdictResult> => {
  const reason = clip(stored.reasons.join('; '));
  await completed(request, stored.verdict, stored.reasons, stored.findings, deps);
  if (stored.decided !== undefined) await decided(request, stored.decided, reason, deps);
  return {
    verdict: stored.verdict,
    reasons: stored.reasons,
    findings: stored.findings,
    state: stored.image.state,
    vulnerable: stored.image.vulnerable,
  };
};

/** `Image Approved` / `Image Rejected` by the gate (approver `auto`), keyed per image. */
const decided = (
  request: InspectionRequest,
  to: 'approved' | 'rejected',
  reason: string,
  deps: Pick<InspectDeps, 'events' | 'clock'>,
) =>
  to === 'approved'
    ? deps.events.publish('Image Approved', {
        ...identityOf(request, deps),
        idempotencyKey: `image-approved:${request.family}@${request.version}`,
        approver: { kind: 'auto' },
        reason,
      })
    : deps.events.publish('Image Rejected', {
        ...identityOf(request, deps),
        idempotencyKey: `image-rejected:${request.family}@${request.version}`,
        approver: { kind: 'auto' },
        reason,
      });

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
