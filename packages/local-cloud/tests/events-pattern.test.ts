import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { compilePattern, InvalidEventPatternError, matches } from '../src/services/events/pattern';

/**
 * Conformance of the local EventBridge's pattern matcher with AWS's documented examples ("Creating event
 * patterns", "Comparison operators", "Matching null values and empty strings") and event-ruler's README,
 * one fixture file per operator under tests/events/patterns, plus properties for what must never be wrong.
 */

const FIXTURES = join(__dirname, 'events', 'patterns');
const read = <T>(file: string): T => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as T;

interface MatchCase {
  it: string;
  pattern: object;
  event?: object;
  matches: boolean;
}

const documentedEvent = read<object>('_event.json');
const tables = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json') && !f.startsWith('_'))
  .sort()
  .map((file) => read<{ operator: string; cases: MatchCase[] }>(file));

describe.each(tables)('pattern operator: $operator', ({ cases }) => {
  it.each(cases)('$it', ({ pattern, event, matches: expected }) => {
    expect(matches(compilePattern(pattern), event ?? documentedEvent)).toBe(expected);
  });
});

describe('pattern validation', () => {
  const { cases } = read<{ cases: { it: string; pattern: object | string; reason: string }[] }>(
    '_invalid.json',
  );

  it.each(cases)('$it', ({ pattern, reason }) => {
    let error: unknown;
    try {
      compilePattern(pattern);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect((error as InvalidEventPatternError).code).toBe('InvalidEventPatternException');
    expect((error as InvalidEventPatternError).reason).toBe(reason);
    expect((error as Error).message.startsWith(`Event pattern is not valid. Reason: ${reason}`)).toBe(true);
  });

  it('names where in the pattern the problem is', () => {
    expect(() => compilePattern({ detail: { state: [] } })).toThrow(
      /Empty arrays are not allowed\n at detail\.state$/,
    );
  });

  it('refuses text that is not JSON, saying so', () => {
    expect(() => compilePattern('{"source": ')).toThrow(
      /^Event pattern is not valid\. Reason: Filter is not valid JSON/,
    );
  });

  it('keeps the pattern text as given, for DescribeRule', () => {
    const text = '{ "source" : ["aws.ec2"] }';

    expect(compilePattern(text).source).toBe(text);
  });

  it('matches an event given as JSON text, and nothing that is not an object', () => {
    const pattern = compilePattern({ source: ['aws.ec2'] });

    expect(matches(pattern, '{"source":"aws.ec2"}')).toBe(true);
    expect(matches(pattern, 'not json')).toBe(false);
    expect(matches(pattern, ['aws.ec2'])).toBe(false);
  });
});

describe('pattern properties', () => {
  // Short strings over a small alphabet, so prefixes, suffixes and equal values actually occur. Colons and
  // dots are left out: address-shaped strings compare as IP addresses, which these properties are not about.
  const word = fc.stringMatching(/^[a-cA-C0-9-]{0,6}$/);
  const nonEmptyWord = fc.stringMatching(/^[a-cA-C0-9-]{1,6}$/);

  it('prefix is startsWith', () => {
    fc.assert(
      fc.property(word, word, (value, prefix) => {
        expect(matches({ f: [{ prefix }] }, { f: value })).toBe(value.startsWith(prefix));
      }),
    );
  });

  it('suffix is endsWith', () => {
    fc.assert(
      fc.property(word, word, (value, suffix) => {
        expect(matches({ f: [{ suffix }] }, { f: value })).toBe(value.endsWith(suffix));
      }),
    );
  });

  it('equals-ignore-case is equality of lower-cased strings', () => {
    fc.assert(
      fc.property(word, word, (value, expected) => {
        expect(matches({ f: [{ 'equals-ignore-case': expected }] }, { f: value })).toBe(
          value.toLowerCase() === expected.toLowerCase(),
        );
      }),
    );
  });

  it('anything-but is the complement of the exact match for a present string field', () => {
    fc.assert(
      fc.property(word, fc.array(word, { minLength: 1, maxLength: 4 }), (value, excluded) => {
        const event = { f: value };

        expect(matches({ f: [{ 'anything-but': excluded }] }, event)).toBe(!matches({ f: excluded }, event));
      }),
    );
  });

  it('anything-but prefix is the complement of prefix for a present string field', () => {
    fc.assert(
      fc.property(word, nonEmptyWord, (value, prefix) => {
        const event = { f: value };

        expect(matches({ f: [{ 'anything-but': { prefix } }] }, event)).toBe(
          !matches({ f: [{ prefix }] }, event),
        );
      }),
    );
  });

  it('a wildcard without stars is an exact match, and one trailing star is a prefix', () => {
    fc.assert(
      fc.property(word, word, (value, text) => {
        expect(matches({ f: [{ wildcard: text }] }, { f: value })).toBe(value === text);
        expect(matches({ f: [{ wildcard: `${text}*` }] }, { f: value })).toBe(value.startsWith(text));
      }),
    );
  });

  it('a numeric range agrees with comparison operators on integers', () => {
    const int = fc.integer({ min: -1000, max: 1000 });
    fc.assert(
      fc.property(int, int, int, (x, a, b) => {
        fc.pre(a !== b);
        const [lo, hi] = a < b ? [a, b] : [b, a];

        expect(matches({ n: [{ numeric: ['>=', lo, '<', hi] }] }, { n: x })).toBe(x >= lo && x < hi);
        expect(matches({ n: [{ numeric: ['>', lo, '<=', hi] }] }, { n: x })).toBe(x > lo && x <= hi);
      }),
    );
  });

  // Events over two fields whose values are drawn from the same few words the field patterns use.
  const value = fc.oneof(
    fc.constantFrom('a', 'b', 'ab', 'B'),
    fc.integer({ min: 0, max: 3 }),
    fc.constant(null),
  );
  const fieldValue = fc.oneof(value, fc.array(value, { maxLength: 3 }));
  const event = fc.record({ x: fieldValue, y: fieldValue }, { requiredKeys: [] });
  const condition = fc.oneof(
    fc.constantFrom('a', 'b', 1, null),
    fc.constantFrom({ prefix: 'a' }, { exists: true }, { exists: false }, { 'anything-but': 'a' }),
    fc.constant({ numeric: ['>', 1] }),
  );
  const branch = fc
    .record(
      {
        x: fc.array(condition, { minLength: 1, maxLength: 2 }),
        y: fc.array(condition, { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: [] },
    )
    .filter((b) => Object.keys(b).length > 0);

  it('$or is the disjunction of its branches', () => {
    fc.assert(
      fc.property(branch, branch, event, (a, b, e) => {
        expect(matches({ $or: [a, b] }, e)).toBe(matches(a, e) || matches(b, e));
      }),
    );
  });

  it('fields of one level are a conjunction', () => {
    fc.assert(
      fc.property(
        fc.array(condition, { minLength: 1, maxLength: 2 }),
        fc.array(condition, { minLength: 1, maxLength: 2 }),
        event,
        (x, y, e) => {
          expect(matches({ x, y }, e)).toBe(matches({ x }, e) && matches({ y }, e));
        },
      ),
    );
  });

  it('exists true and exists false always disagree', () => {
    fc.assert(
      fc.property(event, (e) => {
        expect(matches({ x: [{ exists: true }] }, e)).toBe(!matches({ x: [{ exists: false }] }, e));
      }),
    );
  });
});
