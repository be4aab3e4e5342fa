import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { DAY_MS } from '../clock';
import { ValidationError } from '../errors';
import {
  isPublicPrincipal,
  isPublicSharingKey,
  POLICY_API_VERSION,
  type Policy,
  PUBLIC_SHARING_MESSAGE,
  policySchema,
} from './policy-schema';

/** One problem in a policy, at a dotted path such as `families.payments-api.retention.keepLatest`. */
export interface PolicyIssue {
  path: string;
  message: string;
}

export type PolicyValidationResult = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

type Segment = string | number;

interface LocatedIssue {
  segments: Segment[];
  message: string;
  /** The issue is about a key itself (an unknown key), not about its value. */
  atKey: boolean;
}

const DEFAULT_SUBJECT = 'policy';

/** A policy file larger than this is refused before it is parsed (a policy is a few KiB; 1 MiB is plenty). */
export const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Without a `storable` check (see `ParsePolicyOptions`), the most a family's config may take as JSON: a
 * conservative bound under DynamoDB's 400 KB item size, leaving room for the keys and bookkeeping the
 * stored item carries besides the config.
 */
export const MAX_FAMILY_CONFIG_BYTES = 350 * 1024;

/** Something of a valid policy that could not be stored, at its path in the file. */
export interface StorageIssue {
  path: (string | number)[];
  message: string;
}

/** Keys that would change an object's prototype, not add an entry, once the YAML becomes objects. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const dotted = (segments: readonly PropertyKey[]): string => segments.map(String).join('.');

const valueAt = (input: unknown, segments: readonly Segment[]): unknown =>
  segments.reduce<unknown>(
    (node, segment) =>
      typeof node === 'object' && node !== null ? (node as Record<Segment, unknown>)[segment] : undefined,
    input,
  );

/** Whether a value names everyone anywhere inside it, as in `launchPermission: { group: all }`. */
const mentionsPublic = (value: unknown): boolean => {
  if (typeof value === 'string') return isPublicPrincipal(value);
  if (Array.isArray(value)) return value.some(mentionsPublic);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([k, v]) => isPublicSharingKey(k) || mentionsPublic(v));
  }
  return false;
};

const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
};

const unknownKeyMessage = (key: string, allowed: readonly string[] | undefined): string => {
  if (allowed === undefined || allowed.length === 0) return 'unknown key';
  const close = allowed.find(
    (candidate) => candidate.toLowerCase() === key.toLowerCase() || editDistance(candidate, key) <= 2,
  );
  return close === undefined
    ? `unknown key (allowed here: ${allowed.join(', ')})`
    : `unknown key (did you mean "${close}"?)`;
};

const shapeKeys = (schema: unknown): string[] | undefined => {
  const shape =
    typeof schema === 'object' && schema !== null ? (schema as { shape?: unknown }).shape : undefined;
  return typeof shape === 'object' && shape !== null ? Object.keys(shape) : undefined;
};

/** Validates a plain object and returns the issues with raw paths, so a caller holding the YAML can place them. */
const check = (input: unknown): { ok: true; policy: Policy } | { ok: false; issues: LocatedIssue[] } => {
  // zod reports an unknown key on its object, not on the key; the allowed keys are only known while
  // the message is being made, so they are kept here to say "did you mean" per key afterwards.
  const allowedKeys = new Map<string, string[]>();
  const errorMap = (iss: z.core.$ZodRawIssue): string | undefined => {
    if (iss.code === 'unrecognized_keys') {
      const allowed = shapeKeys(iss.inst);
      if (allowed !== undefined) allowedKeys.set(dotted(iss.path ?? []), allowed);
    }
    if (iss.code === 'invalid_type' && iss.input === undefined) return 'is required';
    if (iss.code === 'invalid_type' && iss.input === null) return `is empty; expected ${iss.expected}`;
    if (iss.code === 'invalid_format' && iss.format === 'datetime') {
      return 'must be an ISO 8601 date-time with a time zone, like 2026-06-30T00:00:00Z';
    }
    return undefined;
  };
  const result = policySchema.safeParse(input, { error: errorMap });
  if (result.success) return { ok: true, policy: result.data };

  const issues: LocatedIssue[] = [];
  for (const issue of result.error.issues) {
    const segments = issue.path.filter((s): s is Segment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const parent = segments.at(-1);
      const sharingContext = parent === 'sharing' || parent === 'publish';
      for (const key of issue.keys) {
        const isPublic =
          sharingContext && (isPublicSharingKey(key) || mentionsPublic(valueAt(input, [...segments, key])));
        const message = isPublic
          ? PUBLIC_SHARING_MESSAGE
          : unknownKeyMessage(key, allowedKeys.get(dotted(segments)));
        issues.push({ segments: [...segments, key], message, atKey: true });
      }
    } else if (issue.code === 'invalid_key') {
      issues.push({ segments, message: `key ${issue.issues[0]?.message ?? 'is invalid'}`, atKey: true });
    } else {
      issues.push({ segments, message: issue.message, atKey: false });
    }
  }
  const seen = new Set<string>();
  return {
    ok: false,
    issues: issues.filter((issue) => {
      const id = `${dotted(issue.segments)}\u0000${issue.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    }),
  };
};

/**
 * A valid policy that could not be stored is refused, naming what and the limit: by the caller's
 * `storable` check when given (the catalog measures its items exactly), else by the JSON size bound.
 */
const tooLarge = (
  result: ReturnType<typeof check>,
  storable?: (policy: Policy) => readonly StorageIssue[],
): ReturnType<typeof check> => {
  if (!result.ok) return result;
  if (storable !== undefined) {
    const issues = storable(result.policy).map((issue) => ({
      segments: issue.path.map((s) => (typeof s === 'number' ? s : String(s))),
      message: issue.message,
      atKey: true,
    }));
    return issues.length === 0 ? result : { ok: false, issues };
  }
  const issues: LocatedIssue[] = Object.entries(result.policy.families).flatMap(([name, family]) => {
    const bytes = Buffer.byteLength(JSON.stringify(family), 'utf8');
    return bytes > MAX_FAMILY_CONFIG_BYTES
      ? [
          {
            segments: ['families', name],
            message: `is ${bytes} bytes once stored; a family's config may be at most ${MAX_FAMILY_CONFIG_BYTES} bytes (DynamoDB's 400 KB item limit)`,
            atKey: true,
          },
        ]
      : [];
  });
  return issues.length === 0 ? result : { ok: false, issues };
};

/** Waivers that expire more than the policy's `waivers.maxDays` after `now`. */
const unboundedWaivers = (policy: Policy, now: Date): LocatedIssue[] => {
  const limit = now.getTime() + policy.waivers.maxDays * DAY_MS;
  return Object.entries(policy.families).flatMap(([name, family]) =>
    family.inspect.gate.waivers.flatMap((waiver, i) =>
      Date.parse(waiver.expiresAt) > limit
        ? [
            {
              segments: ['families', name, 'inspect', 'gate', 'waivers', i, 'expiresAt'],
              message: `expires more than ${policy.waivers.maxDays} days from now (${now.toISOString().slice(0, 10)}); waivers.maxDays is the longest a waiver may run`,
              atKey: false,
            },
          ]
        : [],
    ),
  );
};

/** Waivers of the policy that have already expired at `now`: they excuse nothing any more. */
export const expiredWaivers = (
  policy: Policy,
  now: Date,
): { family: string; id: string; expiresAt: string }[] =>
  Object.entries(policy.families).flatMap(([family, config]) =>
    config.inspect.gate.waivers
      .filter((w) => Date.parse(w.expiresAt) <= now.getTime())
      .map((w) => ({ family, id: w.id, expiresAt: w.expiresAt })),
  );

const asPublicIssue = (issue: LocatedIssue): PolicyIssue => ({
  path: dotted(issue.segments),
  message: issue.message,
});

/**
 * Validates an already-parsed policy object (from YAML, JSON or the catalog). Never throws for a bad
 * policy: the result lists every problem with its dotted path.
 */
export const validatePolicy = (input: unknown): PolicyValidationResult => {
  // zod's records skip a `__proto__` key, and `constructor` or `prototype` would name an object's
  // machinery rather than an entry: refused as parsePolicy refuses them in a file.
  const reserved = reservedObjectKeys(input, []);
  if (reserved.length > 0) {
    return {
      ok: false,
      issues: reserved.map((path) => ({
        path: dotted(path),
        message: `"${String(path.at(-1))}" is a reserved name and cannot be a key`,
      })),
    };
  }
  const result = tooLarge(check(input));
  return result.ok ? result : { ok: false, issues: result.issues.map(asPublicIssue) };
};

const startOf = (node: unknown): number | undefined => (isNode(node) ? node.range?.[0] : undefined);

/** Where in the file an issue is: its key or value, or the deepest enclosing node that exists. */
const locate = (doc: Document, issue: LocatedIssue): number | undefined => {
  let node: unknown = doc.contents;
  let offset = startOf(node);
  for (const [index, segment] of issue.segments.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(segment));
      if (pair === undefined) break;
      const onKey = issue.atKey && index === issue.segments.length - 1;
      offset = (onKey ? startOf(pair.key) : (startOf(pair.value) ?? startOf(pair.key))) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node === undefined) break;
      offset = startOf(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
};

/** The key whose node starts at `offset`, and the path of the map holding it. */
const keyAt = (doc: Document, offset: number): { key: string; path: Segment[] } | undefined => {
  const walk = (node: unknown, path: Segment[]): { key: string; path: Segment[] } | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        if (startOf(pair.key) === offset) return { key, path };
        const inner = walk(pair.value, [...path, key]);
        if (inner !== undefined) return inner;
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const inner = walk(item, [...path, i]);
        if (inner !== undefined) return inner;
      }
    }
    return undefined;
  };
  return walk(doc.contents, []);
};

/**
 * The duplicated key the parser meant when its position is not a key's start: after a first occurrence
 * with no value, it points where that value would be. The key of the map holding two pairs of one name
 * whose first pair ends there (or, failing that, the first duplicate in the document).
 */
const duplicateNear = (doc: Document, offset: number): { key: string; path: Segment[] } | undefined => {
  const found: { key: string; path: Segment[]; near: boolean }[] = [];
  const walk = (node: unknown, path: Segment[]): void => {
    if (isMap(node)) {
      const seen = new Map<string, unknown>();
      for (const pair of node.items) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        const first = seen.get(key) as { key?: unknown; value?: unknown } | undefined;
        if (first !== undefined) {
          const ends = [startOf(first.value), isNode(first.key) ? first.key.range?.[1] : undefined];
          found.push({ key, path, near: ends.includes(offset) });
        } else seen.set(key, pair);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...path, i]);
    }
  };
  walk(doc.contents, []);
  const best = found.find((f) => f.near) ?? found[0];
  return best === undefined ? undefined : { key: best.key, path: best.path };
};

/** Deeper than any policy nests: past it an object is not walked further (the schema refuses it anyway). */
const MAX_OBJECT_DEPTH = 64;

/** Every own key of a parsed object, at any depth, that names an object's prototype rather than an entry. */
const reservedObjectKeys = (value: unknown, path: Segment[]): Segment[][] => {
  if (path.length > MAX_OBJECT_DEPTH || typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => reservedObjectKeys(item, [...path, i]));
  return Object.keys(value).flatMap((key) =>
    RESERVED_KEYS.has(key)
      ? [[...path, key]]
      : reservedObjectKeys((value as Record<string, unknown>)[key], [...path, key]),
  );
};

/** Every map key anywhere in the document that names an object's prototype rather than an entry. */
const reservedKeys = (node: unknown, path: Segment[]): { path: Segment[]; offset: number }[] => {
  if (isMap(node)) {
    return node.items.flatMap((pair) => {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const here = [...path, key];
      return RESERVED_KEYS.has(key)
        ? [{ path: here, offset: startOf(pair.key) ?? 0 }]
        : reservedKeys(pair.value, here);
    });
  }
  if (isSeq(node)) return node.items.flatMap((item, i) => reservedKeys(item, [...path, i]));
  return [];
};

/** Far deeper than any policy nests, and far shallower than the YAML parser's stack. */
export const MAX_FLOW_NESTING = 256;

/**
 * How deep `[` and `{` nest outside quotes and comments, and the line where the depth first passed the
 * limit: a file nested thousands deep would run the parser out of stack, naming no limit.
 */
const flowDepth = (text: string): { depth: number; line: number; column: number } => {
  let depth = 0;
  let max = 0;
  let line = 1;
  let lineStart = 0;
  let overAt = 0;
  let overColumn = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth > max) max = depth;
      if (depth > MAX_FLOW_NESTING && overAt === 0) {
        overAt = line;
        overColumn = i - lineStart + 1;
      }
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return { depth: max, line: overAt, column: overColumn };
};

const lineAndColumn = (lineCounter: LineCounter, offset: number): string => {
  const { line, col } = lineCounter.linePos(offset);
  return `line ${line}, column ${col}`;
};

/**
 * Parses a policy file (YAML 1.2; JSON is YAML too) and validates it. `source` names the file in
 * errors. Throws `ValidationError` listing every problem, each with its dotted path and line; nothing
 * partial is ever returned.
 */
export interface ParsePolicyOptions {
  /**
   * When given, waivers are judged against it: one expiring more than `waivers.maxDays` after it is
   * refused (a waiver is a decision with an end, not a way to switch a finding off).
   */
  now?: Date;
  /**
   * What of a valid policy the store could not take (an item over its size limit), each at its path;
   * `amictl` passes the catalog's, which measures the items as DynamoDB will. Without it a family's
   * config may take at most `MAX_FAMILY_CONFIG_BYTES` as JSON.
   */
  storable?: (policy: Policy) => readonly StorageIssue[];
}

export const parsePolicy = (
  text: string,
  source: string = DEFAULT_SUBJECT,
  options: ParsePolicyOptions = {},
): Policy => {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_BYTES) {
    throw new ValidationError(source, [
      {
        path: '',
        message: `the file is ${bytes} bytes; a policy may be at most ${MAX_POLICY_BYTES} bytes (1 MiB)`,
      },
    ]);
  }
  const depth = flowDepth(text);
  if (depth.depth > MAX_FLOW_NESTING) {
    throw new ValidationError(source, [
      {
        path: '',
        message: `brackets nest deeper than ${MAX_FLOW_NESTING} levels (line ${depth.line}, column ${depth.column}); a policy may nest at most ${MAX_FLOW_NESTING}`,
      },
    ]);
  }
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: `no`, `on` and dates stay strings; merge keys (`<<: *base`) let families share blocks.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    throw new ValidationError(
      source,
      yamlProblems.map((problem) => {
        const where = lineAndColumn(lineCounter, problem.pos[0]);
        if (problem.code === 'DUPLICATE_KEY') {
          const found = keyAt(doc, problem.pos[0]) ?? duplicateNear(doc, problem.pos[0]);
          if (found !== undefined) {
            const what =
              found.path.length === 1 && found.path[0] === 'families'
                ? `family "${found.key}" is listed twice`
                : `key "${found.key}" appears twice`;
            return {
              path: dotted([...found.path, found.key]),
              message: `${what} (${where}); each may appear once`,
            };
          }
        }
        if (/Maximum call stack size exceeded/.test(problem.message)) {
          return {
            path: '',
            message: `the file nests deeper than it can be read (${where}); a policy may nest at most ${MAX_FLOW_NESTING} levels`,
          };
        }
        return {
          path: '',
          message: `YAML ${problem.name === 'YAMLWarning' ? 'problem' : 'syntax error'} at ${where}: ${problem.message}`,
        };
      }),
    );
  }
  if (doc.contents === null) {
    throw new ValidationError(source, [
      { path: '', message: `the file is empty; expected an ${POLICY_API_VERSION} policy` },
    ]);
  }
  const reserved = reservedKeys(doc.contents, []);
  if (reserved.length > 0) {
    throw new ValidationError(
      source,
      reserved.map(({ path, offset }) => ({
        path: dotted(path),
        message: `"${String(path.at(-1))}" is a reserved name and cannot be a key (${lineAndColumn(lineCounter, offset)})`,
      })),
    );
  }
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ValidationError(source, [{ path: '', message: `YAML could not be read: ${message}` }], {
      cause,
    });
  }
  const checked = tooLarge(check(input), options.storable);
  const result =
    checked.ok && options.now !== undefined
      ? ((issues) => (issues.length === 0 ? checked : { ok: false as const, issues }))(
          unboundedWaivers(checked.policy, options.now),
        )
      : checked;
  if (result.ok) return result.policy;
  const placed = result.issues.map((issue) => ({ issue, offset: locate(doc, issue) }));
  // In file order, so the list reads alongside the file; sort is stable for issues at one place.
  placed.sort((a, b) => (a.offset ?? -1) - (b.offset ?? -1));
  throw new ValidationError(
    source,
    placed.map(({ issue, offset }) => ({
      path: dotted(issue.segments),
      message:
        offset === undefined ? issue.message : `${issue.message} (${lineAndColumn(lineCounter, offset)})`,
    })),
  );
};
