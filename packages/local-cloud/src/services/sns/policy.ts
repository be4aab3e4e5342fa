import { AwsError } from '../../errors';
import { principalArnOf } from '../events/policy';

/**
 * A topic's access policy, as far as the local cloud evaluates it. EventBridge's bus policy evaluator
 * (`events/policy.ts`) is not reused: it reads only explicit Denies, `events:` actions and `AWS`
 * principals, while a topic policy must also grant (another account, a service principal such as
 * `events.amazonaws.com`) and is written with `Service` principals and `aws:SourceArn` conditions. Its
 * `principalArnOf` is shared.
 *
 * Evaluated: `Effect`, `Principal` (`*`, `{"AWS": ...}` with account ids, root ARNs, role or user ARNs or
 * `*`, `{"Service": ...}`), `Action` (`sns:` actions, `*` and `?`, case-insensitive), `Resource`, and
 * conditions with the String, Arn and Bool operators (each with `IfExists`) on `aws:SourceArn`,
 * `aws:SourceAccount`, `aws:SourceOwner`, `aws:PrincipalArn`, `aws:PrincipalAccount`,
 * `aws:PrincipalOrgID`, `aws:PrincipalServiceName` and `aws:SecureTransport`. Anything else is refused
 * when the policy is set, naming it, rather than stored and silently not enforced.
 */
export interface TopicPolicy {
  Version: string;
  Id?: string;
  Statement: TopicPolicyStatement[];
}

export interface TopicPolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** Who asks for what, as the policy sees it. */
export type Caller =
  | {
      kind: 'aws';
      /** The caller's own ARN (an assumed-role session, a user, an account root). */
      arn: string;
      accountId: string;
      /** The organisation of the caller's account, when it is in the modelled one. */
      orgId?: string;
    }
  | {
      kind: 'service';
      /** `events.amazonaws.com`, ... */
      service: string;
      /** `aws:SourceArn`: the resource on whose behalf the service calls (an EventBridge rule). */
      sourceArn?: string;
      /** `aws:SourceAccount`: the account that owns that resource. */
      sourceAccount?: string;
    };

/** AWS's limit on a topic policy: 30 KiB. */
export const MAX_TOPIC_POLICY_BYTES = 30_720;

const BASE_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnNotEquals',
  'ArnLike',
  'ArnNotLike',
  'Bool',
]);
const KEYS = new Set([
  'aws:sourcearn',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principalorgid',
  'aws:principalservicename',
  'aws:securetransport',
]);
const ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);

const invalid = (message: string) =>
  new AwsError('InvalidParameter', `Invalid parameter: Policy Error: ${message}`);
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const isStringList = (v: unknown): v is string | string[] =>
  typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));

/** `*` any run of characters, `?` one; everything else literal. */
const glob = (pattern: string, value: string, ignoreCase = false): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'is' : 's',
  ).test(value);

/** The policy SNS gives a topic that has none: every action, for principals of the owner's account. */
export const defaultTopicPolicy = (topicArn: string, ownerAccountId: string): TopicPolicy => ({
  Version: '2008-10-17',
  Id: '__default_policy_ID',
  Statement: [
    {
      Sid: '__default_statement_ID',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: [
        'SNS:GetTopicAttributes',
        'SNS:SetTopicAttributes',
        'SNS:AddPermission',
        'SNS:RemovePermission',
        'SNS:DeleteTopic',
        'SNS:Subscribe',
        'SNS:ListSubscriptionsByTopic',
        'SNS:Publish',
      ],
      Resource: topicArn,
      Condition: { StringEquals: { 'AWS:SourceOwner': ownerAccountId } },
    },
  ],
});

/** Checks a policy document and answers it typed; the error names the first part it cannot enforce. */
export const parseTopicPolicy = (text: string): TopicPolicy => {
  if (Buffer.byteLength(text) > MAX_TOPIC_POLICY_BYTES) {
    throw invalid(`the policy is longer than ${MAX_TOPIC_POLICY_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw invalid(`not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('not a JSON object');
  const { Version, Id, Statement } = doc as Record<string, unknown>;
  if (Version !== '2012-10-17' && Version !== '2008-10-17') {
    throw invalid('Version must be "2012-10-17" or "2008-10-17"');
  }
  if (Id !== undefined && typeof Id !== 'string') throw invalid('Id must be a string');
  const statements = Statement === undefined ? [] : list(Statement);
  if (statements.length === 0 || statements.some((s) => typeof s !== 'object' || s === null)) {
    throw invalid('Statement must be a statement or a list of them');
  }
  return {
    Version,
    ...(Id === undefined ? {} : { Id }),
    Statement: statements.map((s, i) => parseStatement(s as Record<string, unknown>, `Statement[${i}]`)),
  };
};

const parseStatement = (s: Record<string, unknown>, at: string): TopicPolicyStatement => {
  for (const key of Object.keys(s)) {
    if (!ELEMENTS.has(key)) throw invalid(`${at}.${key} is not an element the local cloud evaluates`);
  }
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw invalid(`${at}.Sid must be a string`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw invalid(`${at}.Effect must be Allow or Deny`);
  const principal = s.Principal;
  const principalOk =
    principal === '*' ||
    (typeof principal === 'object' &&
      principal !== null &&
      !Array.isArray(principal) &&
      Object.keys(principal).length > 0 &&
      Object.entries(principal).every(([k, v]) => (k === 'AWS' || k === 'Service') && isStringList(v)));
  if (!principalOk) {
    throw invalid(`${at}.Principal must be "*", or { "AWS": ... } and/or { "Service": ... }`);
  }
  if (!isStringList(s.Action) || list(s.Action).some((a) => a !== '*' && !/^sns:[A-Za-z*?]+$/i.test(a))) {
    throw invalid(`${at}.Action must name sns: actions`);
  }
  if (!isStringList(s.Resource)) throw invalid(`${at}.Resource must be an ARN or a list of them`);
  if (s.Condition !== undefined) {
    if (typeof s.Condition !== 'object' || s.Condition === null || Array.isArray(s.Condition)) {
      throw invalid(`${at}.Condition must be an object of operators`);
    }
    for (const [op, block] of Object.entries(s.Condition)) {
      if (!BASE_OPERATORS.has(op.replace(/IfExists$/, ''))) {
        throw invalid(`${at}.Condition.${op} is not an operator the local cloud evaluates`);
      }
      if (typeof block !== 'object' || block === null || Array.isArray(block)) {
        throw invalid(`${at}.Condition.${op} must be an object`);
      }
      for (const [key, value] of Object.entries(block)) {
        if (!KEYS.has(key.toLowerCase())) {
          throw invalid(`${at}.Condition.${op}.${key} is not a key the local cloud evaluates`);
        }
        if (!isStringList(value) && typeof value !== 'boolean') {
          throw invalid(`${at}.Condition.${op}.${key} must be a string or a list`);
        }
      }
    }
  }
  return s as unknown as TopicPolicyStatement;
};

/** The request as the policy's conditions read it: each key's value, or undefined when absent. */
const contextKeys = (caller: Caller): Record<string, string | undefined> => {
  // As if over HTTPS: what the SDK and EventBridge use against AWS, so a Deny on plain HTTP does not fire.
  const base = { 'aws:securetransport': 'true' };
  if (caller.kind === 'service') {
    return {
      ...base,
      'aws:sourcearn': caller.sourceArn,
      'aws:sourceaccount': caller.sourceAccount,
      'aws:principalservicename': caller.service,
    };
  }
  return {
    ...base,
    'aws:principalarn': principalArnOf(caller.arn),
    'aws:principalaccount': caller.accountId,
    'aws:principalorgid': caller.orgId,
    // SNS's own key, as its default policy reads it: the account the request comes from. A caller of the
    // owner's account matches the default statement; another account's does not.
    'aws:sourceowner': caller.accountId,
    // Publishing directly, the caller is its own source.
    'aws:sourceaccount': caller.accountId,
  };
};

const principalMatches = (principal: TopicPolicyStatement['Principal'], caller: Caller): boolean => {
  if (principal === '*') return true;
  if (caller.kind === 'service') {
    // `{"AWS": "*"}` stands for everyone, as `*` does; a service is otherwise named only by `Service`.
    return (
      (principal.Service !== undefined && list(principal.Service).includes(caller.service)) ||
      (principal.AWS !== undefined && list(principal.AWS).includes('*'))
    );
  }
  if (principal.AWS === undefined) return false;
  const roleArn = principalArnOf(caller.arn);
  return list(principal.AWS).some(
    (p) =>
      p === '*' ||
      p === caller.accountId ||
      p === `arn:aws:iam::${caller.accountId}:root` ||
      p === caller.arn ||
      p === roleArn,
  );
};

/**
 * IAM's reading of one operator on one key: a key the request lacks fails a positive operator and passes
 * a negated one (`...IfExists` passes either way); `Like` and the Arn operators take `*` and `?`.
 */
const conditionHolds = (op: string, actual: string | undefined, values: string[]): boolean => {
  const ifExists = op.endsWith('IfExists');
  const base = op.replace(/IfExists$/, '');
  const negated = base.includes('Not');
  if (actual === undefined) return ifExists || negated;
  const ignoreCase = base.includes('IgnoreCase') || base === 'Bool';
  const wildcards = base.includes('Like') || base.startsWith('Arn');
  const matched = values.some((v) =>
    wildcards
      ? glob(v, actual, ignoreCase)
      : ignoreCase
        ? v.toLowerCase() === actual.toLowerCase()
        : v === actual,
  );
  return negated ? !matched : matched;
};

const statementApplies = (
  s: TopicPolicyStatement,
  caller: Caller,
  action: string,
  resource: string,
  keys: Record<string, string | undefined>,
): boolean =>
  principalMatches(s.Principal, caller) &&
  list(s.Action).some((a) => a === '*' || glob(a, action, true)) &&
  list(s.Resource).some((r) => glob(r, resource)) &&
  Object.entries(s.Condition ?? {}).every(([op, block]) =>
    Object.entries(block).every(([key, value]) =>
      conditionHolds(
        op,
        keys[key.toLowerCase()],
        list(value).map((v) => String(v)),
      ),
    ),
  );

export type Decision = { allowed: true } | { allowed: false; explicitDeny?: string };

/**
 * Whether `caller` may perform `action` (`sns:Publish`, ...) on the topic: an explicit Deny wins; then a
 * principal of the topic owner's account is allowed (its identity policies are not modelled: they are
 * taken to allow it), anyone else only by an Allow statement of the policy.
 */
export const evaluateTopicPolicy = (
  policy: TopicPolicy,
  caller: Caller,
  action: string,
  topicArn: string,
  ownerAccountId: string,
): Decision => {
  const keys = contextKeys(caller);
  const applies = policy.Statement.map((s) => statementApplies(s, caller, action, topicArn, keys));
  const deny = policy.Statement.findIndex((s, i) => s.Effect === 'Deny' && applies[i]);
  if (deny >= 0) return { allowed: false, explicitDeny: policy.Statement[deny]!.Sid ?? `Statement[${deny}]` };
  if (caller.kind === 'aws' && caller.accountId === ownerAccountId) return { allowed: true };
  return policy.Statement.some((s, i) => s.Effect === 'Allow' && applies[i])
    ? { allowed: true }
    : { allowed: false };
};

/** AWS's AuthorizationError for a refused request, naming the caller, the action and the topic. */
export const authorizationError = (caller: Caller, action: string, topicArn: string, decision: Decision) => {
  const who = caller.kind === 'service' ? caller.service : caller.arn;
  const why =
    !decision.allowed && decision.explicitDeny !== undefined
      ? `with an explicit deny in a resource-based policy (${decision.explicitDeny})`
      : `because no resource-based policy allows the ${action} action`;
  return new AwsError(
    'AuthorizationError',
    `User: ${who} is not authorized to perform: ${action} on resource: ${topicArn} ${why}`,
    403,
  );
};
