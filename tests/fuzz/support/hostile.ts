/**
 * Values a field must refuse, by what the field is. Each kind knows the loosest spelling any of the
 * product's schemas accepts for it; every value generated here falls outside it, so a function that
 * accepts one has a hole in its edge, not a stricter or looser reading of the same rule.
 */
import { detailTypes } from '@ami-lifecycle/contracts';
import fc from 'fast-check';
import type { Json } from './paths';

/** EventBridge refuses an event over 256 KiB; generated strings stay under it with the rest of the event. */
export const EVENT_LIMIT_BYTES = 256 * 1024;
const HUGE = EVENT_LIMIT_BYTES - 8 * 1024;

export type Format =
  | 'family'
  | 'version'
  | 'ami'
  | 'snapshot'
  | 'instance'
  | 'region'
  | 'timestamp'
  | 'account'
  | 'id'
  | 'sha256'
  | 'ssmName'
  | 'channel'
  | 'findingArn'
  | 'vulnerabilityId'
  // Policy files
  | 'slug'
  | 'roleArn'
  | 'kmsKey'
  | 'ouArn'
  | 'orgId'
  | 'instanceType'
  | 'subnet'
  | 'securityGroup'
  | 'instanceProfile'
  | 'ssmPath'
  | 'imageOwner';

export type Kind =
  | { type: 'string'; format?: Format; min?: number; max?: number; nonBlank?: boolean }
  | { type: 'number'; int?: boolean; min?: number; exclusiveMin?: boolean; max?: number }
  | { type: 'boolean' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'literal'; value: string | number | boolean }
  | { type: 'array'; min?: number }
  | { type: 'object'; strict: boolean }
  /**
   * A map from keys (of a format, when given) to values: entries need not be present, a key of the wrong
   * format and a `__proto__` key must be refused, unless `anyKey` (a known hole) says keys go unchecked.
   */
  | { type: 'record'; keys?: Format; min?: number; anyKey?: boolean }
  /** Read leniently by design (or owned by AWS and ignored): nothing here must be refused. */
  | { type: 'any' };

const text = (options: Omit<Extract<Kind, { type: 'string' }>, 'type'> = {}): Kind => ({
  type: 'string',
  ...options,
});

export const kinds = {
  text,
  family: text({ format: 'family' }),
  version: text({ format: 'version' }),
  ami: text({ format: 'ami' }),
  snapshot: text({ format: 'snapshot' }),
  instance: text({ format: 'instance' }),
  region: text({ format: 'region' }),
  timestamp: text({ format: 'timestamp' }),
  account: text({ format: 'account' }),
  id: (max: number) => text({ format: 'id', max }),
  int: (min?: number, max?: number): Kind => ({
    type: 'number',
    int: true,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
  }),
  num: (options: { min?: number; exclusiveMin?: boolean; max?: number } = {}): Kind => ({
    type: 'number',
    ...options,
  }),
  boolean: { type: 'boolean' } as Kind,
  oneOf: (...values: string[]): Kind => ({ type: 'enum', values }),
  literal: (value: string | number | boolean): Kind => ({ type: 'literal', value }),
  array: (min = 0): Kind => ({ type: 'array', min }),
  strict: { type: 'object', strict: true } as Kind,
  open: { type: 'object', strict: false } as Kind,
  record: (keys?: Format, min = 0): Kind => ({
    type: 'record',
    min,
    ...(keys === undefined ? {} : { keys }),
  }),
  any: { type: 'any' } as Kind,
} as const;

/** The loosest spelling of each format among the product's schemas (contracts, core, step inputs). */
const LOOSEST: Record<Format, RegExp> = {
  family: /^[a-z][a-z0-9-]{0,63}$/,
  version: /^(?:\d{4}\.\d{2}\.\d{2}\.\d+|\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/,
  ami: /^ami-[0-9a-f]{8,17}$/,
  snapshot: /^snap-[0-9a-f]{8,17}$/,
  instance: /^i-[0-9a-f]{8,17}$/,
  region: /^[a-z]{2}(?:-[a-z]+)+-\d+$/,
  timestamp: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/,
  account: /^\d{12}$/,
  id: /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/,
  sha256: /^[0-9a-f]{64}$/,
  ssmName: /^\/?[A-Za-z0-9_.\-/]+$/,
  channel: /^[a-z][a-z0-9-]*$/,
  findingArn: /^arn:aws[a-z-]*:inspector2:[a-z0-9-]+:\d{12}:finding\/[0-9a-f]+$/,
  vulnerabilityId: /^[A-Z][A-Z0-9]*-[A-Za-z0-9:._-]+$/,
  slug: /^[a-z][a-z0-9-]{0,62}$/,
  roleArn: /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
  kmsKey: /^(?:alias\/[A-Za-z0-9/_-]{1,250}|arn:aws(?:-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-z-]+)$/,
  ouArn:
    /^arn:aws(?:-cn|-us-gov)?:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/,
  orgId: /^o-[a-z0-9]{10,32}$/,
  instanceType: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/,
  subnet: /^subnet-[0-9a-f]{8,17}$/,
  securityGroup: /^sg-[0-9a-f]{8,17}$/,
  instanceProfile:
    /^(?:[\w+=,.@-]{1,128}|arn:aws(?:-cn|-us-gov)?:iam::\d{12}:instance-profile\/[\w+=,.@/-]{1,512})$/,
  ssmPath: /^\/[A-Za-z0-9_.\-/{}]+$/,
  imageOwner: /^(?:\d{12}|amazon|self|aws-marketplace)$/,
};

export const fitsFormat = (format: Format, value: string): boolean => LOOSEST[format].test(value);

/**
 * Injection attempts and near misses that no identifier of ours may take: prototype keys, paths, shell
 * and template metacharacters, JSON and YAML in a string, control and bidirectional characters,
 * look-alike letters, and lengths past every limit.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '__proto__',
  'constructor.prototype',
  '__proto__.polluted',
  '../../../etc/passwd',
  '..\\..\\windows\\system32',
  '/ami-lifecycle/../../aws/service',
  'golden-al2023/../payments-api',
  'golden-al2023; rm -rf /',
  'golden-al2023 && curl http://169.254.169.254/',
  '$(reboot)',
  '`id`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt, kept literally
  '${process.exit(1)}',
  '{{constructor.constructor("return process")()}}',
  '| cat /etc/shadow',
  '{"family":"golden-al2023","force":true}',
  '["golden-al2023"]',
  '!!js/function "process.exit()"',
  '*',
  '%s%s%s%n',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  'golden\u0000al2023',
  'golden-al2023\n',
  '\tgolden-al2023',
  'golden\r\nX-Injected: 1',
  'golden\u202eal2023',
  'golden\u200bal2023',
  'gоlden-al2023', // Cyrillic о
  'GOLDEN-AL2023',
  'golden_al2023',
  'golden al2023',
  '-golden',
  '0golden',
  'ami-',
  'ami-0A1B2C3D4E5F60718',
  'ami-0a1b2c3d4e5f607181234',
  'i-0123456789abcdef0 ',
  'snap-xyz',
  'eu-west-1; ls',
  'EU-WEST-1',
  'arn:aws:iam::111111111111:role/../../admin',
  '2026-13-45T25:61:61Z',
  'yesterday',
  'NaN',
  'null',
  'undefined',
  'true',
  '\ud800',
  '🦄🦄🦄',
  `golden-${'a'.repeat(64)}`,
  'a'.repeat(300),
];

/** Real detail-types and sources, each the wrong one for every function but one. */
const ROUTING_NAMES = [
  ...detailTypes,
  'EC2 AMI State Change',
  'Inspector2 Finding',
  'Scheduled Event',
  'Image Built ',
  'image built',
  'ami-lifecycle',
  'aws.ec2',
  'aws.inspector2',
  'aws.events',
  'aws.states',
];

/** Control characters, separators, quotes and the like, one of which makes any identifier invalid. */
const POISON = [
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u2028',
  '\u202e',
  '\ufeff',
  '/',
  '\\',
  '..',
  ';',
  '|',
  '&',
  '$',
  '`',
  '"',
  "'",
  '<',
  '>',
  '{',
  '}',
  ' ',
  '\n',
  '%',
  '*',
  '?',
  '#',
  '=',
];

/** A string of any size up to the event limit, in UTF-8 bytes. */
const hugeString = fc
  .integer({ min: 4 * 1024, max: HUGE })
  .chain((bytes) =>
    fc
      .constantFrom('a', 'x', '1', '-', '\u00e9')
      .map((c) => c.repeat(Math.floor(bytes / Buffer.byteLength(c)))),
  );

/** Strings built to carry a poison character inside otherwise plausible text. */
const poisoned = fc
  .tuple(fc.string({ maxLength: 20 }), fc.constantFrom(...POISON), fc.string({ maxLength: 20 }))
  .map(([a, p, b]) => `${a}${p}${b}`);

const anyString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: poisoned },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: hugeString },
);

const WRONG_TYPES: Record<'string' | 'number' | 'boolean' | 'array' | 'object', readonly Json[]> = {
  string: [0, -1, 1.5, 1e21, true, false, null, [], ['x'], {}, { toString: 'x' }],
  number: ['1', '0', '', 'NaN', '1e3', true, false, null, [], [1], {}, { valueOf: 1 }],
  boolean: ['true', 'false', 'yes', 1, 0, null, [], {}, { value: true }],
  array: [{}, { '0': 'x', length: 1 }, 'x', '[]', '["a"]', 1, 0, true, null],
  object: [[], [{}], 'x', '{}', '{"kind":"auto"}', 1, 0, true, false, null],
};

const typeOf = (kind: Kind): keyof typeof WRONG_TYPES | undefined => {
  switch (kind.type) {
    case 'string':
    case 'enum':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'array';
    case 'object':
    case 'record':
      return 'object';
    case 'literal':
      return typeof kind.value === 'number'
        ? 'number'
        : typeof kind.value === 'boolean'
          ? 'boolean'
          : 'string';
    case 'any':
      return undefined;
  }
};

/** Values of another JSON type than the field's (never refused by a field read leniently). */
export const wrongType = (kind: Kind): fc.Arbitrary<Json> | undefined => {
  const type = typeOf(kind);
  return type === undefined ? undefined : fc.constantFrom(...WRONG_TYPES[type]);
};

/** Values of the field's own JSON type that break its rule. */
export const badValue = (kind: Kind): fc.Arbitrary<Json> | undefined => {
  switch (kind.type) {
    case 'string': {
      const options: fc.Arbitrary<string>[] = [];
      if (kind.format !== undefined) {
        const format = kind.format;
        options.push(anyString.filter((s) => !fitsFormat(format, s)));
      }
      if (kind.min !== undefined && kind.min > 0) options.push(fc.constant(''));
      if (kind.nonBlank) options.push(fc.constantFrom(' ', '\t\n', '   '));
      if (kind.max !== undefined) {
        const max = kind.max;
        options.push(fc.integer({ min: max + 1, max: max + 64 }).map((n) => 'a'.repeat(n)));
        options.push(hugeString.filter((s) => s.length > max));
      }
      return options.length === 0 ? undefined : fc.oneof(...options);
    }
    case 'number': {
      const options: fc.Arbitrary<number>[] = [];
      if (kind.int) options.push(fc.constantFrom(0.5, 1.5, -2.25, 2 ** 53 + 2, 1e300));
      if (kind.min !== undefined) {
        const min = kind.min;
        options.push(fc.integer({ min: -1_000_000, max: kind.exclusiveMin ? min : min - 1 }));
      }
      if (kind.max !== undefined) {
        const max = kind.max;
        options.push(fc.integer({ min: Math.floor(max) + 1, max: Math.floor(max) + 1_000_000 }));
      }
      return options.length === 0 ? undefined : fc.oneof(...options);
    }
    case 'enum': {
      const values = new Set(kind.values);
      return fc
        .oneof(
          anyString,
          fc.constantFrom(...kind.values.map((v) => v.toUpperCase()), ...kind.values.map((v) => ` ${v}`)),
        )
        .filter((s) => !values.has(s));
    }
    case 'literal': {
      const value = kind.value;
      if (typeof value === 'boolean') return fc.constant(!value);
      return typeof value === 'number'
        ? fc.constantFrom(0, -1, value + 1, 2, 999, value + 0.5).filter((v) => v !== value)
        : fc.oneof(anyString, fc.constantFrom(...ROUTING_NAMES)).filter((s) => s !== value);
    }
    case 'array':
      return kind.min !== undefined && kind.min > 0 ? fc.constant([]) : undefined;
    case 'record':
      return kind.min !== undefined && kind.min > 0 ? fc.constant({}) : undefined;
    default:
      return undefined;
  }
};

/** A key no strict object of ours allows: prototype names, paths, injections, and plain unknown keys. */
export const unknownKey = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      '../family',
      'family ',
      'Family',
      '$where',
      '$(id)',
      '{"a":1}',
      'detail.family',
      '\u0000',
      '',
      'a'.repeat(1024),
      'priority',
      'schemaVersion2',
    ),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
);

/** A key a record of that format must refuse. */
export const badKey = (format: Format): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.constantFrom('__proto__', 'constructor', '../eu-west-1', 'EU-WEST-1', 'eu-west-1; ls', 'x'),
      poisoned,
    )
    .filter((key) => !fitsFormat(format, key));

/** Whole events that are not objects at all: the root itself is what is wrong. */
export const junkEvent: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    0,
    -1,
    1.5,
    true,
    false,
    '',
    'Build Requested',
    [],
    [{}],
    '{"detail-type":"Build Requested"}',
  ),
  hugeString,
  fc.array(
    fc.json({ maxDepth: 2 }).map((text) => JSON.parse(text) as Json),
    { maxLength: 5 },
  ),
  fc.integer({ min: 50, max: 1000 }).map((depth) => {
    let value: Json = [];
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  }),
);

/** A value nested far deeper than any event of ours: a parser that recurses must not fall over. */
export const deepValue: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 50, max: 1000 }), fc.boolean())
  .map(([depth, asArray]) => {
    let value: Json = asArray ? [] : {};
    for (let i = 0; i < depth; i++) value = asArray ? [value] : { family: value };
    return value;
  });
