import { awsErrorCode } from '@ami-lifecycle/aws';
import { amiName, type Image, managedTags } from '@ami-lifecycle/core';
import { AmiNotVisibleYetError } from '../errors';
import type { BuildProgress } from './build-progress';
import { BUILD_ID_TAG } from './builders';
import { requireBuildingImage } from './building-image';
import { requireOwnBuilder } from './check-builder';
import { type BuildDeps, DEFAULT_ACTOR } from './deps';
import { loadFamilyConfigVersion } from './family-config';

export type CreateBuildImageDeps = Pick<
  BuildDeps,
  'catalog' | 'compute' | 'images' | 'clock' | 'region' | 'actor'
>;

/**
 * Creates the AMI from the stopped builder: named `<family>-<version>`, tagged with the family's tags and
 * our managed tags (build id included, so a state change that overtakes the catalog write still finds
 * the image). The root snapshot is encrypted with the family's KMS key because the builder's root volume
 * was launched with it. Records the AMI id on the catalog image, which is what `onImageStateChange`
 * looks the image up by; the machine ends here and the `EC2 AMI State Change` event continues.
 *
 * Only an instance tagged as this build's managed builder is imaged (`BuilderNotOwnedError` otherwise).
 *
 * Idempotent: an image that already has its AMI id answers it; a retried CreateImage that EC2 refuses as
 * a duplicate name adopts the AMI of that name if it carries this build's id, and records it. The machine
 * retries this step on a Lambda timeout for that reason: the first attempt may have been accepted by EC2
 * and killed before the catalog write.
 */
export const createBuildImage = async (
  progress: BuildProgress,
  deps: CreateBuildImageDeps,
): Promise<BuildProgress> => {
  const image = await requireBuildingImage(progress, deps.catalog);
  const recorded = image.amiIds[deps.region];
  if (recorded !== undefined) return { ...progress, imageId: recorded };
  await requireOwnBuilder(image, progress.instanceId, deps);

  const { config } = await loadFamilyConfigVersion(deps.catalog, image.family, image.configVersion);
  const name = amiName(image.family, image.version);
  const tags = {
    ...config.tags,
    ...managedTags({
      family: image.family,
      version: image.version,
      buildId: image.buildId!,
      parent: image.parent,
    }),
  };
  const imageId = await createOrAdopt(image, { name, tags }, progress.instanceId, deps);

  await deps.catalog.updateImage(
    image.family,
    image.version,
    image.stateVersion,
    { amiIds: { ...image.amiIds, [deps.region]: imageId } },
    {
      actor: deps.actor ?? DEFAULT_ACTOR,
      reason: `CreateImage accepted: ${imageId} (${name}) from builder ${progress.instanceId}`,
      correlationId: progress.correlationId,
      at: deps.clock.now().toISOString(),
      action: 'ami-created',
    },
  );
  return { ...progress, imageId };
};

const createOrAdopt = async (
  image: Image,
  ami: { name: string; tags: Record<string, string> },
  instanceId: string,
  deps: CreateBuildImageDeps,
): Promise<string> => {
  try {
    const { imageId } = await deps.images.createImage({
      instanceId,
      name: ami.name,
      description: `${image.family} ${image.version} (build ${image.buildId}, source ${image.sourceAmiId})`,
      tags: ami.tags,
    });
    return imageId;
  } catch (err) {
    // The first attempt created the AMI but its answer was lost; the retry meets the name taken.
    if (awsErrorCode(err) !== 'InvalidAMIName.Duplicate') throw err;
    const named = await deps.images.findImagesByName(ami.name, ['self']);
    if (named.length === 0) throw new AmiNotVisibleYetError(ami.name, { cause: err });
    // Another build's AMI holds the name: not ours to adopt, and retrying cannot help.
    const own = named.find((i) => i.tags[BUILD_ID_TAG] === image.buildId);
    if (own === undefined) throw err;
    return own.imageId;
  }
};
