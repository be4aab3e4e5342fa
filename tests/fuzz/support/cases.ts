/**
 * Malformed events, each made from a valid one by corrupting exactly one field (or by replacing the
 * whole event), so the refusal must name that field.
 */
import fc from 'fast-check';
import { type HandlerModel, isOptional, kindAt } from './handlers';
import { badKey, badValue, deepValue, junkEvent, type Kind, unknownKey, wrongType } from './hostile';
import { deleteAt, formatPath, getAt, type Json, nodes, type Path, setAt } from './paths';

export interface FuzzCase {
  /** What was done, for the failure report. */
  what: string;
  /** The valid event it started from. */
  base: string;
  event: Json;
  /** The field the refusal must name; `[]` for the event itself. */
  path: Path;
}

/** Long strings shortened, so a failure report stays readable. */
const abbreviate = (value: Json): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'string' && v.length > 120 ? `${v.slice(0, 40)}...<${v.length} characters>` : v,
  ) ?? String(value);

const withReport = (c: FuzzCase): FuzzCase =>
  Object.defineProperty(c, fc.toStringMethod, {
    value: () => `${c.what} at ${formatPath(c.path)} of "${c.base}": ${abbreviate(c.event).slice(0, 3000)}`,
    enumerable: false,
  });

/** What a key nobody may add carries: enough to notice if it ever landed on a prototype. */
const PAYLOAD: Json = { polluted: 'yes', isAdmin: true, family: 'payments-api' };

const isScalar = (kind: Kind): boolean =>
  kind.type === 'string' ||
  kind.type === 'number' ||
  kind.type === 'boolean' ||
  kind.type === 'enum' ||
  kind.type === 'literal';

/** Every way of corrupting one field of one valid event, each with the path its refusal must name. */
const fieldCases = (model: HandlerModel): fc.Arbitrary<FuzzCase>[] =>
  model.bases.flatMap(({ name, event }) =>
    nodes(event)
      .filter(({ path }) => path.length > 0)
      .flatMap(({ path, value }) => {
        const kind = kindAt(model, path, value);
        if (kind.type === 'any') return [];
        const make = (what: string) => (replacement: Json) =>
          withReport({ what, base: name, event: setAt(event, path, replacement), path });
        const options: fc.Arbitrary<FuzzCase>[] = [];
        const wrong = wrongType(kind);
        if (wrong !== undefined) options.push(wrong.map(make('wrong type')));
        const bad = badValue(kind);
        if (bad !== undefined) options.push(bad.map(make('bad value')));
        if (isScalar(kind) || kind.type === 'array') {
          options.push(
            deepValue
              .filter((v) => !(kind.type === 'array' && Array.isArray(v)))
              .map(make('deeply nested value')),
          );
        }
        const last = path[path.length - 1];
        const parent = path.slice(0, -1);
        // An entry of a record may be absent; a key of an object may not, unless the model says so.
        const inRecord = kindAt(model, parent, getAt(event, parent) ?? null).type === 'record';
        if (typeof last === 'string' && !inRecord && !isOptional(model, path)) {
          options.push(
            fc.constant(
              withReport({ what: 'missing field', base: name, event: deleteAt(event, path), path }),
            ),
          );
        }
        if (kind.type === 'object' && kind.strict) {
          options.push(
            unknownKey.map((key) =>
              withReport({
                what: 'unknown key',
                base: name,
                event: setAt(event, [...path, key], PAYLOAD),
                path: [...path, key],
              }),
            ),
          );
        }
        if (kind.type === 'record' && !kind.anyKey) {
          const sample = Object.values(value as Record<string, Json>)[0] ?? 'x';
          // `__proto__` for every record: a parser that skips it would act on the rest as if it were absent.
          const keys =
            kind.keys === undefined
              ? fc.constant('__proto__')
              : fc.oneof(badKey(kind.keys), fc.constant('__proto__'));
          options.push(
            keys.map((key) =>
              withReport({
                what: 'bad key',
                base: name,
                event: setAt(event, [...path, key], sample),
                path: [...path, key],
              }),
            ),
          );
        }
        return options;
      }),
  );

/** Malformed events for one function: one corrupted field of a valid event, or no event at all. */
export const malformedEvents = (model: HandlerModel): fc.Arbitrary<FuzzCase> => {
  const fields = fieldCases(model);
  const junk = junkEvent.map((event) => withReport({ what: 'not an object', base: '-', event, path: [] }));
  return fc.oneof({ weight: fields.length, arbitrary: fc.oneof(...fields) }, { weight: 2, arbitrary: junk });
};

/** How many distinct fields the model corrupts, for the report. */
export const fieldCount = (model: HandlerModel): number =>
  new Set(
    model.bases.flatMap(({ event }) =>
      nodes(event)
        .filter(({ path, value }) => path.length > 0 && kindAt(model, path, value).type !== 'any')
        .map(({ path }) => formatPath(path)),
    ),
  ).size;
