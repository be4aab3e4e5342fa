import { AwsError } from '../../errors';
import { decodePageToken, encodePageToken } from '../../page-token';

/**
 * Request readers and pagination for the SSM emulator. They are hand-written rather than zod schemas
 * because callers see their messages: AWS reports a bad member as
 * `1 validation error detected: Value '…' at 'member' failed to satisfy constraint: …`, and tests of
 * code that handles those errors should meet the same wording and codes as in AWS.
 */

export type Body = Record<string, unknown>;

/** The member name as AWS writes it in validation messages: `MaxResults` -> `maxResults`. */
const memberName = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);

export const validationException = (message: string): AwsError =>
  new AwsError('ValidationException', message);

export const constraintViolation = (key: string, value: unknown, constraint: string): AwsError =>
  validationException(
    `1 validation error detected: Value ${value === undefined || value === null ? 'null' : `'${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}'`} at '${memberName(key)}' failed to satisfy constraint: ${constraint}`,
  );

const wrongType = (key: string, expected: string): AwsError =>
  new AwsError('SerializationException', `${key} must be ${expected}`);

interface Bounds {
  min?: number;
  max?: number;
}

export function readString(body: Body, key: string, opts: Bounds & { required: true }): string;
export function readString(body: Body, key: string, opts?: Bounds & { required?: false }): string | undefined;
export function readString(body: Body, key: string, opts: Bounds & { required?: boolean } = {}) {
  const v = body[key];
  if (v === undefined || v === null) {
    if (opts.required) throw constraintViolation(key, undefined, 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'string') throw wrongType(key, 'a string');
  if (opts.min !== undefined && v.length < opts.min) {
    throw constraintViolation(key, v, `Member must have length greater than or equal to ${opts.min}`);
  }
  if (opts.max !== undefined && v.length > opts.max) {
    throw constraintViolation(key, v, `Member must have length less than or equal to ${opts.max}`);
  }
  return v;
}

export const readInt = (body: Body, key: string, opts: Bounds = {}): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(key, 'an integer');
  if (opts.min !== undefined && v < opts.min) {
    throw constraintViolation(key, v, `Member must have value greater than or equal to ${opts.min}`);
  }
  if (opts.max !== undefined && v > opts.max) {
    throw constraintViolation(key, v, `Member must have value less than or equal to ${opts.max}`);
  }
  return v;
};

export const readBool = (body: Body, key: string): boolean => {
  const v = body[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw wrongType(key, 'a boolean');
  return v;
};

export function readStringList(body: Body, key: string, opts: Bounds & { required: true }): string[];
export function readStringList(
  body: Body,
  key: string,
  opts?: Bounds & { required?: false },
): string[] | undefined;
export function readStringList(body: Body, key: string, opts: Bounds & { required?: boolean } = {}) {
  const v = body[key];
  if (v === undefined || v === null) {
    if (opts.required) throw constraintViolation(key, undefined, 'Member must not be null');
    return undefined;
  }
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw wrongType(key, 'a list of strings');
  const list = v as string[];
  if (opts.min !== undefined && list.length < opts.min) {
    throw constraintViolation(key, list, `Member must have length greater than or equal to ${opts.min}`);
  }
  if (opts.max !== undefined && list.length > opts.max) {
    throw constraintViolation(key, list, `Member must have length less than or equal to ${opts.max}`);
  }
  return list;
}

/** A list of objects (filters, tags, targets); its members are read with the readers above. */
export const readObjectList = (body: Body, key: string, opts: Bounds = {}): Body[] | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((o) => typeof o !== 'object' || o === null || Array.isArray(o))) {
    throw wrongType(key, 'a list of structures');
  }
  if (opts.max !== undefined && v.length > opts.max) {
    throw constraintViolation(
      key,
      `${v.length} items`,
      `Member must have length less than or equal to ${opts.max}`,
    );
  }
  return v as Body[];
};

export const readObject = (body: Body, key: string): Body | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(key, 'a structure');
  return v as Body;
};

/** JSON-protocol timestamps are epoch seconds. */
export const epochSeconds = (ms: number): number => ms / 1000;

const decodeToken = (listing: string, token: string): string => {
  const after = decodePageToken(token, listing, 'string');
  if (after === undefined) throw new AwsError('InvalidNextToken', 'The specified token isn’t valid.');
  return after;
};

/**
 * One page of `items`, which must be sorted by `key` ascending with unique keys. The token remembers the
 * key of the last item returned rather than an offset, so items deleted between pages neither repeat nor
 * skip others. `keep` filters after paging, as AWS does for GetParametersByPath and DescribeParameters:
 * a page can then hold fewer than `maxResults` items (even none) and still carry a NextToken, which is why
 * callers must page until the token is absent.
 */
export const paginate = <T>(
  items: readonly T[],
  key: (item: T) => string,
  opts: { listing: string; maxResults: number; nextToken?: string | undefined; keep?: (item: T) => boolean },
): { page: T[]; nextToken?: string } => {
  const after = opts.nextToken === undefined ? undefined : decodeToken(opts.listing, opts.nextToken);
  let start = 0;
  if (after !== undefined) {
    while (start < items.length && key(items[start]!) <= after) start++;
  }
  const window = items.slice(start, start + opts.maxResults);
  const page = opts.keep ? window.filter(opts.keep) : window;
  const more = start + opts.maxResults < items.length;
  return more
    ? { page, nextToken: encodePageToken({ l: opts.listing, after: key(window[window.length - 1]!) }) }
    : { page };
};

/** A key that sorts numbers in string order, for `paginate`. */
export const sortableNumber = (n: number): string => n.toString().padStart(16, '0');
