import { ImageNotFoundError } from '@ami-lifecycle/catalog';
import type { CatalogPort, Image } from '@ami-lifecycle/core';
import { ImageNotBuildingError } from '../errors';

/**
 * The catalog image a build step works on, which must still be `building`: once a build failed (or
 * somehow finished), no step may touch its builder or create an AMI for it.
 */
export const requireBuildingImage = async (
  ref: { family: string; version: string },
  catalog: CatalogPort,
): Promise<Image> => {
  const image = await catalog.getImage(ref.family, ref.version);
  if (image === undefined) throw new ImageNotFoundError(ref.family, ref.version);
  if (image.state !== 'building') throw new ImageNotBuildingError(ref.family, ref.version, image.state);
  return image;
};
