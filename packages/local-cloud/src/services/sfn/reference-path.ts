/**
 * ASL "reference paths" (`$.a.b`, `$['a'][0]`, `$$.Execution.Input.x`): the only paths that
 * `SecondsPath`, `TimestampPath`, `TimeoutSecondsPath` and `ItemsPath` may hold. The emulator evaluates
 * these itself where it takes over from the engine (Wait durations, task timeouts on the simulated clock,
 * the length of a Map); everything else is evaluated by `aws-local-stepfunctions`.
 */

export class ReferencePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferencePathError';
  }
}

const SEGMENT = /^(?:\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

/** The value at `path` in `input` (`$...`) or `context` (`$$...`); throws when the path does not resolve. */
export const readReferencePath = (path: string, input: unknown, context: unknown): unknown => {
  const fromContext = path.startsWith('$$');
  if (!fromContext && !path.startsWith('$'))
    throw new ReferencePathError(`"${path}" is not a reference path`);
  let value: unknown = fromContext ? context : input;
  let rest = path.slice(fromContext ? 2 : 1);
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) throw new ReferencePathError(`"${path}" is not a reference path`);
    rest = rest.slice(m[0].length);
    const index = m[2];
    if (index !== undefined) {
      if (!Array.isArray(value) || Number(index) >= value.length) {
        throw new ReferencePathError(`the JSONPath "${path}" could not be found in the input`);
      }
      value = value[Number(index)];
      continue;
    }
    const field = m[1] ?? m[3] ?? m[4] ?? '';
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, field)) {
      throw new ReferencePathError(`the JSONPath "${path}" could not be found in the input`);
    }
    value = (value as Record<string, unknown>)[field];
  }
  return value;
};
