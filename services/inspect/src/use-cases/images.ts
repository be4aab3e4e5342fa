import { ImageNotFoundError, QueryBoundExceededError } from '@ami-lifecycle/catalog';
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

/**
 * Every page of a catalog listing, at most `maxPages` of them: more is a data problem to surface
 * (`QueryBoundExceededError` naming `subject`), not a reason to page forever.
 */
export const allPages = async <T>(
  subject: string,
  maxPages: number,
  list: (page: PageRequest) => Promise<Page<T>>,
): Promise<T[]> => {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await list(cursor === undefined ? {} : { cursor });
    items.push(...result.items);
    cursor = result.cursor;
    if (cursor === undefined) return items;
  }
  throw new QueryBoundExceededError(subject, maxPages);
};
