import type { Image } from '@ami-lifecycle/core';
import { DEFAULT_ACTOR, type InspectDeps } from './deps';
import { loadFamilyConfig } from './family-config';
import { flagVulnerable } from './flag-vulnerable';
import { assessFindings } from './gate-findings';
import { correlationOf } from './images';

/** What the `Inspector2 Finding` handler passes on: the finding and the instance and AMI it is about. */
export interface FindingNotice {
  findingArn: string;
  instanceId: string;
  /** The AMI the instance was launched from. */
  amiId: string;
}

export type OnFindingResult =
  | { outcome: 'vulnerable'; image: Image }
  | { outcome: 'findings-updated' | 'unchanged'; image: Image }
  | { outcome: 'ignored'; reason: string };

/**
 * A finding changed on an instance. When the instance runs a managed, published image, the image's
 * findings (every instance launched from its AMI, active ones counted) are evaluated against the family's
 * gate at the clock's now: a newly failing image is flagged vulnerable and `Image Vulnerable` is emitted,
 * once; otherwise only its findings summary is brought up to date. Images in other states are left to
 * their inspection, which reads its findings itself.
 */
export const onFinding = async (
  notice: FindingNotice,
  deps: Pick<InspectDeps, 'catalog' | 'findings' | 'events' | 'clock' | 'region' | 'actor'>,
): Promise<OnFindingResult> => {
  const image = (await deps.catalog.findImagesByAmiId(notice.amiId)).find(
    (i) => i.managed && i.amiIds[deps.region] === notice.amiId,
  );
  if (image === undefined) return { outcome: 'ignored', reason: `${notice.amiId} is not a managed image` };
  if (image.state !== 'published') {
    return {
      outcome: 'ignored',
      reason: `${image.family}@${image.version} is ${image.state}; only published images are watched`,
    };
  }
  const { config, version: policyVersion } = await loadFamilyConfig(deps.catalog, image.family);
  const findings = await deps.findings.listFindingsForImage(notice.amiId);
  const outcome = assessFindings({ findings, gate: config.inspect.gate, now: deps.clock.now() });
  const correlationId = await correlationOf(deps.catalog, image);
  const reason =
    `finding ${notice.findingArn} on ${notice.instanceId}: ${outcome.verdict.reasons.join('; ')}`.slice(
      0,
      2048,
    );

  if (
    outcome.verdict.verdict === 'fail' &&
    (await flagVulnerable(image, outcome.failing, outcome.summary, { correlationId, reason }, deps))
  ) {
    return { outcome: 'vulnerable', image: (await deps.catalog.getImage(image.family, image.version))! };
  }
  if (sameSummary(image.findings, outcome.summary)) return { outcome: 'unchanged', image };
  const updated = await deps.catalog.updateImage(
    image.family,
    image.version,
    image.stateVersion,
    { findings: outcome.summary },
    {
      actor: deps.actor ?? DEFAULT_ACTOR,
      reason,
      correlationId,
      policyVersion,
      at: deps.clock.now().toISOString(),
      action: 'findings-updated',
    },
  );
  return { outcome: 'findings-updated', image: updated };
};

const sameSummary = (a: Image['findings'], b: NonNullable<Image['findings']>): boolean =>
  a !== undefined && Object.entries(b).every(([k, v]) => a[k as keyof typeof a] === v);
