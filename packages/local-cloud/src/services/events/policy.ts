import { AwsError } from '../../errors';

/**
 * An event bus's resource-based policy, as far as the local cloud evaluates it: statements with `Effect`,
 * `Principal` (`*`, `{ "AWS": ... }` with account ids, account root ARNs or role/user ARNs), `Action`,
 * `Resource` (wildcards allowed) and conditions on `aws:PrincipalArn` and `aws:PrincipalAccount` with the
 * String and Arn operators. Anything else is refused when the policy is put, naming it, rather than
 * stored and silently not enforced.
 */
export interface BusPolicy {
  Version: string;
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { AWS: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Who is asking, as policy conditions see them. */
export interface RequestContext {
  /** `aws:PrincipalArn`: the role for an assumed-role session, the user, or the account's root. */
  principalArn: string;
  principalAccount: string;
  action: string;
  resource: string;
}

/** AWS's limit on an event bus policy. */
export const MAX_POLICY_BYTES = 10_240;

const OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnNotEquals',
  'ArnLike',
  'ArnNotLike',
]);
const KEYS = new Set(['aws:principalarn', 'aws:principalaccount']);

const invalid = (message: string) => new AwsError('ValidationException', `Invalid policy: ${message}`);
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const isStringList = (v: unknown): v is string | string[] =>
  typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));

/** `*` any run of characters, `?` one; everything else literal. Case-sensitive, as for ARNs. */
const glob = (pattern: string, value: string): boolean => {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(value);
};

/** Checks a policy document and answers it typed; the error names the first part it cannot enforce. */
export const parseBusPolicy = (text: string): BusPolicy => {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) {
    throw new AwsError(
      'PolicyLengthExceededException',
      `The policy is longer than ${MAX_POLICY_BYTES} bytes.`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw invalid(`not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('not a JSON object');
  const { Version, Statement } = doc as Record<string, unknown>;
  if (Version !== '2012-10-17') throw invalid('Version must be "2012-10-17"');
  const statements = Array.isArray(Statement) ? Statement : [Statement];
  if (statements.length === 0 || statements.some((s) => typeof s !== 'object' || s === null)) {
    throw invalid('Statement must be a statement or a list of them');
  }
  return {
    Version,
    Statement: statements.map((s, i) => parseStatement(s as Record<string, unknown>, `Statement[${i}]`)),
  };
};

const parseStatement = (s: Record<string, unknown>, at: string): PolicyStatement => {
  for (const key of Object.keys(s)) {
    if (!['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'].includes(key)) {
      throw invalid(`${at}.${key} is not an element the local cloud evaluates`);
    }
  }
  if (s.Sid !== undefined && (typeof s.Sid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(s.Sid))) {
    throw invalid(`${at}.Sid must be 1 to 64 letters, digits, - or _`);
  }
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw invalid(`${at}.Effect must be Allow or Deny`);
  const principal = s.Principal;
  if (
    principal !== '*' &&
    !(
      typeof principal === 'object' &&
      principal !== null &&
      Object.keys(principal).length === 1 &&
      isStringList((principal as { AWS?: unknown }).AWS)
    )
  ) {
    throw invalid(`${at}.Principal must be "*" or { "AWS": <account id or ARN, or a list of them> }`);
  }
  if (!isStringList(s.Action) || list(s.Action).some((a) => !/^events:[A-Za-z*?]+$/.test(a))) {
    throw invalid(`${at}.Action must name events: actions`);
  }
  if (!isStringList(s.Resource)) throw invalid(`${at}.Resource must be an ARN or a list of them`);
  if (s.Condition !== undefined) {
    if (typeof s.Condition !== 'object' || s.Condition === null || Array.isArray(s.Condition)) {
      throw invalid(`${at}.Condition must be an object of operators`);
    }
    for (const [op, block] of Object.entries(s.Condition)) {
      if (!OPERATORS.has(op))
        throw invalid(`${at}.Condition.${op} is not an operator the local cloud evaluates`);
      if (typeof block !== 'object' || block === null)
        throw invalid(`${at}.Condition.${op} must be an object`);
      for (const [key, value] of Object.entries(block)) {
        if (!KEYS.has(key.toLowerCase())) {
          throw invalid(`${at}.Condition.${op}.${key} is not a key the local cloud evaluates`);
        }
        if (!isStringList(value)) throw invalid(`${at}.Condition.${op}.${key} must be a string or a list`);
      }
    }
  }
  return s as unknown as PolicyStatement;
};

const principalMatches = (principal: PolicyStatement['Principal'], ctx: RequestContext): boolean => {
  if (principal === '*') return true;
  return list(principal.AWS).some((p) => {
    if (p === '*') return true;
    // An account (by id or root ARN) stands for every principal of it.
    if (p === ctx.principalAccount || p === `arn:aws:iam::${ctx.principalAccount}:root`) return true;
    return p === ctx.principalArn;
  });
};

/**
 * `StringEquals` compares exactly; `StringLike` and the Arn operators (ArnEquals and ArnLike alike, as IAM
 * documents) take `*` and `?`. A `Not` operator holds when no value matches.
 */
const conditionHolds = (op: string, actual: string, values: string[]): boolean => {
  const wildcards = op.includes('Like') || op.startsWith('Arn');
  const matched = values.some((v) => (wildcards ? glob(v, actual) : v === actual));
  return op.includes('Not') ? !matched : matched;
};

const conditionsHold = (condition: PolicyStatement['Condition'], ctx: RequestContext): boolean =>
  Object.entries(condition ?? {}).every(([op, block]) =>
    Object.entries(block).every(([key, value]) => {
      const actual = key.toLowerCase() === 'aws:principalarn' ? ctx.principalArn : ctx.principalAccount;
      return conditionHolds(op, actual, list(value));
    }),
  );

const statementApplies = (s: PolicyStatement, ctx: RequestContext): boolean =>
  principalMatches(s.Principal, ctx) &&
  list(s.Action).some((a) => glob(a, ctx.action)) &&
  list(s.Resource).some((r) => glob(r, ctx.resource)) &&
  conditionsHold(s.Condition, ctx);

/** The statement (its Sid, or its index) that explicitly denies the request, if one does. */
export const explicitDeny = (policy: BusPolicy | undefined, ctx: RequestContext): string | undefined => {
  const i = policy?.Statement.findIndex((s) => s.Effect === 'Deny' && statementApplies(s, ctx)) ?? -1;
  return i < 0 ? undefined : (policy!.Statement[i]!.Sid ?? `Statement[${i}]`);
};

/** `aws:PrincipalArn` of a caller: an assumed-role session's role, otherwise the caller's own ARN. */
export const principalArnOf = (arn: string): string => {
  const m = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:aws:iam::${m[1]}:role/${m[2]}` : arn;
};
