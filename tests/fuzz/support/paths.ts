/** JSON values and the paths into them that the mutations address. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Segment = string | number;
export type Path = readonly Segment[];

export const isRecord = (value: unknown): value is { [key: string]: Json } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A deep copy that keeps own `__proto__` keys as data (as `JSON.parse` does), never as prototypes. */
export const clone = <T extends Json>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export const getAt = (root: Json, path: Path): Json | undefined => {
  let node: Json | undefined = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isRecord(node) && typeof segment === 'string' && Object.hasOwn(node, segment))
      node = node[segment];
    else return undefined;
  }
  return node;
};

/** Defines (never assigns) each key on the way, so a `__proto__` segment makes an own property. */
const define = (target: { [key: string]: Json }, key: string, value: Json): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

/** A copy of `root` with the value at `path` replaced; the path must exist up to its parent. */
export const setAt = (root: Json, path: Path, value: Json): Json => {
  if (path.length === 0) return value;
  const copy = clone(root);
  const parent = getAt(copy, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') parent[last] = value;
  else if (isRecord(parent)) define(parent, String(last), value);
  else throw new Error(`no container at ${formatPath(path.slice(0, -1))}`);
  return copy;
};

/** A copy of `root` without the key (or array element) at `path`. */
export const deleteAt = (root: Json, path: Path): Json => {
  const copy = clone(root);
  const parent = getAt(copy, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isRecord(parent)) delete parent[String(last)];
  return copy;
};

/** Every node of a JSON value with its path, the root first, parents before children. */
export const nodes = (root: Json): { path: Path; value: Json }[] => {
  const out: { path: Path; value: Json }[] = [];
  const walk = (value: Json, path: Path): void => {
    out.push({ path, value });
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, [...path, i]);
    } else if (isRecord(value)) for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(root, []);
  return out;
};

/** `detail.snapshotIds.0` for humans and for matching patterns; `(root)` for the empty path. */
export const formatPath = (path: Path): string => (path.length === 0 ? '(root)' : path.map(String).join('.'));

/**
 * Whether a path matches a pattern of dotted segments where `*` stands for any one segment and a
 * trailing `**` for any rest (`request.*`, `plan.kmsKeyIds.*`, `error.**`).
 */
export const matches = (path: Path, pattern: string): boolean => {
  const parts = pattern === '' ? [] : pattern.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === '**') return true;
    if (i >= path.length) return false;
    if (parts[i] !== '*' && parts[i] !== String(path[i])) return false;
  }
  return parts.length === path.length;
};
