import { amiName, type Image, isManaged, TAG_PREFIX } from '@ami-lifecycle/core';
import { CopyFailedError, PlanNotExecutableError } from '../errors';
import type { PublishDeps } from './deps';
import { auditOf, requireApproved, requireImage } from './images';
import { copyClientToken, type PublicationPlan, type PublicationRequest } from './publication';

export interface CopyProgress {
  /** `wait`: copies are still pending; `done`: every region has an available copy. */
  next: 'wait' | 'done';
  checks: number;
}

const VERSION_TAG = `${TAG_PREFIX}version`;
const FAMILY_TAG = `${TAG_PREFIX}family`;

/**
 * Starts the copy of the image into every region of the plan that has none yet, then records the
 * copies' AMI ids on the image (and so in the catalog's AMI index). Resumes instead of restarting:
 * a region whose copy is recorded is skipped, and a copy made by an attempt that crashed before the
 * catalog write is found by its name (unique per account and region) and adopted; CopyImage's client
 * token makes a retried call answer the first copy as well.
 */
export const copyToRegions = async (
  input: { request: PublicationRequest; plan: PublicationPlan },
  deps: Pick<PublishDeps, 'catalog' | 'regions' | 'clock' | 'actor'>,
): Promise<CopyProgress> => {
  const { request, plan } = input;
  const image = await requireApproved(request, plan.homeRegion, deps);
  const missing = plan.copyRegions.filter((region) => image.amiIds[region] === undefined);
  if (missing.length === 0) return { next: plan.copyRegions.length === 0 ? 'done' : 'wait', checks: 0 };

  const home = deps.regions(plan.homeRegion).images;
  const source = await home.describeImage(request.imageId);
  // EC2 still describes a deregistered image for a while after it is gone.
  if (source === undefined || source.state === 'deregistered')
    throw new CopyFailedError(plan.homeRegion, request.imageId, 'the source image is gone');
  // The copy carries the source's tags (ours among them) as EC2 reports them; `aws:` tags cannot be set.
  const tags = Object.fromEntries(Object.entries(source.tags).filter(([k]) => !k.startsWith('aws:')));
  const name = amiName(image.family, image.version);
  const copies: Record<string, string> = {};
  for (const region of missing) {
    copies[region] = await copyInto(region, { request, plan, image, name, tags }, deps);
  }

  const fresh = await requireImage(deps.catalog, request);
  await deps.catalog.updateImage(
    image.family,
    image.version,
    fresh.stateVersion,
    { amiIds: { ...fresh.amiIds, ...copies } },
    {
      ...auditOf(
        request,
        `copying ${request.imageId} to ${Object.entries(copies)
          .map(([region, id]) => `${region} as ${id}`)
          .join(', ')}`,
        deps,
      ),
      at: deps.clock.now().toISOString(),
      action: 'copy-started',
    },
  );
  return { next: 'wait', checks: 0 };
};

const copyInto = async (
  region: string,
  c: {
    request: PublicationRequest;
    plan: PublicationPlan;
    image: Image;
    name: string;
    tags: Record<string, string>;
  },
  deps: Pick<PublishDeps, 'regions'>,
): Promise<string> => {
  const images = deps.regions(region).images;
  const adopted = (await images.findImagesByName(c.name, ['self'])).find(
    (i) =>
      isManaged(i.tags) &&
      i.tags[FAMILY_TAG] === c.image.family &&
      i.tags[VERSION_TAG] === c.image.version &&
      i.state !== 'deregistered',
  );
  if (adopted !== undefined) return adopted.imageId;
  const kmsKeyId = c.plan.kmsKeyIds[region];
  if (kmsKeyId === undefined) throw new PlanNotExecutableError(region, `the plan has no key for ${region}`);
  const { imageId } = await images.copyImage({
    sourceImageId: c.request.imageId,
    sourceRegion: c.plan.homeRegion,
    name: c.name,
    description: `${c.image.family} ${c.image.version}, copied from ${c.request.imageId} in ${c.plan.homeRegion}`,
    kmsKeyId,
    tags: c.tags,
    clientToken: copyClientToken(c.image.family, c.image.version, region),
  });
  return imageId;
};

/**
 * One look at every copy: all `available` is `done`; a copy that failed or vanished is
 * `CopyFailedError`; still pending after `maxChecks` looks is a failure too, so the wait is bounded.
 */
export const checkCopies = async (
  input: { request: PublicationRequest; plan: PublicationPlan; checks: number },
  deps: Pick<PublishDeps, 'catalog' | 'regions'>,
): Promise<CopyProgress> => {
  const { request, plan } = input;
  const image = await requireApproved(request, plan.homeRegion, deps);
  const checks = input.checks + 1;
  let pending = 0;
  for (const region of plan.copyRegions) {
    const amiId = image.amiIds[region];
    if (amiId === undefined)
      throw new CopyFailedError(region, '(none)', 'no copy is recorded for the region');
    const copy = await deps.regions(region).images.describeImage(amiId);
    if (copy === undefined) throw new CopyFailedError(region, amiId, 'the copy no longer exists');
    if (copy.state === 'available') continue;
    if (copy.state !== 'pending') throw new CopyFailedError(region, amiId, `EC2 reports it ${copy.state}`);
    pending++;
  }
  if (pending === 0) return { next: 'done', checks };
  if (checks >= plan.maxCopyChecks) {
    throw new CopyFailedError(
      plan.copyRegions.join(', '),
      image.amiIds[plan.copyRegions[0] ?? ''] ?? '(none)',
      `still pending after ${checks} checks ${plan.copyPollSeconds} s apart`,
    );
  }
  return { next: 'wait', checks };
};
