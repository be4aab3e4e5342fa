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

/**
 * Columns padded to their widest cell, two spaces apart; the last column is not padded. `style` may
 * colour a body cell (row and column from 0): widths are measured on the plain text, and the padding
 * goes after the colour ends.
 */
export const table = (
  header: readonly string[],
  rows: readonly (readonly string[])[],
  style?: (cell: string, row: number, column: number) => string,
): string[] => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], row: number | undefined) =>
    cells
      .map((cell, i) => {
        const shown = row === undefined || style === undefined ? cell : style(cell, row, i);
        return i === cells.length - 1
          ? shown
          : shown + ' '.repeat(Math.max(0, (widths[i] ?? 0) - cell.length));
      })
      .join('  ')
      .trimEnd();
  return [line(header, undefined), ...rows.map((r, i) => line(r, i))];
};

/** What a coloured word says: done or fine (green), refused or broken (red), under way or waiting (yellow), gone (dim). */
export type Tone = 'good' | 'bad' | 'busy' | 'gone';

const SGR: Record<Tone, readonly [string, string]> = {
  good: ['\u001b[32m', '\u001b[39m'],
  bad: ['\u001b[31m', '\u001b[39m'],
  busy: ['\u001b[33m', '\u001b[39m'],
  gone: ['\u001b[2m', '\u001b[22m'],
};

/**
 * The one place amictl colours text: `paint(color)` answers a function that wraps a text in the ANSI
 * colour of its tone, or leaves it as it is when `color` is false (or the tone is undefined). JSON is
 * never painted.
 */
export const paint =
  (color: boolean) =>
  (tone: Tone | undefined, text: string): string =>
    color && tone !== undefined && text !== '' ? `${SGR[tone][0]}${text}${SGR[tone][1]}` : text;

/** The tone of a lifecycle state: published and approved are good, rejected and failed bad. */
export const stateTone = (state: string): Tone | undefined => {
  switch (state) {
    case 'published':
    case 'approved':
      return 'good';
    case 'rejected':
    case 'failed':
      return 'bad';
    case 'building':
    case 'built':
    case 'inspecting':
      return 'busy';
    case 'deprecated':
    case 'disabled':
    case 'retired':
      return 'gone';
    default:
      return undefined;
  }
};

/** The tone of a verdict: pass good, fail bad. */
export const verdictTone = (verdict: string): Tone | undefined =>
  verdict === 'pass' ? 'good' : verdict === 'fail' ? 'bad' : undefined;

/**
 * Whether amictl colours what it prints: only on a terminal, and never when `NO_COLOR` has a value
 * (https://no-color.org: any non-empty value) or the terminal says it cannot (`TERM=dumb`).
 */
export const useColor = (
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean | undefined,
): boolean => isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';

/** `eu-west-1=ami-0abc..., us-east-1=ami-0def...`, regions in order; `-` for none. */
export const amiList = (amiIds: Record<string, string>): string => {
  const entries = Object.entries(amiIds).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([region, id]) => `${region}=${id}`).join(',');
};

/** `2026-03-01T10:00Z`: minutes are enough in a table; --json carries the full timestamp. */
export const minutes = (iso: string): string =>
  iso.endsWith('Z') && iso.length >= 16 ? `${iso.slice(0, 16)}Z` : iso;

export const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** `90s`, `45m`, `1h30m`, `2h`: how long, as `--timeout` takes it. */
export const formatDuration = (seconds: number): string => {
  const total = Math.max(0, Math.round(seconds));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const text = `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
  return text === '' ? '0s' : text;
};
