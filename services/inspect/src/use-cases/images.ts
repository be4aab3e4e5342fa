import { ImageNotFoundError, listAll } from '@ami-lifecycle/catalog';
import type { CatalogPort, Image, Page, PageRequest } from '@ami-lifecycle/core';

/** The catalog image an inspection is about; a missing one is `ImageNotFoundError`. */
export const requireImage = async (
  catalog: CatalogPort,
  ref: { family: string; version: string },
): Promise<Image> => {
  const image = await catalog.getImage(ref.family, ref.version);
  if (image === undefined) throw new ImageNotFoundError(ref.family, ref.version);
  return image;
};

/** The correlation id the image's story runs under: its first audit record carries it. */
export const correlationOf = async (catalog: CatalogPort, image: Image): Promise<string> => {
  const first = (await catalog.listAudit(image.family, image.version, { limit: 1 })).items[0];
  return first?.correlationId ?? `${image.family}@${image.version}`;
};

/** Every page of a catalog listing, at most `maxPages` of them (the catalog's bounded pager). */
export const allPages = <T>(
  subject: string,
  maxPages: number,
  list: (page: PageRequest) => Promise<Page<T>>,
): Promise<T[]> => listAll(subject, list, maxPages);
