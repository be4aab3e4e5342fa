import { TransitionConflictError } from '@ami-lifecycle/catalog';
import type { Image } from '@ami-lifecycle/core';
import { ImageNotPublishableError } from '../errors';
import type { PublishDeps } from './deps';
import { auditOf, requireApproved, requireImage } from './images';
import type { PublicationPlan, PublicationRequest } from './publication';

/**
 * The last step: `approved -> published` with the family's channels moved to the image, in one catalog
 * transaction (the channels' history keeps where they pointed before), then `Image Published`.
 *
 * Safe to retry: a retry that finds the image published with every channel on it re-emits the event
 * under the same idempotency key, so a publish that failed after the catalog write is delivered.
 */
export const completePublication = async (
  input: { request: PublicationRequest; plan: PublicationPlan & { configVersion?: number } },
  deps: Pick<PublishDeps, 'catalog' | 'events' | 'clock' | 'actor'>,
): Promise<{ state: 'published'; channels: string[] }> => {
  const { request, plan } = input;
  let image = await requireImage(deps.catalog, request);
  if (!(await publishedByThis(image, plan, deps))) {
    image = await requireApproved(request, plan.homeRegion, deps);
    const at = deps.clock.now().toISOString();
    try {
      image = await deps.catalog.transitionImage({
        family: image.family,
        version: image.version,
        from: 'approved',
        to: 'published',
        expectedStateVersion: image.stateVersion,
        at,
        audit: auditOf(
          request,
          `published in ${plan.regions.join(', ')} on ${plan.channels.join(', ')}`,
          deps,
          plan.configVersion,
        ),
        patch: { publishedAt: at },
        moveChannels: plan.channels,
      });
    } catch (err) {
      // Another attempt of this very step (a retry while the first still ran) may have written it.
      if (!(err instanceof TransitionConflictError)) throw err;
      image = await requireImage(deps.catalog, request);
      if (!(await publishedByThis(image, plan, deps))) throw err;
    }
  }
  const regions = Object.fromEntries(
    plan.regions.map((region) => {
      const amiId = image.amiIds[region];
      if (amiId === undefined) {
        throw new ImageNotPublishableError(image.family, image.version, `no AMI recorded in ${region}`);
      }
      return [region, amiId];
    }),
  );
  await deps.events.publish('Image Published', {
    schemaVersion: 1,
    family: image.family,
    version: image.version,
    correlationId: request.correlationId,
    idempotencyKey: `image-published:${image.family}@${image.version}`,
    occurredAt: deps.clock.now().toISOString(),
    imageId: request.imageId,
    channels: plan.channels,
    regions,
    ssmParameters: [...new Set(plan.parameters.map((p) => p.name))],
  });
  return { state: 'published', channels: plan.channels };
};

/** Published, and every channel of the plan points at it: what this step's transaction leaves. */
const publishedByThis = async (
  image: Image,
  plan: PublicationPlan,
  deps: Pick<PublishDeps, 'catalog'>,
): Promise<boolean> => {
  if (image.state !== 'published') return false;
  const channels = await deps.catalog.listChannels(image.family);
  return plan.channels.every((name) => channels.some((c) => c.name === name && c.version === image.version));
};
