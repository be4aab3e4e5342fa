import { type PageRequest, ValidationError } from '@ami-lifecycle/core';
import { type AccessPattern, cursorAttributes } from './access-patterns';
import { InvalidCursorError, InvalidKeyError } from './errors';
import { parseKey } from './keys';

export const DEFAULT_PAGE_SIZE = 50;
/** 100 keeps a page of pointer items within one BatchGetItem call. */
export const MAX_PAGE_SIZE = 100;

export const pageLimit = (page: PageRequest | undefined): number => {
  const limit = page?.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError('page request', [
      { path: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${limit}` },
    ]);
  }
  return limit;
};

/**
 * The cursor is the base64url JSON of the last returned item's key (the shape of DynamoDB's
 * `LastEvaluatedKey`), attributes in a fixed order so both adapters hand out the same string.
 */
export const encodeCursor = (pattern: AccessPattern, item: Record<string, unknown>): string => {
  const key: Record<string, unknown> = {};
  for (const attribute of cursorAttributes(pattern)) key[attribute] = item[attribute];
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
};

/** Decodes a cursor and checks that it belongs to this query; anything else is `InvalidCursorError`. */
export const decodeCursor = (pattern: AccessPattern, cursor: string): Record<string, string> => {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError('not a base64url string');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError('not a cursor this catalog handed out', { cause: error });
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new InvalidCursorError('not a cursor this catalog handed out');
  }
  const record = decoded as Record<string, unknown>;
  const expected = cursorAttributes(pattern);
  const actual = Object.keys(record);
  if (actual.length !== expected.length || !expected.every((a) => typeof record[a] === 'string')) {
    throw new InvalidCursorError(`expected the string attributes ${expected.join(', ')}`);
  }
  const key = record as Record<string, string>;
  if (key[pattern.partition.attribute] !== pattern.partition.value) {
    throw new InvalidCursorError('it was handed out for another query');
  }
  const sortKey = key[pattern.sortAttribute] ?? '';
  if (pattern.sortPrefix !== undefined && !sortKey.startsWith(pattern.sortPrefix)) {
    throw new InvalidCursorError('it was handed out for another query');
  }
  try {
    const parsed = parseKey({ PK: key.PK ?? '', SK: key.SK ?? '' });
    if (!pattern.entities.includes(parsed.entity)) {
      throw new InvalidCursorError('it was handed out for another query');
    }
  } catch (error) {
    if (error instanceof InvalidKeyError) {
      throw new InvalidCursorError('its key is not a catalog key', { cause: error });
    }
    throw error;
  }
  return key;
};

/** DynamoDB orders string keys by their UTF-8 bytes; so does the in-memory twin. */
export const compareBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

const compareKeys = (pattern: AccessPattern, a: Record<string, string>, b: Record<string, string>): number =>
  compareBytes(a[pattern.sortAttribute] ?? '', b[pattern.sortAttribute] ?? '') ||
  compareBytes(a.PK ?? '', b.PK ?? '') ||
  compareBytes(a.SK ?? '', b.SK ?? '');

/** Entries in the order a query of `pattern` returns them. */
export const sortEntries = <T extends { key: Record<string, string> }>(
  pattern: AccessPattern,
  entries: readonly T[],
): T[] => {
  const direction = pattern.descending ? -1 : 1;
  return [...entries].sort((a, b) => direction * compareKeys(pattern, a.key, b.key));
};

/**
 * Pages over entries already selected for `pattern`, in the order DynamoDB would return them, with the
 * same cursor contract as the DynamoDB adapter: a cursor is returned only when more items follow.
 */
export const pageInMemory = <T>(
  pattern: AccessPattern,
  entries: readonly { key: Record<string, string>; value: T }[],
  page: PageRequest | undefined,
): { items: T[]; cursor?: string } => {
  const limit = pageLimit(page);
  const start = page?.cursor === undefined ? undefined : decodeCursor(pattern, page.cursor);
  const direction = pattern.descending ? -1 : 1;
  const sorted = sortEntries(pattern, entries);
  const remaining =
    start === undefined ? sorted : sorted.filter((e) => direction * compareKeys(pattern, e.key, start) > 0);
  const taken = remaining.slice(0, limit);
  const last = taken.at(-1);
  return remaining.length > limit && last !== undefined
    ? { items: taken.map((e) => e.value), cursor: encodeCursor(pattern, last.key) }
    : { items: taken.map((e) => e.value) };
};
