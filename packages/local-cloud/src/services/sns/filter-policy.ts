import { AwsError } from '../../errors';
import { type CompiledPattern, compilePattern, InvalidEventPatternError, matches } from '../events/pattern';

/**
 * Subscription filter policies. SNS's filter-policy language is the one EventBridge's patterns are made of
 * (aws/event-ruler): exact strings and numbers, `prefix`, `suffix`, `anything-but`, `numeric`, `exists`,
 * `equals-ignore-case`, `cidr` and `$or`, the same rules for arrays and missing keys, and the same reasons
 * in its errors. So a policy is compiled and matched by `events/pattern.ts`, with SNS's own rules on top:
 * its error prefix (`Invalid parameter: FilterPolicy: ...`), no `wildcard`, at most 5 keys, at most 150
 * combinations of values, no nesting with the `MessageAttributes` scope, and `{}` for no policy.
 */

export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';
export const FILTER_POLICY_SCOPES: readonly FilterPolicyScope[] = ['MessageAttributes', 'MessageBody'];

/** AWS's quotas on a filter policy. */
export const MAX_FILTER_POLICY_KEYS = 5;
export const MAX_FILTER_POLICY_COMBINATIONS = 150;
export const MAX_FILTER_POLICY_BYTES = 256 * 1024;

/** A message attribute as Publish takes it. */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

const refused = (reason: string) =>
  new AwsError('InvalidParameter', `Invalid parameter: FilterPolicy: ${reason}`);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** How many value combinations a level stands for, and its leaf keys (dotted paths). */
const measure = (
  node: Record<string, unknown>,
  scope: FilterPolicyScope,
  path: string[],
  keys: Set<string>,
): number => {
  let combinations = 1;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$or' && Array.isArray(value)) {
      combinations *= value.reduce<number>(
        (sum, branch) => sum + (isObject(branch) ? measure(branch, scope, path, keys) : 0),
        0,
      );
      continue;
    }
    if (isObject(value)) {
      if (scope === 'MessageAttributes') {
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy',
        );
      }
      combinations *= measure(value, scope, [...path, key], keys);
      continue;
    }
    if (Array.isArray(value)) {
      for (const v of value) {
        if (
          isObject(v) &&
          ('wildcard' in v || (isObject(v['anything-but']) && 'wildcard' in v['anything-but']))
        ) {
          throw refused('Unrecognized match type wildcard');
        }
      }
      keys.add([...path, key].join('.'));
      combinations *= Math.max(1, value.length);
    }
  }
  return combinations;
};

/**
 * Checks a filter policy as SetSubscriptionAttributes and Subscribe do, and compiles it; undefined for
 * `{}` (no filter). Throws `InvalidParameter` naming the problem.
 */
export const compileFilterPolicy = (text: string, scope: FilterPolicyScope): CompiledPattern | undefined => {
  if (Buffer.byteLength(text) > MAX_FILTER_POLICY_BYTES) {
    throw refused(`Filter policy is larger than ${MAX_FILTER_POLICY_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw refused(`failed to parse JSON. ${(e as Error).message}`);
  }
  if (!isObject(parsed)) throw refused('Filter policy must be a JSON object');
  if (Object.keys(parsed).length === 0) return undefined;
  let compiled: CompiledPattern;
  try {
    compiled = compilePattern(parsed);
  } catch (e) {
    if (e instanceof InvalidEventPatternError) throw refused(e.reason);
    throw e;
  }
  const keys = new Set<string>();
  const combinations = measure(parsed, scope, [], keys);
  if (keys.size > MAX_FILTER_POLICY_KEYS) {
    throw refused(`Filter policy can not have more than ${MAX_FILTER_POLICY_KEYS} keys`);
  }
  if (combinations > MAX_FILTER_POLICY_COMBINATIONS) throw refused('Filter policy is too complex');
  return { ...compiled, source: text };
};

/**
 * The message attributes as a filter policy sees them: `String` as the string, `Number` as the number,
 * `String.Array` as its elements; `Binary` attributes are not matched against.
 */
const attributeView = (attributes: Readonly<Record<string, MessageAttribute>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(attributes)) {
    const type = a.DataType.split('.')[0];
    if (a.DataType === 'String.Array') {
      try {
        out[name] = JSON.parse(a.StringValue ?? '');
      } catch {
        // Publish refuses an array that is not JSON; nothing to match against otherwise.
      }
    } else if (type === 'Number') out[name] = Number(a.StringValue);
    else if (type === 'String') out[name] = a.StringValue ?? '';
  }
  return out;
};

/** Whether a message passes a subscription's filter policy (always, without one). */
export const passesFilter = (
  policy: CompiledPattern | undefined,
  scope: FilterPolicyScope,
  message: string,
  attributes: Readonly<Record<string, MessageAttribute>>,
): boolean => {
  if (!policy) return true;
  // With the MessageBody scope, a body that is not a JSON object matches nothing, as on AWS.
  return scope === 'MessageBody' ? matches(policy, message) : matches(policy, attributeView(attributes));
};
