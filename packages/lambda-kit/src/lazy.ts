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
