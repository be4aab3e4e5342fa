import { AwsError } from '../../errors';
import { type IpAddress, looksLikeIpAddress, parseCidr, parseIpAddress } from './ip-address';

/**
 * The EventBridge event-pattern language: compile (validate) a pattern once, then match events against it.
 *
 * Semantics follow AWS's documentation ("Creating event patterns", "Comparison operators") and, where the
 * documentation is silent, aws/event-ruler, the library EventBridge matches with:
 * - a pattern field matches when ANY listed value matches; all fields (and every `$or`) must match;
 * - an event array matches when any element does, and fields taken from objects inside an array must all
 *   come from the same element ("array-consistent" matching);
 * - only leaves (strings, numbers, booleans, null) are values: an object is never a value, so
 *   `{"exists": true}` does not match it and `{"exists": false}` does; an empty array holds no values;
 * - `anything-but` needs a value to be present and matches each value that is not excluded, whatever its
 *   type (a number passes a list of strings); `prefix`, `suffix`, `wildcard` and `equals-ignore-case` only
 *   ever match strings, `numeric` only numbers (within ±5e9, compared to 6 decimal places), `cidr` only
 *   strings holding an IP address.
 */

/** A JSON value as patterns and events hold them. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

type Leaf = null | boolean | number | string;

/** A bound of a numeric range, kept in event-ruler's fixed-point form so comparisons agree with AWS. */
interface Bound {
  value: number;
  inclusive: boolean;
}

type Exclusion =
  | { kind: 'values'; strings: ReadonlySet<string>; numbers: readonly number[] }
  | { kind: 'prefix' | 'suffix' | 'equals-ignore-case'; values: readonly string[] }
  | { kind: 'wildcard'; regexes: readonly RegExp[] };

type ValueMatcher =
  | { op: 'equals'; value: Leaf; ip?: IpAddress }
  | { op: 'prefix'; value: string; ignoreCase: boolean }
  | { op: 'suffix'; value: string; ignoreCase: boolean }
  | { op: 'equals-ignore-case'; value: string }
  | { op: 'wildcard'; regex: RegExp }
  | { op: 'anything-but'; exclude: Exclusion }
  | { op: 'numeric'; lower?: Bound; upper?: Bound }
  | { op: 'cidr'; family: 4 | 6; low: bigint; high: bigint }
  | { op: 'exists'; exists: boolean };

type Field = { key: string; node: PatternNode } | { key: string; values: readonly ValueMatcher[] };

/** One object level of a pattern: its fields (all must match) and its `$or` groups (one branch each). */
interface PatternNode {
  fields: readonly Field[];
  ors: readonly (readonly PatternNode[])[];
}

/** A validated pattern, ready for `matches`. Build it with `compilePattern`. */
export interface CompiledPattern {
  /** The pattern as given (JSON text), as DescribeRule hands it back. */
  readonly source: string;
  readonly root: PatternNode;
}

/**
 * A pattern EventBridge would refuse. The message starts the way AWS's does
 * (`Event pattern is not valid. Reason: …`) and then names where in the pattern the problem is.
 */
export class InvalidEventPatternError extends AwsError {
  constructor(
    readonly reason: string,
    /** Dotted path of the field being compiled when the problem was found; empty at the top. */
    readonly at: string,
  ) {
    super(
      'InvalidEventPatternException',
      `Event pattern is not valid. Reason: ${reason}${at ? `\n at ${at}` : ''}`,
    );
    this.name = 'InvalidEventPatternError';
  }
}

const OR = '$or';
/** Names event-ruler keeps for operators; inside `$or` they cannot be field names. */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);
const FIVE_BILLION = 5e9;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** How event-ruler's JSON parser prints the token it stopped at, for messages that quote it. */
const tokenText = (v: unknown): string => {
  if (v === undefined) return ']';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return '[';
  if (isObject(v)) return '{';
  return String(v);
};

/**
 * event-ruler compares numbers as `floor(1e6 × (5e9 + n))`: six decimal places, over ±5e9. Doing the same
 * double arithmetic here makes `1.0000001` equal `1.0000002`, exactly as on AWS.
 */
const comparable = (n: number): number => Math.floor(1e6 * (FIVE_BILLION + n));
const inNumericRange = (n: number): boolean => n >= -FIVE_BILLION && n <= FIVE_BILLION;

class Compiler {
  private readonly path: string[] = [];

  fail(reason: string): never {
    throw new InvalidEventPatternError(reason, this.path.join('.'));
  }

  object(obj: Record<string, unknown>, insideOr: boolean): PatternNode {
    const keys = Object.keys(obj);
    if (keys.length === 0) this.fail('Empty objects are not allowed');
    const fields: Field[] = [];
    const ors: PatternNode[][] = [];
    for (const key of keys) {
      const value = obj[key];
      // `$or` is not a step in the path: its branches describe the object it sits in.
      if (key === OR) {
        ors.push(this.or(value));
        continue;
      }
      if (insideOr && RESERVED_IN_OR.has(key)) {
        this.fail(`${key} is Ruler reserved fieldName which cannot be used inside ${OR}.`);
      }
      this.path.push(key);
      if (isObject(value)) fields.push({ key, node: this.object(value, insideOr) });
      else if (Array.isArray(value)) fields.push({ key, values: this.values(value) });
      else this.fail(`"${key}" must be an object or an array`);
      this.path.pop();
    }
    return { fields, ors };
  }

  private or(value: unknown): PatternNode[] {
    if (!Array.isArray(value)) this.fail(`It must be an Array followed with ${OR}.`);
    const branches = value.map((branch) => {
      if (!isObject(branch)) this.fail(`Only JSON object is allowed in array of ${OR} relationship.`);
      return this.object(branch, true);
    });
    if (branches.length < 2) this.fail(`There must have at least 2 Objects in ${OR} relationship.`);
    return branches;
  }

  private values(list: unknown[]): ValueMatcher[] {
    const out = list.map((v): ValueMatcher => {
      if (isObject(v)) return this.expression(v);
      if (typeof v === 'string') {
        // event-ruler turns address-shaped strings into addresses, so `::1` also matches `0::1`.
        const ip = looksLikeIpAddress(v) ? parseIpAddress(v) : undefined;
        return ip ? { op: 'equals', value: v, ip } : { op: 'equals', value: v };
      }
      if (typeof v === 'number' || typeof v === 'boolean' || v === null) return { op: 'equals', value: v };
      return this.fail('Match value must be String, number, true, false, or null');
    });
    if (out.length === 0) this.fail('Empty arrays are not allowed');
    return out;
  }

  /** `{ "<operator>": … }` inside a value list. */
  private expression(expr: Record<string, unknown>): ValueMatcher {
    const keys = Object.keys(expr);
    if (keys.length === 0) this.fail('Match expression name not found');
    const op = keys[0]!;
    const arg = expr[op];
    // event-ruler reads the operand before it notices a second key, so operand errors win.
    const single = <T>(matcher: T, tooMany = 'Only one key allowed in match expression'): T => {
      if (keys.length > 1) this.fail(tooMany);
      return matcher;
    };
    switch (op) {
      case 'prefix':
      case 'suffix': {
        if (isObject(arg)) return single(this.affixIgnoringCase(op, arg));
        if (typeof arg !== 'string') this.fail(`${op} match pattern must be a string`);
        return single({ op, value: arg, ignoreCase: false });
      }
      case 'equals-ignore-case':
        if (typeof arg !== 'string') this.fail('equals-ignore-case match pattern must be a string');
        return single({ op, value: arg });
      case 'wildcard':
        if (typeof arg !== 'string') this.fail('wildcard match pattern must be a string');
        return single({ op, regex: this.wildcard(arg) });
      case 'numeric':
        if (!Array.isArray(arg)) this.fail('Value of numeric must be an array.');
        return single(this.numeric(arg), 'Too many elements in numeric expression');
      case 'anything-but':
        return single({ op, exclude: this.anythingBut(arg) }, 'Too many elements in numeric expression');
      case 'exists':
        if (typeof arg !== 'boolean') this.fail('exists match pattern must be either true or false.');
        return single({ op, exists: arg });
      case 'cidr': {
        // Sic: event-ruler reuses the prefix message for a non-string CIDR.
        if (typeof arg !== 'string') this.fail('prefix match pattern must be a string');
        const range = this.guard(() => parseCidr(arg));
        return single({ op, ...range });
      }
      default:
        return this.fail(`Unrecognized match type ${op}`);
    }
  }

  private affixIgnoringCase(op: 'prefix' | 'suffix', arg: Record<string, unknown>): ValueMatcher {
    const Op = op === 'prefix' ? 'Prefix' : 'Suffix';
    const keys = Object.keys(arg);
    if (keys.length === 0) this.fail(`${Op} expression name not found`);
    if (keys[0] !== 'equals-ignore-case') this.fail(`Unsupported ${op} pattern: ${keys[0]}`);
    const value = arg['equals-ignore-case'];
    if (typeof value !== 'string') this.fail('equals-ignore-case match pattern must be a string');
    if (keys.length > 1) this.fail('Only one key allowed in match expression');
    return { op, value, ignoreCase: true };
  }

  private numeric(terms: unknown[]): ValueMatcher {
    const [op, first] = terms;
    if (typeof op !== 'string') this.fail(`Invalid member in numeric match: ${tokenText(op)}`);
    const number = (v: unknown, name: string): number => {
      if (typeof v !== 'number') this.fail(`Value of ${name} must be numeric`);
      if (!inNumericRange(v)) this.fail('Value must be between -5.0E9 and 5.0E9, inclusive');
      return v;
    };
    switch (op) {
      case '=': {
        const value = number(first, 'equals');
        if (terms.length > 2) this.fail('Too many elements in numeric expression');
        return { op: 'numeric', lower: { value, inclusive: true }, upper: { value, inclusive: true } };
      }
      case '>':
      case '>=': {
        const lower = { value: number(first, op), inclusive: op === '>=' };
        if (terms.length === 2) return { op: 'numeric', lower };
        const [, , op2, second] = terms;
        if (typeof op2 !== 'string') this.fail(`Bad value in numeric range: ${tokenText(op2)}`);
        if (op2 !== '<' && op2 !== '<=') this.fail(`Bad numeric range operator: ${op2}`);
        const upper = { value: number(second, op2), inclusive: op2 === '<=' };
        if (terms.length > 4) this.fail('Too many terms in numeric range expression');
        if (comparable(lower.value) >= comparable(upper.value)) this.fail('Bottom must be less than top');
        return { op: 'numeric', lower, upper };
      }
      case '<':
      case '<=': {
        const upper = { value: number(first, op), inclusive: op === '<=' };
        if (terms.length > 2) this.fail('Too many elements in numeric expression');
        return { op: 'numeric', upper };
      }
      default:
        return this.fail(`Unrecognized numeric range operator: ${op}`);
    }
  }

  private anythingBut(arg: unknown): Exclusion {
    if (isObject(arg)) {
      const keys = Object.keys(arg);
      if (keys.length === 0) this.fail('Anything-But expression name not found');
      const kind = keys[0]!;
      if (kind !== 'prefix' && kind !== 'suffix' && kind !== 'equals-ignore-case' && kind !== 'wildcard') {
        this.fail(`Unsupported anything-but pattern: ${kind}`);
      }
      const inner = arg[kind];
      if (!Array.isArray(inner) && typeof inner !== 'string' && typeof inner !== 'number') {
        this.fail('Value of anything-but must be an array or single string/number value.');
      }
      const strings = (Array.isArray(inner) ? inner : [inner]).map((v) => {
        if (typeof v !== 'string') {
          if (kind === 'equals-ignore-case') {
            this.fail(
              'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
            );
          }
          this.fail(
            kind === 'wildcard'
              ? 'wildcard match pattern must be a string'
              : 'prefix/suffix match pattern must be a string',
          );
        }
        if ((kind === 'prefix' || kind === 'suffix') && v === '') this.fail('Null prefix/suffix not allowed');
        return v;
      });
      if (keys.length > 1) this.fail('Too many elements in numeric expression');
      if (kind === 'wildcard') return { kind, regexes: strings.map((s) => this.wildcard(s)) };
      return { kind, values: strings };
    }
    if (Array.isArray(arg)) {
      if (arg.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
        this.fail('Inside anything but list, start|null|boolean is not supported.');
      }
      const hasString = arg.some((v) => typeof v === 'string');
      const hasNumber = arg.some((v) => typeof v === 'number');
      if (hasString === hasNumber) {
        this.fail(
          'Inside anything but list, either all values are number or string, mixed type is not supported',
        );
      }
      return this.excludedValues(arg as (string | number)[]);
    }
    if (typeof arg === 'string' || typeof arg === 'number') return this.excludedValues([arg]);
    return this.fail('Value of anything-but must be an array or single string/number value.');
  }

  private excludedValues(values: (string | number)[]): Exclusion {
    const numbers = values.filter((v): v is number => typeof v === 'number');
    if (numbers.some((n) => !inNumericRange(n)))
      this.fail('Value must be between -5.0E9 and 5.0E9, inclusive');
    return {
      kind: 'values',
      strings: new Set(values.filter((v): v is string => typeof v === 'string')),
      numbers: numbers.map(comparable),
    };
  }

  /**
   * `*` matches any run of characters (none included); `\*` is a literal star and `\\` a literal backslash;
   * any other escape, and `**`, are refused with event-ruler's message (positions count UTF-8 bytes).
   */
  private wildcard(text: string): RegExp {
    let source = '^';
    let bytePos = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '*') {
        if (text[i + 1] === '*') this.fail(`Consecutive wildcard characters at pos ${bytePos}`);
        source += '[\\s\\S]*';
      } else if (ch === '\\') {
        const next = text[i + 1];
        if (next !== '*' && next !== '\\') this.fail(`Invalid escape character at pos ${bytePos}`);
        source += `\\${next}`;
        i++;
        bytePos++;
      } else {
        source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      }
      bytePos += Buffer.byteLength(ch);
    }
    return new RegExp(`${source}$`, 'u');
  }

  private guard<T>(parse: () => T): T {
    try {
      return parse();
    } catch (e) {
      return this.fail((e as Error).message);
    }
  }
}

/**
 * Validates a pattern the way EventBridge does (PutRule, TestEventPattern) and prepares it for matching.
 * Throws `InvalidEventPatternError` (code `InvalidEventPatternException`) naming the problem.
 */
export const compilePattern = (pattern: string | object): CompiledPattern => {
  let parsed: unknown = pattern;
  let source: string;
  if (typeof pattern === 'string') {
    source = pattern;
    try {
      parsed = JSON.parse(pattern);
    } catch (e) {
      throw new InvalidEventPatternError(`Filter is not valid JSON: ${(e as Error).message}`, '');
    }
  } else {
    source = JSON.stringify(pattern);
  }
  if (!isObject(parsed)) throw new InvalidEventPatternError('Filter is not an object', '');
  return { source, root: new Compiler().object(parsed, false) };
};

const isCompiled = (p: unknown): p is CompiledPattern => isObject(p) && 'root' in p && 'source' in p;

/** The values a field holds: nested arrays are flattened, objects are not values. */
const leafValues = (v: unknown, out: Leaf[] = []): Leaf[] => {
  if (Array.isArray(v)) for (const e of v) leafValues(e, out);
  else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    out.push(v);
  return out;
};

/** The objects a nested pattern level can match: the object itself, or the objects inside an array. */
const objectCandidates = (v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] => {
  if (Array.isArray(v)) for (const e of v) objectCandidates(e, out);
  else if (isObject(v)) out.push(v);
  return out;
};

const lower = (s: string): string => s.toLowerCase();

const excluded = (ex: Exclusion, v: Leaf): boolean => {
  switch (ex.kind) {
    case 'values':
      if (typeof v === 'string') return ex.strings.has(v);
      return typeof v === 'number' && inNumericRange(v) && ex.numbers.includes(comparable(v));
    case 'prefix':
      return typeof v === 'string' && ex.values.some((p) => v.startsWith(p));
    case 'suffix':
      return typeof v === 'string' && ex.values.some((s) => v.endsWith(s));
    case 'equals-ignore-case':
      return typeof v === 'string' && ex.values.some((s) => lower(s) === lower(v));
    case 'wildcard':
      return typeof v === 'string' && ex.regexes.some((r) => r.test(v));
  }
};

const matchesValue = (m: Exclude<ValueMatcher, { op: 'exists' }>, v: Leaf): boolean => {
  switch (m.op) {
    case 'equals': {
      if (v === m.value) return true;
      if (typeof v === 'number' && typeof m.value === 'number') {
        return inNumericRange(v) && inNumericRange(m.value) && comparable(v) === comparable(m.value);
      }
      if (m.ip && typeof v === 'string') {
        const ip = looksLikeIpAddress(v) ? parseIpAddress(v) : undefined;
        return ip !== undefined && ip.family === m.ip.family && ip.value === m.ip.value;
      }
      return false;
    }
    case 'prefix':
      return (
        typeof v === 'string' && (m.ignoreCase ? lower(v).startsWith(lower(m.value)) : v.startsWith(m.value))
      );
    case 'suffix':
      return (
        typeof v === 'string' && (m.ignoreCase ? lower(v).endsWith(lower(m.value)) : v.endsWith(m.value))
      );
    case 'equals-ignore-case':
      return typeof v === 'string' && lower(v) === lower(m.value);
    case 'wildcard':
      return typeof v === 'string' && m.regex.test(v);
    case 'anything-but':
      return !excluded(m.exclude, v);
    case 'numeric': {
      if (typeof v !== 'number' || !inNumericRange(v)) return false;
      const n = comparable(v);
      const { lower: lo, upper: hi } = m;
      if (lo && (lo.inclusive ? n < comparable(lo.value) : n <= comparable(lo.value))) return false;
      if (hi && (hi.inclusive ? n > comparable(hi.value) : n >= comparable(hi.value))) return false;
      return true;
    }
    case 'cidr': {
      if (typeof v !== 'string' || !looksLikeIpAddress(v)) return false;
      const ip = parseIpAddress(v);
      return ip !== undefined && ip.family === m.family && ip.value >= m.low && ip.value <= m.high;
    }
  }
};

const matchesField = (matchers: readonly ValueMatcher[], value: unknown): boolean => {
  const values = leafValues(value);
  return matchers.some((m) =>
    m.op === 'exists' ? values.length > 0 === m.exists : values.some((v) => matchesValue(m, v)),
  );
};

const own = (obj: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(obj, key) ? obj[key] : undefined;

const matchesObject = (node: PatternNode, obj: Record<string, unknown>): boolean =>
  node.fields.every((f) =>
    'node' in f ? matchesLevel(f.node, own(obj, f.key)) : matchesField(f.values, own(obj, f.key)),
  ) && node.ors.every((branches) => branches.some((b) => matchesObject(b, obj)));

const EMPTY: Record<string, unknown> = {};

/**
 * A nested level: with objects to look into, one of them must satisfy the whole level (array-consistent);
 * with none (absent, a scalar, an empty array) every field is absent, which only `exists: false` accepts.
 */
const matchesLevel = (node: PatternNode, value: unknown): boolean => {
  const candidates = objectCandidates(value);
  return candidates.length === 0
    ? matchesObject(node, EMPTY)
    : candidates.some((c) => matchesObject(node, c));
};

/**
 * True when `event` (an object or its JSON text) matches `pattern` (compiled, or a pattern to compile).
 * A pattern that does not compile throws `InvalidEventPatternError`; an event that is not a JSON object
 * matches nothing.
 */
export const matches = (pattern: CompiledPattern | string | object, event: unknown): boolean => {
  const compiled = isCompiled(pattern) ? pattern : compilePattern(pattern);
  let parsed = event;
  if (typeof event === 'string') {
    try {
      parsed = JSON.parse(event);
    } catch {
      return false;
    }
  }
  return isObject(parsed) && matchesLevel(compiled.root, parsed);
};
