import { StaleImageError } from '@ami-lifecycle/catalog';
import type { FindingsSummary, GateFinding, Image } from '@ami-lifecycle/core';
import { DEFAULT_ACTOR, type InspectDeps } from './deps';
import { vulnerableFindings } from './gate-findings';
import { requireImage } from './images';

/**
 * Marks a published image vulnerable and emits `Image Vulnerable`, once per image. The event goes out
 * before the flag is written: if the write is lost the retry emits again under the same idempotency key
 * (consumers drop the copy), whereas flag-then-emit could set the flag and lose the event for good.
 * Answers whether this call flagged it.
 */
export const flagVulnerable = async (
  image: Image,
  failing: readonly GateFinding[],
  summary: FindingsSummary,
  context: { correlationId: string; reason: string },
  deps: Pick<InspectDeps, 'catalog' | 'events' | 'clock' | 'region' | 'actor'>,
): Promise<boolean> => {
  const findings = vulnerableFindings(failing);
  if (image.vulnerable || image.state !== 'published' || findings.length === 0) return false;
  const at = deps.clock.now().toISOString();
  await deps.events.publish('Image Vulnerable', {
    schemaVersion: 1,
    family: image.family,
    version: image.version,
    correlationId: context.correlationId,
    idempotencyKey: `image-vulnerable:${image.family}@${image.version}`,
    occurredAt: at,
    imageId: image.amiIds[deps.region]!,
    findings,
    summary,
  });
  try {
    await deps.catalog.updateImage(
      image.family,
      image.version,
      image.stateVersion,
      { vulnerable: true, vulnerableSince: at, findings: summary },
      {
        actor: deps.actor ?? DEFAULT_ACTOR,
        reason: context.reason,
        correlationId: context.correlationId,
        at,
        action: 'flag-vulnerable',
      },
    );
  } catch (err) {
    if (!(err instanceof StaleImageError)) throw err;
    // Another writer got there first; if it set the flag, the job is done, otherwise retry decides again.
    const current = await requireImage(deps.catalog, image);
    if (!current.vulnerable) throw err;
  }
  return true;
};
