import { PaginationLimitError } from './errors';

/** Enough for any real account (100 pages of up to 1000 items); beyond it something loops. */
export const DEFAULT_MAX_PAGES = 100;

/**
 * Collects every page of a NextToken listing. Stops at `maxPages` with `PaginationLimitError`
 * rather than loop forever on a service that keeps answering a token.
 */
export const collectPages = async <T>(
  operation: string,
  fetchPage: (
    nextToken: string | undefined,
  ) => Promise<{ items: readonly T[] | undefined; nextToken?: string | undefined }>,
  maxPages: number = DEFAULT_MAX_PAGES,
): Promise<T[]> => {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(token);
    items.push(...(result.items ?? []));
    token = result.nextToken || undefined;
    if (token === undefined) return items;
  }
  throw new PaginationLimitError(operation, maxPages);
};
