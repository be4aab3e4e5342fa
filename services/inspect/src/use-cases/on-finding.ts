import { type Image, judgesImage, managedInstanceImage } from '@ami-lifecycle/core';
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
  /** The instance's tags as the finding reports them; read from the image's findings when absent. */
  instanceTags?: Readonly<Record<string, string>> | undefined;
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
 *
 * Only instances that run the image as it is judge it (`judgesImage`): workloads and its own test
 * instances. Our instances of another image launched from its AMI, a child image's builder above all
 * (it installs the child's packages on top), are left out; a finding on one of them is ignored.
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
  const listed = await deps.findings.listFindingsForImage(notice.amiId);
  const tags = notice.instanceTags ?? listed.find((f) => f.instanceId === notice.instanceId)?.instanceTags;
  const owner = managedInstanceImage(tags);
  if (owner !== undefined && !judgesImage(tags, image)) {
    return {
      outcome: 'ignored',
      reason:
        `finding ${notice.findingArn} is on ${notice.instanceId}, an instance of ${owner.family}@${owner.version} ` +
        `launched from ${image.family}@${image.version}'s AMI: it judges ${owner.family}@${owner.version}, not ` +
        `${image.family}@${image.version}`,
    };
  }
  const findings = listed.filter((f) => judgesImage(f.instanceTags, image));
  const { config, version: policyVersion } = await loadFamilyConfig(deps.catalog, image.family);
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
