/**
 * A value made on its first use and kept for the life of the container: module-scope wiring (an SDK
 * client, an adapter over it) that a handler module imports without building it at cold start, and that
 * every invocation after the first reuses.
 */
export const lazy = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

/** A value per key, made on the key's first use and kept for the container (a region's clients, say). */
export const perKey = <T>(make: (key: string) => T): ((key: string) => T) => {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = make(key);
      cache.set(key, value);
    }
    return value;
  };
};
