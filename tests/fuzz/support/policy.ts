/**
 * Malformed policy files: the example policy (and a minimal one) with one field corrupted, written as
 * YAML or JSON, and text-level attacks a parser meets (duplicate keys, alias bombs, deep nesting, oversize
 * files, syntax garbage). Each case says which field, or which limit, its refusal must name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isMap, isScalar, isSeq, parse, parseDocument, stringify } from 'yaml';
import { badKey, badValue, type Kind, kinds as k, unknownKey, wrongType } from './hostile';
import {
  clone,
  deleteAt,
  formatPath,
  getAt,
  isRecord,
  type Json,
  matches,
  nodes,
  type Path,
  setAt,
} from './paths';

export const EXAMPLE_FILE = join(__dirname, '..', '..', '..', 'examples', 'ami-lifecycle.yaml');
export const EXAMPLE_TEXT = readFileSync(EXAMPLE_FILE, 'utf8');
export const EXAMPLE = parse(EXAMPLE_TEXT) as Json;

/** The least a policy can say: one account, the home region, one golden family. */
export const MINIMAL: Json = {
  apiVersion: 'ami-lifecycle/v1',
  accounts: { tooling: { id: '111111111111' } },
  regions: { home: 'eu-west-1' },
  families: {
    'base-os': {
      kind: 'golden',
      source: { amiId: 'ami-0123456789abcdef0' },
      build: {
        instanceType: 't3.small',
        instanceProfile: 'ami-lifecycle-builder',
        rootVolume: { sizeGiB: 8, kmsKeyId: 'alias/ami-lifecycle' },
      },
      retention: { keepLatest: 3 },
    },
  },
};

/** What a refused policy must name: a field by its dotted path, or a limit (the file as a whole). */
export type Expectation =
  /** `wholeFile`: a file the YAML parser cannot read at all may be refused as a whole instead. */
  | { path: Path; wholeFile?: boolean }
  | { limit: RegExp }
  /** Garbage: refused, each problem placed by its path or its line in the file. */
  | { located: true };

export interface PolicyCase {
  what: string;
  text: string;
  expect: Expectation;
  /** The same policy as an object, for `validatePolicy` (what a caller holding JSON or YAML objects uses). */
  object?: Json;
}

const FAMILY = 'families.*';

// The notify events by where they may be listed (docs/configuration.md).
const FAMILY_EVENTS = [
  'inspection-completed',
  'image-rejected',
  'build-failed',
  'image-vulnerable',
  'image-published',
] as const;
const ORGANISATION_EVENTS = [...FAMILY_EVENTS, 'sweep-completed', 'dead-letters'] as const;
const ORIGINATOR_EVENTS = [
  'inspection-completed',
  'image-rejected',
  'build-failed',
  'image-published',
] as const;

/** The policy's fields by path pattern: the first match wins. Written from the policy's documentation. */
const FIELDS: readonly (readonly [string, Kind])[] = [
  ['', k.strict],
  ['apiVersion', k.literal('ami-lifecycle/v1')],
  ['organization', k.strict],
  ['organization.id', k.text({ format: 'orgId' })],
  ['organization.managementAccountId', k.account],
  ['accounts', k.record('slug')],
  ['accounts.*', k.strict],
  ['accounts.*.id', k.account],
  ['accounts.*.roleArn', k.text({ format: 'roleArn' })],
  ['accounts.*.regions', k.array(1)],
  ['accounts.*.regions.*', k.region],
  ['regions', k.strict],
  ['regions.home', k.region],
  ['regions.enabled', k.array()],
  ['regions.enabled.*', k.region],
  ['waivers', k.strict],
  ['waivers.maxDays', k.int(1, 3650)],
  ['sweep', k.strict],
  ['sweep.maxRetirementsPerRun', k.int(0)],
  ['sweep.maxInventoryAgeMinutes', k.num({ min: 0, exclusiveMin: true })],
  ['sweep.afterPolicyChange', k.oneOf('dry-run', 'apply')],
  ['sweep.snapshotPricePerGiBMonth', k.record('region')],
  ['sweep.snapshotPricePerGiBMonth.*', k.num({ min: 0, exclusiveMin: true, max: 10 })],
  ['notify', k.strict],
  ['notify.recipients', k.array()],
  ['notify.recipients.*', k.strict],
  ['notify.recipients.*.address', k.text({ max: 254 })],
  ['notify.recipients.*.events', k.array(1)],
  ['notify.recipients.*.events.*', k.oneOf(...ORGANISATION_EVENTS)],
  ['notify.topicArn', k.text()],
  ['notify.originators', k.strict],
  ['notify.originators.domains', k.array()],
  ['notify.originators.domains.*', k.text({ max: 253 })],
  ['notify.originators.events', k.array(1)],
  ['notify.originators.events.*', k.oneOf(...ORIGINATOR_EVENTS)],
  ['families', k.record('family')],
  [FAMILY, k.strict],
  [`${FAMILY}.kind`, k.oneOf('golden', 'application')],
  [`${FAMILY}.name`, k.family],
  [`${FAMILY}.description`, k.text({ max: 255 })],
  // Should be strict: see POLICY_KNOWN_GAPS (an unknown key under `source` is dropped, not refused).
  [`${FAMILY}.source`, k.open],
  [`${FAMILY}.source.amiId`, k.ami],
  [`${FAMILY}.source.nameFilter`, k.text({ min: 1, max: 128 })],
  [`${FAMILY}.source.owners`, k.array(1)],
  [`${FAMILY}.source.owners.*`, k.text({ format: 'imageOwner' })],
  [`${FAMILY}.source.ssmParameter`, k.text({ format: 'ssmName', max: 1011 })],
  [`${FAMILY}.parent`, k.strict],
  [`${FAMILY}.parent.family`, k.family],
  [`${FAMILY}.parent.channel`, k.text({ format: 'channel', max: 32 })],
  [`${FAMILY}.versioning`, k.strict],
  [`${FAMILY}.versioning.scheme`, k.oneOf('calendar', 'semver')],
  [`${FAMILY}.build`, k.strict],
  [`${FAMILY}.build.instanceType`, k.text({ format: 'instanceType' })],
  [`${FAMILY}.build.subnet`, k.text({ format: 'subnet' })],
  [`${FAMILY}.build.securityGroup`, k.text({ format: 'securityGroup' })],
  [`${FAMILY}.build.instanceProfile`, k.text({ format: 'instanceProfile' })],
  [`${FAMILY}.build.components`, k.array()],
  [`${FAMILY}.build.components.*`, k.strict],
  [`${FAMILY}.build.components.*.name`, k.text({ format: 'slug' })],
  [`${FAMILY}.build.components.*.kind`, k.oneOf('os-update', 'agent', 'hardening', 'application', 'custom')],
  [`${FAMILY}.build.components.*.commands`, k.array(1)],
  [`${FAMILY}.build.components.*.commands.*`, k.text({ nonBlank: true })],
  [`${FAMILY}.build.components.*.timeoutSeconds`, k.int(1, 172_800)],
  [`${FAMILY}.build.rootVolume`, k.strict],
  [`${FAMILY}.build.rootVolume.sizeGiB`, k.int(1, 16_384)],
  [`${FAMILY}.build.rootVolume.kmsKeyId`, k.text({ format: 'kmsKey' })],
  [`${FAMILY}.build.rootVolume.encrypted`, k.literal(true)],
  [`${FAMILY}.inspect`, k.strict],
  [`${FAMILY}.inspect.gate`, k.strict],
  [`${FAMILY}.inspect.gate.maxFindings`, k.strict],
  [`${FAMILY}.inspect.gate.maxFindings.*`, k.int(0)],
  [`${FAMILY}.inspect.gate.fixAvailableOnly`, k.boolean],
  [`${FAMILY}.inspect.gate.waivers`, k.array()],
  [`${FAMILY}.inspect.gate.waivers.*`, k.strict],
  [`${FAMILY}.inspect.gate.waivers.*.id`, k.text({ min: 1 })],
  [`${FAMILY}.inspect.gate.waivers.*.reason`, k.text({ min: 1 })],
  [`${FAMILY}.inspect.gate.waivers.*.approvedBy`, k.text({ min: 1 })],
  [`${FAMILY}.inspect.gate.waivers.*.expiresAt`, k.timestamp],
  [`${FAMILY}.inspect.tests`, k.array()],
  [`${FAMILY}.inspect.tests.*`, k.strict],
  [`${FAMILY}.inspect.tests.*.name`, k.text({ format: 'slug' })],
  [`${FAMILY}.inspect.tests.*.commands`, k.array(1)],
  [`${FAMILY}.inspect.tests.*.commands.*`, k.text({ nonBlank: true })],
  [`${FAMILY}.inspect.tests.*.timeoutSeconds`, k.int(1, 172_800)],
  [`${FAMILY}.inspect.reinspectEveryDays`, k.int(1)],
  [`${FAMILY}.inspect.scanTimeoutMinutes`, k.int(1, 1440)],
  [`${FAMILY}.publish`, k.strict],
  [`${FAMILY}.publish.approval`, k.oneOf('auto', 'manual')],
  [`${FAMILY}.publish.channels`, k.array(1)],
  [`${FAMILY}.publish.channels.*`, k.text({ format: 'channel', max: 32 })],
  [`${FAMILY}.publish.regions`, k.array(1)],
  [`${FAMILY}.publish.regions.*`, k.region],
  [`${FAMILY}.publish.sharing`, k.strict],
  [`${FAMILY}.publish.sharing.accounts`, k.array()],
  // A name from `accounts` or a listed id: anything else names no account.
  [`${FAMILY}.publish.sharing.accounts.*`, k.text({ format: 'slug' })],
  [`${FAMILY}.publish.sharing.organization`, k.boolean],
  [`${FAMILY}.publish.sharing.organizationalUnits`, k.array()],
  [`${FAMILY}.publish.sharing.organizationalUnits.*`, k.text({ format: 'ouArn' })],
  [`${FAMILY}.publish.ssmParameterPath`, k.text({ format: 'ssmPath' })],
  [`${FAMILY}.refresh`, k.strict],
  [`${FAMILY}.refresh.onParentPublish`, k.boolean],
  [`${FAMILY}.refresh.onVulnerable`, k.boolean],
  [`${FAMILY}.refresh.maxBaseAgeDays`, k.int(1)],
  [`${FAMILY}.retention`, k.strict],
  [`${FAMILY}.retention.keepLatest`, k.int(1)],
  [`${FAMILY}.retention.maxAgeDays`, k.num({ min: 0 })],
  [`${FAMILY}.retention.retainAtLeast`, k.int(1)],
  [`${FAMILY}.retention.disableAfterDeprecatedDays`, k.num({ min: 0 })],
  [`${FAMILY}.retention.retireAfterDisabledDays`, k.num({ min: 0 })],
  [`${FAMILY}.retention.inUseGraceDays`, k.num({ min: 0 })],
  [`${FAMILY}.retention.failedRetireAfterDays`, k.num({ min: 0 })],
  [`${FAMILY}.retention.maxRetirementsPerRun`, k.int(0)],
  [`${FAMILY}.retention.outOfDate`, k.strict],
  [`${FAMILY}.retention.outOfDate.graceDays`, k.num({ min: 0 })],
  [`${FAMILY}.tags`, k.record()],
  [`${FAMILY}.tags.*`, k.text({ max: 256 })],
  [`${FAMILY}.notify`, k.strict],
  [`${FAMILY}.notify.recipients`, k.array()],
  [`${FAMILY}.notify.recipients.*`, k.strict],
  [`${FAMILY}.notify.recipients.*.address`, k.text({ max: 254 })],
  [`${FAMILY}.notify.recipients.*.events`, k.array(1)],
  [`${FAMILY}.notify.recipients.*.events.*`, k.oneOf(...FAMILY_EVENTS)],
  [`${FAMILY}.notify.topicArn`, k.text()],
];

/** Fields a policy may leave out (a default applies, or the section is optional). */
const OPTIONAL = [
  'organization',
  'accounts.*.roleArn',
  'accounts.*.regions',
  'regions.enabled',
  'sweep',
  'sweep.*',
  'waivers',
  'waivers.*',
  'notify',
  'notify.*',
  'notify.originators.*',
  `${FAMILY}.name`,
  `${FAMILY}.description`,
  `${FAMILY}.versioning`,
  `${FAMILY}.versioning.*`,
  // Exactly one way to find the source: removing one part is reported on `source` as a whole.
  `${FAMILY}.source.*`,
  `${FAMILY}.build.subnet`,
  `${FAMILY}.build.securityGroup`,
  `${FAMILY}.build.components`,
  `${FAMILY}.build.components.*.timeoutSeconds`,
  `${FAMILY}.build.rootVolume.encrypted`,
  `${FAMILY}.inspect`,
  `${FAMILY}.inspect.**`,
  `${FAMILY}.publish`,
  `${FAMILY}.publish.**`,
  `${FAMILY}.refresh`,
  `${FAMILY}.refresh.*`,
  `${FAMILY}.retention.*`,
  `${FAMILY}.tags`,
  `${FAMILY}.notify`,
  `${FAMILY}.notify.*`,
];
// Required inside optional sections: a waiver's and a test's fields, the out-of-date grace.
const REQUIRED = [
  `${FAMILY}.retention.keepLatest`,
  `${FAMILY}.retention.outOfDate.graceDays`,
  `${FAMILY}.inspect.gate.waivers.*.*`,
  `${FAMILY}.inspect.tests.*.name`,
  `${FAMILY}.inspect.tests.*.commands`,
];

const kindAt = (path: Path, value: Json): Kind => {
  const found = FIELDS.find(([pattern]) => matches(path, pattern));
  if (found !== undefined) return found[1];
  if (Array.isArray(value)) return k.array();
  if (isRecord(value)) return k.strict;
  return k.text();
};

const optional = (path: Path): boolean =>
  !REQUIRED.some((p) => matches(path, p)) && OPTIONAL.some((p) => matches(path, p));

const RESERVED = ['__proto__', 'constructor', 'prototype'] as const;

/** Written as YAML or as JSON (which is YAML too); both must be read the same way. */
const render = (policy: Json, json: boolean): string =>
  json ? JSON.stringify(policy, null, 2) : stringify(policy, { lineWidth: 0 });

const PAYLOAD: Json = { polluted: 'yes', isAdmin: true };

/** Values nested deeper than any policy, small enough to stay a file the parser reads. */
const nested: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 10, max: 200 }), fc.boolean())
  .map(([depth, asArray]) => {
    let value: Json = asArray ? [] : {};
    for (let i = 0; i < depth; i++) value = asArray ? [value] : { kind: value };
    return value;
  });

/** One field of a valid policy corrupted: wrong type, bad value, missing, unknown or reserved key. */
const fieldCases = (name: string, base: Json): fc.Arbitrary<{ what: string; policy: Json; path: Path }>[] =>
  nodes(base)
    .filter(({ path }) => path.length > 0)
    .flatMap(({ path, value }) => {
      const kind = kindAt(path, value);
      const make = (what: string) => (replacement: Json) => ({
        what: `${what} at ${formatPath(path)} of the ${name} policy`,
        policy: setAt(base, path, replacement),
        path,
      });
      const options: fc.Arbitrary<{ what: string; policy: Json; path: Path }>[] = [];
      const wrong = wrongType(kind);
      if (wrong !== undefined) options.push(wrong.map(make('wrong type')));
      const bad = badValue(kind);
      if (bad !== undefined) options.push(bad.map(make('bad value')));
      if (kind.type === 'string' || kind.type === 'number' || kind.type === 'enum') {
        options.push(nested.map(make('deeply nested value')));
      }
      const last = path[path.length - 1];
      const parent = path.slice(0, -1);
      const inRecord = kindAt(parent, getAt(base, parent) ?? null).type === 'record';
      if (typeof last === 'string' && !inRecord && !optional(path)) {
        options.push(
          fc.constant({
            what: `missing ${formatPath(path)} of the ${name} policy`,
            policy: deleteAt(base, path),
            path,
          }),
        );
      }
      if (kind.type === 'object' || kind.type === 'record') {
        const keys =
          kind.type === 'object' && kind.strict
            ? unknownKey
            : kind.type === 'record' && kind.keys !== undefined
              ? fc.oneof(badKey(kind.keys), fc.constantFrom(...RESERVED))
              : fc.constantFrom(...RESERVED);
        options.push(
          keys
            .filter((key) => key !== '<<')
            .map((key) => ({
              what: `key ${JSON.stringify(key.slice(0, 40))} added to ${formatPath(path)} of the ${name} policy`,
              policy: setAt(base, [...path, key], clone(PAYLOAD)),
              path: [...path, key],
            })),
        );
      }
      return options;
    });

/**
 * Whether `validatePolicy` is known to let the key at `path` through: a reserved name as the key of a map
 * of names, or under a family's source (see POLICY_KNOWN_GAPS). Files are not affected: `parsePolicy`
 * refuses such keys in the YAML before it validates.
 */
const objectGap = (base: Json, path: Path): boolean => {
  const parent = kindAt(path.slice(0, -1), getAt(base, path.slice(0, -1)) ?? null);
  return (
    RESERVED.includes(path[path.length - 1] as (typeof RESERVED)[number]) &&
    (parent.type === 'record' || (parent.type === 'object' && !parent.strict))
  );
};

const fieldCase = (name: string, base: Json): fc.Arbitrary<PolicyCase> =>
  fc.tuple(fc.oneof(...fieldCases(name, base)), fc.boolean()).map(([c, json]) => ({
    what: `${c.what} (${json ? 'JSON' : 'YAML'})`,
    text: render(c.policy, json),
    expect: { path: c.path },
    ...(objectGap(base, c.path) ? {} : { object: c.policy }),
  }));

/** Every key of the example written on a line of its own (not in a flow or a list item), with its path. */
const KEY_LINES: readonly { line: number; path: Path }[] = (() => {
  const doc = parseDocument(EXAMPLE_TEXT);
  const lineOf = (offset: number) => EXAMPLE_TEXT.slice(0, offset).split('\n').length - 1;
  const out: { line: number; path: Path }[] = [];
  const walk = (node: unknown, path: Path): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const start = pair.key.range?.[0];
        if (start !== undefined && !node.flow) {
          const line = lineOf(start);
          if (/^\s*[A-Za-z0-9_-]+:/.test(EXAMPLE_TEXT.split('\n')[line] ?? ''))
            out.push({ line, path: [...path, key] });
        }
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...path, i]);
    }
  };
  walk(doc.contents, []);
  return out;
})();

/** A key of the example written twice: the second one must be named, not silently win. */
const duplicateKey: fc.Arbitrary<PolicyCase> = fc.constantFrom(...KEY_LINES).map(({ line, path }) => {
  const lines = EXAMPLE_TEXT.split('\n');
  lines.splice(line, 0, lines[line]!.replace(/:.*$/, ': duplicate'));
  return {
    what: `${formatPath(path)} written twice`,
    text: lines.join('\n'),
    expect: { path },
  };
});

/** "Billion laughs": each level aliases the one before it several times. */
const aliasBomb: fc.Arbitrary<PolicyCase> = fc
  .tuple(fc.integer({ min: 4, max: 12 }), fc.integer({ min: 5, max: 12 }), fc.boolean())
  .map(([levels, width, underFamily]) => {
    const lines = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < levels; i++) {
      lines.push(`l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
    }
    const bomb = underFamily
      ? EXAMPLE_TEXT.replace(
          '    tags:\n      cost-center: platform',
          `    tags:\n      cost-center: platform\n      bomb: *l${levels - 1}`,
        )
      : EXAMPLE_TEXT;
    return {
      what: `alias bomb of ${levels} levels of ${width}`,
      text: `x-bomb:\n${lines.map((l) => `  ${l}`).join('\n')}\n${underFamily ? '' : `x-laugh: *l${levels - 1}\n`}${bomb}`,
      expect: { limit: /alias/i },
    };
  });

/** A file past the 1 MiB limit, however the bytes are spent. */
const oversize: fc.Arbitrary<PolicyCase> = fc
  .tuple(
    fc.integer({ min: 1, max: 512 * 1024 }),
    fc.constantFrom('comment', 'description', 'padding', 'multibyte'),
  )
  .map(([extra, how]) => {
    const room = 1024 * 1024 - Buffer.byteLength(EXAMPLE_TEXT, 'utf8') + extra;
    const text =
      how === 'comment'
        ? `${EXAMPLE_TEXT}\n#${'x'.repeat(room)}\n`
        : how === 'description'
          ? EXAMPLE_TEXT.replace('description: Amazon Linux', `description: ${'A'.repeat(room)} Amazon Linux`)
          : how === 'multibyte'
            ? `${EXAMPLE_TEXT}\n# ${'\u00e9'.repeat(Math.ceil(room / 2))}\n`
            : `${EXAMPLE_TEXT}${' '.repeat(room)}\n`;
    return {
      what: `${how} making the file ${extra} bytes too large`,
      text,
      expect: { limit: /1048576 bytes|1 MiB/ },
    };
  });

/** A family whose stored config would pass DynamoDB's 400 KB item limit, in a file under 1 MiB. */
const familyTooLarge: fc.Arbitrary<PolicyCase> = fc
  .integer({ min: 420 * 1024, max: 900 * 1024 })
  .map((size) => ({
    what: `a family of ${size} bytes`,
    text: EXAMPLE_TEXT.replace('- dnf clean all', `- echo ${'x'.repeat(size)}`),
    expect: { path: ['families', 'golden-al2023'] },
  }));

/** Nesting far deeper than any policy: refused (at the field, or as a file the parser cannot read). */
const deepNesting: fc.Arbitrary<PolicyCase> = fc
  .tuple(fc.integer({ min: 20, max: 4000 }), fc.constantFrom('[', '{a: '), fc.boolean())
  .map(([depth, open, json]) => {
    const close = open === '[' ? ']' : '}';
    const value = `${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}`;
    const text = json
      ? JSON.stringify(parse(EXAMPLE_TEXT)).replace(
          '"cost-center":"platform"',
          `"cost-center":${value.replaceAll('a: ', '"a": ')}`,
        )
      : EXAMPLE_TEXT.replace('cost-center: platform', `cost-center: ${value}`);
    return {
      what: `${depth} levels of ${open} in a tag (${json ? 'JSON' : 'YAML'})`,
      text,
      expect: { path: ['families', 'golden-al2023', 'tags', 'cost-center'], wholeFile: true },
    };
  });

/** Parents that lead back to themselves: no family in the loop has a base to build from. */
const cyclicParents: fc.Arbitrary<PolicyCase> = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.boolean())
  .map(([length, json]) => {
    const policy = clone(EXAMPLE) as Record<string, Json>;
    const families = policy.families as Record<string, Json>;
    const template = families['orders-worker'] as Record<string, Json>;
    const names = Array.from({ length }, (_, i) => `cycle-${String.fromCharCode(97 + i)}`);
    names.forEach((name, i) => {
      families[name] = {
        ...clone(template),
        parent: { family: names[(i + 1) % length]!, channel: 'latest' },
        publish: { approval: 'auto', channels: ['latest'] },
      };
    });
    return {
      what: `a cycle of ${length} parents (${json ? 'JSON' : 'YAML'})`,
      text: render(policy, json),
      expect: { path: ['families', names[0]!, 'parent', 'family'] },
    };
  });

/** Waivers whose date is no date, or lies further ahead than `waivers.maxDays` allows. */
export const badWaiverDate = (now: Date): fc.Arbitrary<PolicyCase> =>
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom(
          '2026-02-30T00:00:00Z',
          '2026-04-31T12:00:00Z',
          '2026-13-01T00:00:00Z',
          '2026-06-30',
          '2026-06-30T00:00:00',
          '30/06/2026',
          'tomorrow',
          'never',
          '9999-99-99T99:99:99Z',
          '2026-06-30T00:00:00+25:00',
          '',
        ),
        fc
          .integer({ min: 366, max: 200_000 })
          .map((days) => new Date(now.getTime() + days * 86_400_000).toISOString()),
      ),
      fc.constantFrom(0, 1),
      fc.boolean(),
    )
    .map(([date, waiver, json]) => {
      const policy = setAt(
        EXAMPLE,
        ['families', 'golden-al2023', 'inspect', 'gate', 'waivers'],
        [
          {
            id: 'CVE-2024-6387',
            reason: 'not reachable',
            approvedBy: 'security@example.com',
            expiresAt: '2026-12-31T23:59:59Z',
          },
          {
            id: 'CVE-2025-0001',
            reason: 'not used',
            approvedBy: 'security@example.com',
            expiresAt: '2026-12-31T23:59:59Z',
          },
        ],
      );
      const path = ['families', 'golden-al2023', 'inspect', 'gate', 'waivers', waiver, 'expiresAt'];
      return {
        what: `waiver ${waiver} expiring ${JSON.stringify(date)} (${json ? 'JSON' : 'YAML'})`,
        text: render(setAt(policy, path, date), json),
        expect: { path },
      };
    });

/** Account ids written as YAML numbers: `012345678901` would silently become another account. */
const unquotedAccountId: fc.Arbitrary<PolicyCase> = fc
  .constantFrom(
    ['accounts', 'tooling', 'id'],
    ['accounts', 'workloads', 'id'],
    ['organization', 'managementAccountId'],
  )
  .chain((path) =>
    fc.constantFrom('012345678901', '222222222222', '1e11', '0x1F').map((digits) => {
      const { line } = KEY_LINES.find((l) => formatPath(l.path) === formatPath(path))!;
      const lines = EXAMPLE_TEXT.split('\n');
      lines[line] = lines[line]!.replace(`"${String(getAt(EXAMPLE, path))}"`, digits);
      return {
        what: `${formatPath(path)} written as the number ${digits}`,
        text: lines.join('\n'),
        expect: { path } as Expectation,
      };
    }),
  );

/** Whole files that are not a policy at all. */
const notAPolicy: fc.Arbitrary<PolicyCase> = fc
  .oneof(
    fc.constantFrom(
      '',
      '\n',
      '# only a comment\n',
      '~',
      'null',
      '42',
      'true',
      '"a string"',
      '[]',
      '- a\n- b\n',
      '{}',
    ),
    fc.constantFrom(
      '!!binary aGVsbG8=',
      '!!js/function "function(){return process}"',
      '--- !ruby/object:Gem::Installer\ni: x\n',
    ),
    fc.constantFrom(
      '---\napiVersion: ami-lifecycle/v1\n---\napiVersion: ami-lifecycle/v1\n',
      '\u0000\u0001\u0002',
      '\ufeff\ufeff{',
    ),
  )
  .map((text) => ({
    what: `the file ${JSON.stringify(text.slice(0, 60))}`,
    text,
    expect: { located: true },
  }));

/** The example with bytes thrown in at random places: whatever it becomes, it is refused or read whole. */
const garbled: fc.Arbitrary<PolicyCase> = fc
  .array(
    fc.tuple(
      fc.integer({ min: 0, max: EXAMPLE_TEXT.length - 1 }),
      fc.constantFrom(
        '\t',
        ':',
        '- ',
        '{',
        '}',
        '[',
        ']',
        '"',
        "'",
        '&a ',
        '*a',
        '!',
        '%',
        '@',
        '`',
        '\n  ',
        '\u0000',
        '#',
        '|',
        '>',
      ),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((edits) => {
    let text = EXAMPLE_TEXT;
    for (const [at, insert] of [...edits].sort((a, b) => b[0] - a[0]))
      text = text.slice(0, at) + insert + text.slice(at);
    return {
      what: `the example with ${JSON.stringify(edits)} inserted`,
      text,
      expect: { located: true } as Expectation,
    };
  });

/** A thousand-odd malformed files: mostly one corrupted field, the rest the attacks above. */
export const malformedPolicies = (now: Date): fc.Arbitrary<PolicyCase> =>
  fc.oneof(
    { weight: 30, arbitrary: fieldCase('example', EXAMPLE) },
    { weight: 30, arbitrary: fieldCase('minimal', MINIMAL) },
    { weight: 5, arbitrary: duplicateKey },
    { weight: 4, arbitrary: aliasBomb },
    { weight: 3, arbitrary: oversize },
    { weight: 2, arbitrary: familyTooLarge },
    { weight: 4, arbitrary: deepNesting },
    { weight: 4, arbitrary: cyclicParents },
    { weight: 5, arbitrary: badWaiverDate(now) },
    { weight: 3, arbitrary: unquotedAccountId },
    { weight: 3, arbitrary: notAPolicy },
    { weight: 7, arbitrary: garbled },
  );

/** Shortened, so a failure report stays readable. */
export const describeCase = (c: PolicyCase): string =>
  `${c.what}\n${c.text.length > 4000 ? `${c.text.slice(0, 2000)}\n...<${c.text.length} characters>` : c.text}`;

/**
 * Files the parser refuses without naming what it should: holes found by this suite and not closed yet.
 * `policy.test.ts` holds each as a failing expectation that turns red the day it is fixed.
 */
/** Files the parser once took, or refused without naming why: each must now be refused as it says. */
export const POLICY_REGRESSIONS: readonly (PolicyCase & { problem: string })[] = [
  {
    problem:
      'validatePolicy (the check of an already-parsed policy object) refuses a family, account or tag named ' +
      '`__proto__`, `constructor` or `prototype`, as parsePolicy does (zod records would skip `__proto__`)',
    what: 'a family named __proto__, as an object',
    text: '',
    object: JSON.parse(
      JSON.stringify(MINIMAL).replace(
        '"families":{',
        '"families":{"__proto__":{"kind":"golden","polluted":true},',
      ),
    ) as Json,
    expect: { path: ['families', '__proto__'] },
  },
  {
    problem:
      "an unknown key under a family's source is refused, not dropped: `source: { amiId: ..., owner: [...] }` " +
      '(owners misspelt) names `owner`',
    what: 'owner (for owners) under source',
    text: stringify(
      setAt(MINIMAL, ['families', 'base-os', 'source'], {
        amiId: 'ami-0123456789abcdef0',
        owner: ['amazon'],
      }),
    ),
    expect: { path: ['families', 'base-os', 'source', 'owner'] },
  },
  {
    problem:
      'a key written twice whose first occurrence is empty is named with its path, although the YAML ' +
      "parser reports it where the first occurrence's value would be",
    what: 'tags written twice, the first empty',
    text: EXAMPLE_TEXT.replace(
      '    tags:\n      cost-center: platform',
      '    tags:\n    tags:\n      cost-center: platform',
    ),
    expect: { path: ['families', 'golden-al2023', 'tags'] },
  },
  {
    problem:
      "nesting deeper than the YAML parser's stack is refused naming the nesting limit, before the parser " +
      'runs out of stack',
    what: '5000 levels of [ in a tag',
    text: EXAMPLE_TEXT.replace(
      'cost-center: platform',
      `cost-center: ${'['.repeat(5000)}${']'.repeat(5000)}`,
    ),
    expect: { limit: /nest|deep|depth|levels/i },
  },
];
