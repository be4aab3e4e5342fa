import { ServerlessConfigError } from './serverless-config';

/**
 * What CloudFormation would fill in for the intrinsics of a template deployed as this stack: its pseudo
 * parameters, and per logical id what `Ref` answers and the attributes `Fn::GetAtt` reads.
 */
export interface CloudFormationScope {
  accountId: string;
  region: string;
  /** `aws` on the local cloud: the partition of its ARNs. */
  partition: string;
  stackName: string;
  resources: ReadonlyMap<string, ResolvedResource>;
}

export interface ResolvedResource {
  type: string;
  ref: string;
  attributes: Readonly<Record<string, string>>;
}

/** `Fn::Sub`'s `${Name}` and `${Name.Attribute}`; `${!Literal}` stays as `${Literal}`. */
const SUB_VARIABLE = /\$\{([^}]*)\}/g;

const pseudo = (name: string, scope: CloudFormationScope): string | undefined => {
  switch (name) {
    case 'AWS::AccountId':
      return scope.accountId;
    case 'AWS::Region':
      return scope.region;
    case 'AWS::Partition':
      return scope.partition;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return scope.stackName;
    default:
      return undefined;
  }
};

/** A reference the scope cannot answer: where it is and what it names. */
class Unresolved extends Error {}

const ref = (name: unknown, scope: CloudFormationScope): string => {
  if (typeof name !== 'string') throw new Unresolved(`Ref of ${JSON.stringify(name)}`);
  const value = pseudo(name, scope) ?? scope.resources.get(name)?.ref;
  if (value === undefined) throw new Unresolved(`Ref ${name} names no resource of this deployment`);
  return value;
};

const getAtt = (logicalId: string, attribute: string, scope: CloudFormationScope): string => {
  const resource = scope.resources.get(logicalId);
  if (!resource)
    throw new Unresolved(`Fn::GetAtt ${logicalId}.${attribute} names no resource of this deployment`);
  // Its own attributes only: `constructor`, `toString` and the like are Object.prototype's, not the resource's.
  const value = Object.hasOwn(resource.attributes, attribute) ? resource.attributes[attribute] : undefined;
  if (value === undefined) {
    throw new Unresolved(
      `Fn::GetAtt ${logicalId}.${attribute}: a ${resource.type} has no such attribute here`,
    );
  }
  return value;
};

const sub = (
  template: string,
  variables: Record<string, unknown>,
  scope: CloudFormationScope,
  path: string,
) =>
  template.replace(SUB_VARIABLE, (whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (Object.hasOwn(variables, name)) {
      const value = resolve(variables[name], scope, `${path}.${name}`);
      if (typeof value !== 'string') throw new Unresolved(`Fn::Sub variable ${name} is not a string`);
      return value;
    }
    const p = pseudo(name, scope);
    if (p !== undefined) return p;
    const dot = name.indexOf('.');
    if (dot > 0) return getAtt(name.slice(0, dot), name.slice(dot + 1), scope);
    if (scope.resources.has(name)) return ref(name, scope);
    throw new Unresolved(`Fn::Sub ${whole} names nothing this deployment has`);
  });

/** One intrinsic function (an object whose only key is `Ref` or `Fn::...`) to its value. */
const intrinsic = (key: string, arg: unknown, scope: CloudFormationScope, path: string): unknown => {
  switch (key) {
    case 'Ref':
      return ref(arg, scope);
    case 'Fn::GetAtt': {
      const [id, attribute] = typeof arg === 'string' ? arg.split(/\.(.*)/s) : (arg as unknown[]);
      if (typeof id !== 'string' || typeof attribute !== 'string')
        throw new Unresolved('Fn::GetAtt is malformed');
      return getAtt(id, attribute, scope);
    }
    case 'Fn::Sub': {
      if (typeof arg === 'string') return sub(arg, {}, scope, path);
      const [template, variables] = Array.isArray(arg) ? arg : [];
      if (typeof template !== 'string' || typeof variables !== 'object' || variables === null) {
        throw new Unresolved('Fn::Sub is malformed');
      }
      return sub(template, variables as Record<string, unknown>, scope, path);
    }
    case 'Fn::Join': {
      const [separator, items] = Array.isArray(arg) ? arg : [];
      const values = resolve(items, scope, path);
      if (
        typeof separator !== 'string' ||
        !Array.isArray(values) ||
        values.some((v) => typeof v !== 'string')
      ) {
        throw new Unresolved('Fn::Join is malformed');
      }
      return values.join(separator);
    }
    default:
      throw new Unresolved(`${key} is not an intrinsic the local cloud resolves`);
  }
};

const isIntrinsic = (value: object): [string, unknown] | undefined => {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))
    ? [keys[0]!, (value as Record<string, unknown>)[keys[0]!]]
    : undefined;
};

/** Resolves every intrinsic in `value`; `onUnresolved` answers for one the scope cannot resolve. */
const resolveWith = (
  value: unknown,
  scope: CloudFormationScope,
  path: string,
  onUnresolved: (intrinsic: object, path: string, why: string) => unknown,
): unknown => {
  if (Array.isArray(value)) return value.map((v, i) => resolveWith(v, scope, `${path}[${i}]`, onUnresolved));
  if (typeof value !== 'object' || value === null) return value;
  const fn = isIntrinsic(value);
  if (fn) {
    try {
      return intrinsic(fn[0], fn[1], scope, path);
    } catch (e) {
      if (e instanceof Unresolved) return onUnresolved(value, path, e.message);
      throw e;
    }
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      resolveWith(v, scope, path ? `${path}.${k}` : k, onUnresolved),
    ]),
  );
};

/** Inside an intrinsic (Fn::Sub's variables, Fn::Join's items): every part must resolve. */
const resolve = (value: unknown, scope: CloudFormationScope, path: string): unknown =>
  resolveWith(value, scope, path, (_, __, why) => {
    throw new Unresolved(why);
  });

/**
 * Resolves CloudFormation's intrinsics in `value` as the deployment would: `Ref`, `Fn::GetAtt`, `Fn::Sub`
 * (with pseudo parameters, `${LogicalId}` and `${LogicalId.Attribute}`) and `Fn::Join`. Anything the scope
 * cannot answer is a `ServerlessConfigError` naming its path.
 */
export const resolveIntrinsics = (value: unknown, scope: CloudFormationScope, path: string): unknown =>
  resolveWith(value, scope, path, (_, where, why) => {
    throw new ServerlessConfigError(where, why);
  });

/**
 * As `resolveIntrinsics`, but an intrinsic the scope cannot answer is left as it was written: for the
 * parts of serverless.yml the local cloud reads only in part (IAM statements: their actions, not their
 * resources) or checks itself where it reads them.
 */
export const resolveIntrinsicsLeniently = (value: unknown, scope: CloudFormationScope, path = ''): unknown =>
  resolveWith(value, scope, path, (original) => original);

/** serverless's logical id stem for a function key or a name: `my-fn_x` -> `MyDashfnUnderscorex`. */
export const normalizedName = (name: string): string => {
  const n = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${n.charAt(0).toUpperCase()}${n.slice(1)}`;
};

/** The logical id the framework gives a function's `AWS::Lambda::Function`: `<Key>LambdaFunction`. */
export const functionLogicalId = (key: string): string => `${normalizedName(key)}LambdaFunction`;

/**
 * The logical id serverless-iam-roles-per-function gives a function's own role,
 * `<Key>IamRoleLambdaExecution`; the provider's default role is `IamRoleLambdaExecution`.
 */
export const functionRoleLogicalId = (key: string): string =>
  `${normalizedName(key)}${DEFAULT_ROLE_LOGICAL_ID}`;
export const DEFAULT_ROLE_LOGICAL_ID = 'IamRoleLambdaExecution';

/** IAM's limit on a role name. */
const MAX_ROLE_NAME = 64;

/**
 * The name serverless-iam-roles-per-function gives a function's role: `<service>-<stage>-<key>-<region>-lambdaRole`,
 * without `-lambdaRole` when that is longer than IAM's 64 characters; still too long, the plugin refuses
 * to package and asks for `iamRoleStatementsName`, and so does the local cloud.
 */
export const functionRoleName = (
  service: string,
  stage: string,
  key: string,
  region: string,
  path: string,
) => {
  const full = `${service}-${stage}-${key}-${region}-lambdaRole`;
  if (full.length <= MAX_ROLE_NAME) return full;
  const short = `${service}-${stage}-${key}-${region}`;
  if (short.length <= MAX_ROLE_NAME) return short;
  throw new ServerlessConfigError(
    path,
    `the role name serverless-iam-roles-per-function makes, ${short}, is over ${MAX_ROLE_NAME} characters: set iamRoleStatementsName`,
  );
};

/** The provider's default role, every function's without serverless-iam-roles-per-function. */
export const defaultRoleName = (service: string, stage: string, region: string) =>
  `${service}-${stage}-${region}-lambdaRole`;
