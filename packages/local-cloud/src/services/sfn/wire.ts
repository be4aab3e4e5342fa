import { AwsError } from '../../errors';
import { decodePageToken, encodePageToken } from '../../page-token';

/**
 * Request readers, names, ARNs and pagination for the Step Functions emulator. Readers are hand-written
 * rather than zod schemas because callers see their messages and codes, and code under test that handles
 * Step Functions errors should meet the ones AWS sends (`InvalidName`, `InvalidArn`, `InvalidToken`, ...).
 */

export type Body = Record<string, unknown>;

const memberName = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);

export const validationException = (message: string): AwsError =>
  new AwsError('ValidationException', message);

const constraintViolation = (key: string, value: unknown, constraint: string): AwsError =>
  validationException(
    `1 validation error detected: Value ${value === undefined || value === null ? 'null' : `'${String(value)}'`} at '${memberName(key)}' failed to satisfy constraint: ${constraint}`,
  );

const wrongType = (key: string, expected: string): AwsError =>
  new AwsError('SerializationException', `${key} must be ${expected}`);

export function readString(body: Body, key: string, opts: { required: true; max?: number }): string;
export function readString(
  body: Body,
  key: string,
  opts?: { required?: false; max?: number },
): string | undefined;
export function readString(body: Body, key: string, opts: { required?: boolean; max?: number } = {}) {
  const v = body[key];
  if (v === undefined || v === null) {
    if (opts.required) throw constraintViolation(key, undefined, 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'string') throw wrongType(key, 'a string');
  if (opts.max !== undefined && v.length > opts.max) {
    throw constraintViolation(key, v, `Member must have length less than or equal to ${opts.max}`);
  }
  return v;
}

export const readBool = (body: Body, key: string): boolean | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrongType(key, 'a boolean');
  return v;
};

/** `maxResults` as the Step Functions API reads it: 0 or absent means the default page size. */
export const readMaxResults = (body: Body, fallback = 100): number => {
  const v = body.maxResults;
  if (v === undefined || v === null || v === 0) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType('maxResults', 'an integer');
  if (v < 0 || v > 1000) {
    throw constraintViolation(
      'maxResults',
      v,
      'Member must have value less than or equal to 1000 and greater than or equal to 0',
    );
  }
  return v;
};

/** JSON-protocol timestamps are epoch seconds. */
export const epochSeconds = (ms: number): number => ms / 1000;

// Step Functions names (state machines and executions) share one rule set: 1-80 characters, none of
// whitespace, brackets, wildcards, these punctuation marks, or control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what AWS forbids
const FORBIDDEN_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

export const assertValidName = (name: string): void => {
  if (name.length < 1 || name.length > 80 || FORBIDDEN_NAME_CHARACTERS.test(name)) {
    throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
  }
};

export const stateMachineArn = (region: string, accountId: string, name: string): string =>
  `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;

export const executionArn = (region: string, accountId: string, machineName: string, name: string): string =>
  `arn:aws:states:${region}:${accountId}:execution:${machineName}:${name}`;

const ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):(stateMachine|execution):([^:]+)(?::([^:]+))?$/;

export interface ParsedArn {
  region: string;
  accountId: string;
  resourceType: 'stateMachine' | 'execution';
  machineName: string;
  executionName?: string;
}

/** Parses a state machine or execution ARN; anything else (or the wrong kind) is `InvalidArn`, as in AWS. */
export const parseArn = (arn: string, expected: ParsedArn['resourceType']): ParsedArn => {
  const m = ARN.exec(arn);
  if (!m) throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  const resourceType = m[3] as ParsedArn['resourceType'];
  const qualified = m[5] !== undefined;
  // `stateMachine:name:version` and `execution:machine` (no execution name) are not what was asked for.
  if (
    resourceType !== expected ||
    (resourceType === 'stateMachine' && qualified) ||
    (resourceType === 'execution' && !qualified)
  ) {
    throw new AwsError(
      'InvalidArn',
      `Invalid Arn: 'Resource type not valid in this context: ${resourceType}'`,
    );
  }
  return {
    region: m[1]!,
    accountId: m[2]!,
    resourceType,
    machineName: m[4]!,
    ...(qualified ? { executionName: m[5]! } : {}),
  };
};

const decodeToken = (listing: string, token: string): number => {
  const after = decodePageToken(token, listing, 'number');
  if (after === undefined) throw new AwsError('InvalidToken', `Invalid Token: '${token}'`);
  return after;
};

/**
 * One page of `items`, ordered as the caller wants them and each with a unique numeric `key` that
 * increases (or, for descending listings, decreases) along that order. The token remembers the key of
 * the last item returned rather than an offset, so items added or removed between pages neither repeat
 * nor skip others.
 */
export const paginate = <T>(
  items: readonly T[],
  key: (item: T) => number,
  opts: { listing: string; maxResults: number; nextToken?: string | undefined; descending?: boolean },
): { page: T[]; nextToken?: string } => {
  let start = 0;
  if (opts.nextToken !== undefined) {
    const after = decodeToken(opts.listing, opts.nextToken);
    const beyond = (k: number) => (opts.descending ? k < after : k > after);
    while (start < items.length && !beyond(key(items[start]!))) start++;
  }
  const page = items.slice(start, start + opts.maxResults);
  if (start + opts.maxResults >= items.length) return { page };
  return { page, nextToken: encodePageToken({ l: opts.listing, after: key(page[page.length - 1]!) }) };
};
