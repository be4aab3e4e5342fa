import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AwsError } from '../../errors';

/**
 * Inspector2's filter shapes (as zod schemas, so a bad request is refused naming the field) and how they
 * match. Semantics, as the Inspector2 API reference describes its filter criteria:
 *
 * - different fields are ANDed;
 * - within one field, `EQUALS` and `PREFIX` filters are ORed, and every `NOT_EQUALS` must also hold;
 * - a field with several values (a finding's resources, packages) matches when any value does, and a
 *   `NOT_EQUALS` fails when any value equals it;
 * - date and number ranges are inclusive, several ranges ORed; map (tag) filters are ORed.
 */

/** An error in the REST-JSON shape the Inspector2 SDK reads: code, status, and extra body members. */
export class InspectorApiError extends AwsError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly members: Record<string, unknown> = {},
  ) {
    super(code, message, status);
    this.name = 'InspectorApiError';
  }
}

export interface FieldProblem {
  name: string;
  message: string;
}

/** `ValidationException` with Inspector's `reason` and, when known, the offending `fields`. */
export const validationError = (message: string, fields?: FieldProblem[]): InspectorApiError =>
  new InspectorApiError('ValidationException', message, 400, {
    reason: fields ? 'FIELD_VALIDATION_FAILED' : 'OTHER',
    ...(fields ? { fields } : {}),
  });

const FILTER_LIST_MAX = 10;
const filterValue = z.string().min(1).max(1024);

export const StringFilterSchema = z.strictObject({
  comparison: z.enum(['EQUALS', 'NOT_EQUALS', 'PREFIX']),
  value: filterValue,
});
export const CoverageStringFilterSchema = z.strictObject({
  comparison: z.enum(['EQUALS', 'NOT_EQUALS']),
  value: filterValue,
});
export const MapFilterSchema = z.strictObject({
  comparison: z.enum(['EQUALS']),
  key: z.string().min(1).max(128),
  value: z.string().max(256).optional(),
});
/** Timestamps arrive as epoch seconds (REST-JSON's default format). */
export const DateFilterSchema = z.strictObject({
  startInclusive: z.number().optional(),
  endInclusive: z.number().optional(),
});
export const NumberFilterSchema = z.strictObject({
  lowerInclusive: z.number().optional(),
  upperInclusive: z.number().optional(),
});
export const PackageFilterSchema = z.strictObject({
  name: StringFilterSchema.optional(),
  version: StringFilterSchema.optional(),
  epoch: NumberFilterSchema.optional(),
  release: StringFilterSchema.optional(),
  architecture: StringFilterSchema.optional(),
});

export const filterList = <T extends z.ZodType>(item: T) =>
  z.array(item).min(1).max(FILTER_LIST_MAX).optional();

export type StringFilter = z.infer<typeof StringFilterSchema> | z.infer<typeof CoverageStringFilterSchema>;
export type MapFilter = z.infer<typeof MapFilterSchema>;
export type DateFilter = z.infer<typeof DateFilterSchema>;
export type NumberFilter = z.infer<typeof NumberFilterSchema>;
export type PackageFilter = z.infer<typeof PackageFilterSchema>;

const matchOne = (f: StringFilter, v: string): boolean =>
  f.comparison === 'PREFIX' ? v.startsWith(f.value) : v === f.value;

export const matchStrings = (
  filters: readonly StringFilter[] | undefined,
  values: readonly (string | undefined)[],
): boolean => {
  if (!filters || filters.length === 0) return true;
  const present = values.filter((v): v is string => v !== undefined);
  if (filters.some((f) => f.comparison === 'NOT_EQUALS' && present.includes(f.value))) return false;
  const positive = filters.filter((f) => f.comparison !== 'NOT_EQUALS');
  return positive.length === 0 || positive.some((f) => present.some((v) => matchOne(f, v)));
};

const inRange = (lo: number | undefined, hi: number | undefined, v: number): boolean =>
  (lo === undefined || v >= lo) && (hi === undefined || v <= hi);

export const matchNumbers = (
  filters: readonly NumberFilter[] | undefined,
  value: number | undefined,
): boolean =>
  !filters ||
  filters.length === 0 ||
  (value !== undefined && filters.some((f) => inRange(f.lowerInclusive, f.upperInclusive, value)));

/** `seconds` is the value as the wire has it (epoch seconds). */
export const matchDates = (
  filters: readonly DateFilter[] | undefined,
  seconds: number | undefined,
): boolean =>
  !filters ||
  filters.length === 0 ||
  (seconds !== undefined && filters.some((f) => inRange(f.startInclusive, f.endInclusive, seconds)));

export const matchMaps = (
  filters: readonly MapFilter[] | undefined,
  map: Readonly<Record<string, string>> | undefined,
): boolean =>
  !filters ||
  filters.length === 0 ||
  filters.some(
    (f) =>
      map !== undefined && Object.hasOwn(map, f.key) && (f.value === undefined || map[f.key] === f.value),
  );

export interface PackageView {
  name: string;
  version: string;
  epoch: number;
  release?: string | undefined;
  arch?: string | undefined;
}

export const matchPackages = (
  filters: readonly PackageFilter[] | undefined,
  packages: readonly PackageView[],
): boolean =>
  !filters ||
  filters.length === 0 ||
  filters.some((f) =>
    packages.some(
      (p) =>
        (!f.name || matchStrings([f.name], [p.name])) &&
        (!f.version || matchStrings([f.version], [p.version])) &&
        (!f.epoch || matchNumbers([f.epoch], p.epoch)) &&
        (!f.release || matchStrings([f.release], [p.release])) &&
        (!f.architecture || matchStrings([f.architecture], [p.arch])),
    ),
  );

/**
 * Reads a request body with a zod schema. AWS answers a malformed request with `ValidationException` and
 * the fields at fault; a filter AWS has but the emulator lacks is refused the same way, naming it, rather
 * than ignored (ignoring it would return findings the caller filtered out).
 */
export const parseRequest = <T extends z.ZodType>(schema: T, body: unknown): z.infer<T> => {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.flatMap((i): FieldProblem[] => {
    const at = i.path.map(String);
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({
        name: [...at, k].join('.'),
        message: "not supported by the local cloud's Inspector2",
      }));
    }
    return [{ name: at.join('.') || '(body)', message: i.message }];
  });
  throw validationError(fields.map((f) => `${f.name}: ${f.message}`).join('; '), fields);
};

// Page tokens are opaque to callers, as AWS's are. They carry the listing and a hash of the query, so a
// token handed to another listing or filter is refused, and a cursor (the sort key and sequence of the
// last item returned) rather than an offset, so items that appear or vanish between pages neither repeat
// nor skip others.
interface Cursor {
  l: string;
  q: string;
  k: string | number;
  s: number;
}

export const queryHash = (query: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(query ?? null))
    .digest('hex')
    .slice(0, 16);

const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

const decodeCursor = (token: string, listing: string, query: string): Cursor => {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (
      c.l === listing &&
      c.q === query &&
      (typeof c.k === 'string' || typeof c.k === 'number') &&
      typeof c.s === 'number'
    ) {
      return c as Cursor;
    }
  } catch {
    // falls through to the error for a token this listing did not issue
  }
  throw validationError('The nextToken is not valid for this request.', [
    { name: 'nextToken', message: 'not issued for this listing and filter' },
  ]);
};

export interface Sortable<T> {
  item: T;
  key: string | number;
  seq: number;
}

const compareKeys = (a: string | number, b: string | number): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Sorts by key (ascending or descending) then sequence, and returns the page after `token`. */
export const paginate = <T>(
  items: Sortable<T>[],
  opts: {
    descending: boolean;
    maxResults: number;
    nextToken: string | undefined;
    listing: string;
    query: string;
  },
): { page: T[]; nextToken: string | undefined } => {
  const order = (a: { key: string | number; seq: number }, b: { key: string | number; seq: number }) =>
    (opts.descending ? -1 : 1) * compareKeys(a.key, b.key) || a.seq - b.seq;
  const sorted = [...items].sort(order);
  let start = 0;
  if (opts.nextToken !== undefined) {
    const c = decodeCursor(opts.nextToken, opts.listing, opts.query);
    const cursor = { key: c.k, seq: c.s };
    start = sorted.findIndex((i) => order(i, cursor) > 0);
    if (start === -1) start = sorted.length;
  }
  const slice = sorted.slice(start, start + opts.maxResults);
  const last = slice[slice.length - 1];
  const more = start + opts.maxResults < sorted.length;
  return {
    page: slice.map((i) => i.item),
    nextToken:
      more && last ? encodeCursor({ l: opts.listing, q: opts.query, k: last.key, s: last.seq }) : undefined,
  };
};
