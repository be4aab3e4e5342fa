/**
 * JSON for the emulators' state: plain JSON plus tagged `Map`s, `Set`s and `Date`s, so a service can save
 * its records as they are held and get them back with the same types. Anything else that is not plain
 * data (a function, a timer handle, a class instance) is an error naming where it is: a service says
 * which of its fields are live handles (`skip`) and re-arms them itself after a restore.
 *
 * `{"$map": [[key, value], ...]}`, `{"$set": [...]}`, `{"$date": "<ISO>"}`; a plain object whose only key
 * is one of those tags is wrapped as `{"$object": {...}}`, so no stored value can be mistaken for a tag.
 */

const TAGS = new Set(['$map', '$set', '$date', '$object']);

/** A value that cannot be saved (a bug in the service's snapshot) or read back (a damaged file). */
export class StateCodecError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'StateCodecError';
  }
}

/**
 * By prototype chain and tag rather than `instanceof`, so values made in another realm (a `vm` context, as
 * test runners use) are recognised too.
 */
const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
};
const tagOf = (value: object): string => Object.prototype.toString.call(value);

/**
 * The JSON form of `value`. Fields named in `skip` (at any depth) and fields holding `undefined` are left
 * out; a cycle, a function, a non-finite number or an instance of a class other than Map, Set and Date
 * throws a `StateCodecError` naming its path.
 */
export const encodeState = (value: unknown, skip: ReadonlySet<string> = new Set()): unknown => {
  const ancestors = new Set<object>();
  const walk = (v: unknown, path: string): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new StateCodecError(path, `${v} cannot be stored`);
      return v;
    }
    if (typeof v !== 'object') throw new StateCodecError(path, `a ${typeof v} cannot be stored`);
    if (ancestors.has(v)) throw new StateCodecError(path, 'refers back to an object that contains it');
    ancestors.add(v);
    try {
      const tag = tagOf(v);
      if (tag === '[object Date]') return { $date: (v as Date).toISOString() };
      if (tag === '[object Map]') {
        return {
          $map: [...(v as Map<unknown, unknown>)].map(([k, x], i) => [
            walk(k, `${path}[${i}].key`),
            walk(x, `${path}[${i}]`),
          ]),
        };
      }
      if (tag === '[object Set]')
        return { $set: [...(v as Set<unknown>)].map((x, i) => walk(x, `${path}[${i}]`)) };
      if (Array.isArray(v)) return v.map((x, i) => walk(x === undefined ? null : x, `${path}[${i}]`));
      if (!isPlainObject(v)) {
        throw new StateCodecError(
          path,
          `an instance of ${v.constructor?.name ?? 'a class'} cannot be stored`,
        );
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined || skip.has(k)) continue;
        out[k] = walk(x, `${path}.${k}`);
      }
      const keys = Object.keys(out);
      return keys.length === 1 && TAGS.has(keys[0]!) ? { $object: out } : out;
    } finally {
      ancestors.delete(v);
    }
  };
  return walk(value, '$');
};

/** The value `encodeState` made, with its Maps, Sets and Dates; a malformed tag throws naming its path. */
export const decodeState = (value: unknown, path = '$'): unknown => {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((x, i) => decodeState(x, `${path}[${i}]`));
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && TAGS.has(keys[0]!)) {
    const tag = keys[0]!;
    const body = obj[tag];
    switch (tag) {
      case '$map': {
        if (!Array.isArray(body))
          throw new StateCodecError(path, '$map must be a list of [key, value] pairs');
        return new Map(
          body.map((pair, i) => {
            if (!Array.isArray(pair) || pair.length !== 2) {
              throw new StateCodecError(`${path}[${i}]`, 'a $map entry must be a [key, value] pair');
            }
            return [decodeState(pair[0], `${path}[${i}].key`), decodeState(pair[1], `${path}[${i}]`)];
          }),
        );
      }
      case '$set':
        if (!Array.isArray(body)) throw new StateCodecError(path, '$set must be a list');
        return new Set(body.map((x, i) => decodeState(x, `${path}[${i}]`)));
      case '$date': {
        const date = typeof body === 'string' ? new Date(body) : undefined;
        if (!date || Number.isNaN(date.getTime()))
          throw new StateCodecError(path, '$date must be an ISO time');
        return date;
      }
      default: {
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw new StateCodecError(path, '$object must be an object');
        }
        return decodeFields(body as Record<string, unknown>, path);
      }
    }
  }
  return decodeFields(obj, path);
};

const decodeFields = (obj: Record<string, unknown>, path: string): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(obj)) out[k] = decodeState(x, `${path}.${k}`);
  return out;
};

// ---- checks for restore functions: a damaged file fails here, naming the field, not deep in a service ----

export const expectRecord = (value: unknown, path: string): Record<string, unknown> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Map) {
    throw new StateCodecError(path, 'must be an object');
  }
  return value as Record<string, unknown>;
};

export const expectMap = <K = string, V = unknown>(value: unknown, path: string): Map<K, V> => {
  if (!(value instanceof Map)) throw new StateCodecError(path, 'must be a $map');
  return value as Map<K, V>;
};

export const expectSet = <T = string>(value: unknown, path: string): Set<T> => {
  if (!(value instanceof Set)) throw new StateCodecError(path, 'must be a $set');
  return value as Set<T>;
};

export const expectArray = <T = unknown>(value: unknown, path: string): T[] => {
  if (!Array.isArray(value)) throw new StateCodecError(path, 'must be a list');
  return value as T[];
};

export const expectNumber = (value: unknown, path: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new StateCodecError(path, 'must be a number');
  return value;
};

export const expectString = (value: unknown, path: string): string => {
  if (typeof value !== 'string') throw new StateCodecError(path, 'must be a string');
  return value;
};

/** Each value of a map checked to be an object with the given string fields (what every record has). */
export const expectRecords = <V>(
  map: Map<unknown, unknown>,
  path: string,
  fields: readonly string[],
): Map<string, V> => {
  for (const [k, v] of map) {
    const rec = expectRecord(v, `${path}[${String(k)}]`);
    for (const f of fields) expectString(rec[f], `${path}[${String(k)}].${f}`);
  }
  return map as Map<string, V>;
};
