import type { Page, PageRequest } from '@ami-lifecycle/core';
import { QueryBoundExceededError } from './errors';

/**
 * The items of one catalog listing, page by page, at most `maxPages` of them: a listing longer than that
 * is a data problem or a backlog, not something to page through forever (`QueryBoundExceededError`).
 * With `until`, reading stops after the page holding the first item it accepts.
 */
export const listAll = async <T>(
  what: string,
  list: (page: PageRequest) => Promise<Page<T>>,
  maxPages: number,
  until?: (item: T) => boolean,
): Promise<T[]> => {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await list(cursor === undefined ? {} : { cursor });
    items.push(...result.items);
    cursor = result.cursor;
    if (cursor === undefined || (until !== undefined && result.items.some(until))) return items;
  }
  throw new QueryBoundExceededError(what, maxPages);
};
