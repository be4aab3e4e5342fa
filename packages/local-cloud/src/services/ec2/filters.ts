import type { QueryParams } from '../../protocols/query';
import { invalidValue, members, strings } from './params';

export interface Filter {
  name: string;
  values: string[];
}

type Scalar = string | number | boolean | undefined | null;
export type FilterField<T> = (item: T) => Scalar | readonly Scalar[];

/**
 * The filters one Describe operation accepts: named fields, plus `tag:<key>`, `tag-key` and `tag-value`
 * when the resource carries tags visible to the caller.
 */
export interface FilterSchema<T> {
  readonly fields: Readonly<Record<string, FilterField<T>>>;
  readonly tags?: (item: T) => ReadonlyMap<string, string>;
}

/** `Filter.N.Name` + `Filter.N.Value.M`, refused as EC2 refuses them when the name is not one it knows. */
export const parseFilters = <T>(p: QueryParams, schema: FilterSchema<T>): Filter[] =>
  members(p, 'Filter').map((m) => {
    const name = m.get('Name');
    if (!name) throw invalidValue('A filter must have a Name');
    const known =
      name in schema.fields ||
      (schema.tags !== undefined && (name === 'tag-key' || name === 'tag-value' || name.startsWith('tag:')));
    if (!known) throw invalidValue(`The filter '${name}' is invalid`);
    const values = strings(m, 'Value');
    if (values.length === 0) throw invalidValue(`The filter '${name}' requires at least one value`);
    return { name, values };
  });

const globCache = new Map<string, RegExp>();

/**
 * EC2 filter values are globs: `*` any run, `?` one character, a backslash escapes either (and itself).
 * Matching is case-sensitive and whole-value, as EC2's is.
 */
export const globToRegExp = (pattern: string): RegExp => {
  let re = globCache.get(pattern);
  if (re) return re;
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      src += escapeRegExp(pattern[++i]!);
    } else if (c === '*') {
      src += '.*';
    } else if (c === '?') {
      src += '.';
    } else {
      src += escapeRegExp(c);
    }
  }
  re = new RegExp(`^${src}$`, 's');
  globCache.set(pattern, re);
  return re;
};

const escapeRegExp = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const valuesOf = <T>(item: T, name: string, schema: FilterSchema<T>): string[] => {
  if (schema.tags && (name === 'tag-key' || name === 'tag-value' || name.startsWith('tag:'))) {
    const tags = schema.tags(item);
    if (name === 'tag-key') return [...tags.keys()];
    if (name === 'tag-value') return [...tags.values()];
    const v = tags.get(name.slice(4));
    return v === undefined ? [] : [v];
  }
  const raw = schema.fields[name]!(item);
  const list: readonly Scalar[] = Array.isArray(raw) ? raw : [raw as Scalar];
  return list.filter((v): v is string | number | boolean => v !== undefined && v !== null).map(String);
};

/** True when every filter has a value of the item matching one of its globs (filters AND, values OR). */
export const matchesFilters = <T>(item: T, filters: readonly Filter[], schema: FilterSchema<T>): boolean =>
  filters.every((f) => {
    const actual = valuesOf(item, f.name, schema);
    return f.values.some((pattern) => {
      const re = globToRegExp(pattern);
      return actual.some((a) => re.test(a));
    });
  });

export const applyFilters = <T>(
  items: readonly T[],
  filters: readonly Filter[],
  schema: FilterSchema<T>,
): T[] => (filters.length === 0 ? [...items] : items.filter((i) => matchesFilters(i, filters, schema)));
