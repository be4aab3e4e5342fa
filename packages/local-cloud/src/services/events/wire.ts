import { AwsError } from '../../errors';
import { decodePageToken, encodePageToken } from '../../page-token';

/**
 * Request readers, ARNs and paging for the EventBridge emulator. Readers are hand-written rather than zod
 * schemas because callers see their messages: AWS reports a bad member as
 * `1 validation error detected: Value '…' at 'member' failed to satisfy constraint: …`, and code that
 * handles those errors should meet the same codes and wording as in AWS.
 */

export type Body = Record<string, unknown>;

export const validationException = (message: string): AwsError =>
  new AwsError('ValidationException', message);

export const resourceNotFound = (message: string): AwsError =>
  new AwsError('ResourceNotFoundException', message);

const show = (value: unknown): string => {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

/** `targets.1.member.id`-style member paths, as AWS names them: the first letter lower-cased. */
const member = (path: string): string =>
  path
    .split('.')
    .map((p) => p.charAt(0).toLowerCase() + p.slice(1))
    .join('.');

export const constraintViolation = (path: string, value: unknown, constraint: string): AwsError =>
  validationException(
    `1 validation error detected: Value ${value === undefined || value === null ? 'null' : `'${show(value)}'`} at '${member(path)}' failed to satisfy constraint: ${constraint}`,
  );

const wrongType = (path: string, expected: string): AwsError =>
  new AwsError('SerializationException', `${path} must be ${expected}`);

interface StringRules {
  min?: number;
  max?: number;
  /** A regular expression the whole value must match, with the text AWS prints for it. */
  pattern?: { re: RegExp; text: string };
}

/** Reads a string member; `path` is how messages name it (`Name`, `Targets.1.member.Id`). */
export function readString(
  body: Body,
  key: string,
  rules: StringRules & { required: true },
  path?: string,
): string;
export function readString(
  body: Body,
  key: string,
  rules?: StringRules & { required?: false },
  path?: string,
): string | undefined;
export function readString(
  body: Body,
  key: string,
  rules: StringRules & { required?: boolean } = {},
  path = key,
): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (rules.required) throw constraintViolation(path, undefined, 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'string') throw wrongType(path, 'a string');
  checkString(v, rules, path);
  return v;
}

/** Applies length and pattern rules to a string the caller already has (in-process calls). */
export const checkString = (v: string, rules: StringRules, path: string): void => {
  if (rules.min !== undefined && v.length < rules.min) {
    throw constraintViolation(path, v, `Member must have length greater than or equal to ${rules.min}`);
  }
  if (rules.max !== undefined && v.length > rules.max) {
    throw constraintViolation(path, v, `Member must have length less than or equal to ${rules.max}`);
  }
  if (rules.pattern && !rules.pattern.re.test(v)) {
    throw constraintViolation(
      path,
      v,
      `Member must satisfy regular expression pattern: ${rules.pattern.text}`,
    );
  }
};

export const readInt = (body: Body, key: string, path = key): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(path, 'an integer');
  return v;
};

/** JSON-protocol timestamps are epoch seconds (possibly fractional). */
export const readTimestamp = (body: Body, key: string, path = key): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(path, 'a timestamp in epoch seconds');
  return v * 1000;
};

export const readObject = (body: Body, key: string, path = key): Body | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(path, 'a structure');
  return v as Body;
};

export const readList = (body: Body, key: string, path = key): unknown[] | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw wrongType(path, 'a list');
  return v;
};

export const readObjectList = (body: Body, key: string, path = key): Body[] | undefined => {
  const list = readList(body, key, path);
  if (list?.some((o) => typeof o !== 'object' || o === null || Array.isArray(o))) {
    throw wrongType(path, 'a list of structures');
  }
  return list as Body[] | undefined;
};

export const readStringList = (body: Body, key: string, path = key): string[] | undefined => {
  const list = readList(body, key, path);
  if (list?.some((s) => typeof s !== 'string')) throw wrongType(path, 'a list of strings');
  return list as string[] | undefined;
};

export const readStringMap = (body: Body, key: string, path = key): Record<string, string> | undefined => {
  const map = readObject(body, key, path);
  if (map && Object.values(map).some((s) => typeof s !== 'string')) throw wrongType(path, 'a map of strings');
  return map as Record<string, string> | undefined;
};

/** Checks a list length against AWS's member constraints. */
export const checkLength = (path: string, list: readonly unknown[], min: number, max: number): void => {
  if (list.length < min) {
    throw constraintViolation(path, list, `Member must have length greater than or equal to ${min}`);
  }
  if (list.length > max)
    throw constraintViolation(path, list, `Member must have length less than or equal to ${max}`);
};

/** Where a resource lives. */
export interface Scope {
  accountId: string;
  region: string;
}

export const DEFAULT_BUS = 'default';

export const busArn = (scope: Scope, name: string): string =>
  `arn:aws:events:${scope.region}:${scope.accountId}:event-bus/${name}`;

/** Rules on the default bus keep the short ARN form AWS has always used; others name their bus. */
export const ruleArn = (scope: Scope, busName: string, name: string): string =>
  `arn:aws:events:${scope.region}:${scope.accountId}:rule/${busName === DEFAULT_BUS ? '' : `${busName}/`}${name}`;

const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

/** A bus given by name (in the caller's scope) or by ARN (possibly another account's or region's). */
export const resolveBusRef = (
  caller: Scope,
  nameOrArn: string | undefined,
): { scope: Scope; name: string } => {
  if (nameOrArn === undefined || nameOrArn === '') return { scope: caller, name: DEFAULT_BUS };
  const m = BUS_ARN.exec(nameOrArn);
  if (!m) return { scope: caller, name: nameOrArn };
  return { scope: { region: m[1]!, accountId: m[2]! }, name: m[3]! };
};

/** The parts of an ARN the dispatcher needs: which service it names. */
export const arnService = (arn: string): string | undefined => /^arn:aws[\w-]*:([a-z0-9-]+):/.exec(arn)?.[1];

const decodeToken = (listing: string, token: string): string => {
  const after = decodePageToken(token, listing, 'string');
  if (after === undefined) throw validationException('The NextToken provided is not valid.');
  return after;
};

/**
 * One page of `items`, sorted by `key` with unique keys. The token remembers the last key returned rather
 * than an offset, so items deleted between pages neither repeat nor skip others.
 */
export const paginate = <T>(
  items: readonly T[],
  key: (item: T) => string,
  opts: { listing: string; limit?: number | undefined; nextToken?: string | undefined },
): { page: T[]; nextToken?: string } => {
  if (opts.limit !== undefined && (opts.limit < 1 || opts.limit > 100)) {
    throw constraintViolation('Limit', opts.limit, 'Member must have value between 1 and 100');
  }
  const after = opts.nextToken === undefined ? undefined : decodeToken(opts.listing, opts.nextToken);
  const rest = after === undefined ? [...items] : items.filter((i) => key(i) > after);
  const limit = opts.limit ?? 100;
  const page = rest.slice(0, limit);
  return rest.length > limit
    ? { page, nextToken: encodePageToken({ l: opts.listing, after: key(page[page.length - 1]!) }) }
    : { page };
};
