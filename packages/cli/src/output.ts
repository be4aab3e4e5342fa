import { MAX_PAGE_SIZE } from '@ami-lifecycle/catalog';
import type { Page, PageRequest } from '@ami-lifecycle/core';
import { RefusedError } from './errors';

/** Pages read per listing at most: 500 of 100 items. A listing that goes on is refused, not truncated. */
export const MAX_PAGES = 500;

/** Every item of a paged listing, page after page, up to `MAX_PAGES`. */
export const allPages = async <T>(
  what: string,
  fetch: (page: PageRequest) => Promise<Page<T>>,
  maxPages = MAX_PAGES,
): Promise<T[]> => {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < maxPages; pages += 1) {
    const page = await fetch(
      cursor === undefined ? { limit: MAX_PAGE_SIZE } : { limit: MAX_PAGE_SIZE, cursor },
    );
    items.push(...page.items);
    if (page.cursor === undefined) return items;
    cursor = page.cursor;
  }
  throw new RefusedError(
    `${what} goes on for more than ${maxPages} pages of ${MAX_PAGE_SIZE}; narrow it down (--family, --state)`,
  );
};

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string[] => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
};

/** `eu-west-1=ami-0abc..., us-east-1=ami-0def...`, regions in order; `-` for none. */
export const amiList = (amiIds: Record<string, string>): string => {
  const entries = Object.entries(amiIds).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([region, id]) => `${region}=${id}`).join(',');
};

/** `2026-03-01T10:00Z`: minutes are enough in a table; --json carries the full timestamp. */
export const minutes = (iso: string): string =>
  iso.endsWith('Z') && iso.length >= 16 ? `${iso.slice(0, 16)}Z` : iso;

export const json = (value: unknown): string => JSON.stringify(value, null, 2);
