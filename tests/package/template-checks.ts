/**
 * What the packaged CloudFormation template must hold for least privilege, as pure functions over the
 * template (and over the artefacts' listings): each answers the violations it finds, `[]` when there are
 * none. `template.test.ts` runs them on the template `osls package` writes; `template-checks.test.ts`
 * shows on hand-made templates that each violation is caught.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: unknown;
  /** The name of a condition of the template's `Conditions`: the resource exists only when it holds. */
  Condition?: unknown;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
  Conditions?: Record<string, unknown>;
}

export interface Statement {
  Sid?: string;
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A statement of one of the template's policies, with where it is (`<LogicalId>.<path>#<index>`). */
export interface LocatedStatement {
  where: string;
  /** The role whose identity policy holds it; undefined for resource policies. */
  role?: string;
  statement: Statement;
}

/**
 * The provider's role, which the framework makes and serverless-iam-roles-per-function copies each
 * function's role from, then leaves in the template unused: serverless.yml conditions it on a condition
 * that never holds, so it is never deployed (`sharedRoles` holds it to that).
 */
export const DEFAULT_ROLE = 'IamRoleLambdaExecution';

/**
 * What removes, disables, shares or changes an image, a snapshot or an instance, or takes a tag off one.
 * Each is allowed only on what carries the managed tag (`untaggedDestructiveActions`): the Service
 * Authorization Reference lists, for every one of them, the image, snapshot or instance resource type
 * (and for DeleteTags every taggable type) with `aws:ResourceTag/${TagKey}` and `ec2:ResourceTag/${TagKey}`.
 * Left out as not destructive: EnableImage, EnableImageDeregistrationProtection, Describe*. Left out as
 * taking no tag condition, and granted by no statement here: the account-wide switches
 * (DisableImageBlockPublicAccess, DisableSnapshotBlockPublicAccess, DisableEbsEncryptionByDefault), which
 * name no resource a tag could be on.
 */
export const DESTRUCTIVE_ACTIONS = [
  'ec2:DeregisterImage',
  'ec2:DeleteSnapshot',
  'ec2:DisableImage',
  'ec2:TerminateInstances',
  'ec2:StopInstances',
  'ec2:ModifyInstanceAttribute',
  'ec2:ModifyImageAttribute',
  'ec2:ResetImageAttribute',
  'ec2:ModifySnapshotAttribute',
  'ec2:ResetSnapshotAttribute',
  'ec2:EnableImageDeprecation',
  'ec2:DisableImageDeprecation',
  'ec2:DisableImageDeregistrationProtection',
  'ec2:DeleteTags',
] as const;

/** The tag every image, snapshot and instance the controller makes carries. */
export const MANAGED_TAG = 'ami-lifecycle:managed';

/**
 * The roles a function may pass, each to the one service it is for: the builder role
 * (deploy/builder-instance-profile.yaml), to EC2, as the builders' and test instances' profile.
 */
export const PASSABLE_ROLES: Readonly<Record<string, string>> = {
  'ami-lifecycle-builder': 'ec2.amazonaws.com',
};

/**
 * The actions whose tags `ec2:CreateTags` may set as they create (`ec2:CreateAction`): each is guarded
 * itself (`unguardedActions`), so what they create carries the managed tag only if it may.
 */
export const TAG_ON_CREATE_ACTIONS = ['RunInstances', 'CreateImage', 'CopyImage'] as const;

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** A value under `Fn::If` is both of its branches (`AWS::NoValue` is none): either may be deployed. */
const branches = (s: unknown): unknown[] => {
  const fnIf = (s as { 'Fn::If'?: unknown } | null)?.['Fn::If'];
  if (Array.isArray(fnIf)) return fnIf.slice(1).flatMap(branches);
  if ((s as { Ref?: unknown } | null)?.Ref === 'AWS::NoValue') return [];
  return [s];
};
const statementsOf = (doc: unknown): Statement[] =>
  isObject(doc) ? (list(doc.Statement).flatMap(branches) as Statement[]) : [];
/** A value as the messages name it: short. */
const brief = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

const getAttTarget = (v: unknown, attribute = 'Arn'): string | undefined => {
  const att = (v as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  if (Array.isArray(att) && att.length === 2 && att[1] === attribute && typeof att[0] === 'string') {
    return att[0];
  }
  if (typeof att === 'string' && att.endsWith(`.${attribute}`)) return att.slice(0, -attribute.length - 1);
  return undefined;
};
const refTarget = (v: unknown): string | undefined => {
  const ref = (v as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
};

const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/**
 * Whether a resource is never deployed: its `Condition` names a condition that cannot hold, `Fn::Equals`
 * of two different strings. serverless.yml puts the provider's default role under one.
 */
export const neverDeployed = (template: CfnTemplate, id: string): boolean => {
  const name = template.Resources[id]?.Condition;
  if (typeof name !== 'string' || !Object.hasOwn(template.Conditions ?? {}, name)) return false;
  const equals = (template.Conditions![name] as { 'Fn::Equals'?: unknown } | null)?.['Fn::Equals'];
  return (
    Array.isArray(equals) &&
    equals.length === 2 &&
    typeof equals[0] === 'string' &&
    typeof equals[1] === 'string' &&
    equals[0] !== equals[1]
  );
};

/** Where a resource's properties hold a policy-like object (one with a `Statement`), if anywhere. */
const policyLikePath = (v: unknown, path: string): string | undefined => {
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const found = policyLikePath(x, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (isObject(v)) {
    if (Object.hasOwn(v, 'Statement')) return path;
    for (const [k, x] of Object.entries(v)) {
      const found = policyLikePath(x, `${path}.${k}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
};

/** A `AWS::Lambda::Permission` as the statement of the function's resource policy it adds. */
const permissionStatement = (p: Record<string, unknown>): Statement => {
  const principal = p.Principal;
  const condition: Record<string, Record<string, unknown>> = {};
  if (p.SourceArn !== undefined) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
  if (p.SourceAccount !== undefined) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
  if (p.PrincipalOrgID !== undefined)
    condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': p.PrincipalOrgID };
  return {
    Effect: 'Allow',
    Principal:
      principal === '*'
        ? '*'
        : typeof principal === 'string' && principal.endsWith('.amazonaws.com')
          ? { Service: principal }
          : { AWS: principal },
    Action: p.Action,
    Resource: p.FunctionName,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
};

/** IAM users and groups, and their policies: none is the controller's, and the checks do not follow them. */
const IAM_USERS_AND_GROUPS = [
  'AWS::IAM::User',
  'AWS::IAM::Group',
  'AWS::IAM::UserPolicy',
  'AWS::IAM::GroupPolicy',
];

interface PolicyScan {
  statements: LocatedStatement[];
  unreadable: string[];
}

/**
 * Every statement of every policy of the resources the template deploys (a resource `neverDeployed` is
 * left out), and what the checks cannot read: roles' inline policies and trust policies; `AWS::IAM::Policy`
 * and `ManagedPolicy` (once per role they are attached to, once alone when attached to none);
 * `AWS::IAM::RolePolicy`; the resource policies of queues, buckets, topics, buses (the bus's own `Policy`
 * too) and keys; and each `AWS::Lambda::Permission` as the statement it adds to its function's policy.
 * Unreadable: a policy that is no document with a `Statement`; a statement that is no object, whose
 * Effect is neither `Allow` nor `Deny`, that names no action or names one by an intrinsic (`!If`,
 * `!Split`, ...); IAM users and groups, and a policy attached to them; any other resource type that holds
 * a policy (a type named `...Policy` or `...Permission`, or properties with a `Statement`).
 */
const scanPolicies = (template: CfnTemplate): PolicyScan => {
  const statements: LocatedStatement[] = [];
  const unreadable: string[] = [];
  const add = (where: string, statement: unknown, roles: (string | undefined)[]) => {
    if (!isObject(statement)) {
      unreadable.push(`${where} is not a statement the checks can read: ${brief(statement)}`);
      return;
    }
    const s = statement as Statement;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      unreadable.push(`${where} has the Effect ${brief(s.Effect)}, neither Allow nor Deny`);
    if (s.Action === undefined && s.NotAction === undefined) unreadable.push(`${where} names no action`);
    for (const key of ['Action', 'NotAction'] as const) {
      for (const a of list(s[key]).flatMap(branches)) {
        if (typeof a !== 'string')
          unreadable.push(
            `${where} names an action by ${brief(a)}: the checks read only actions named as strings`,
          );
      }
    }
    for (const role of roles) statements.push({ where, ...(role ? { role } : {}), statement: s });
  };
  const document = (where: string, doc: unknown, roles: (string | undefined)[] = [undefined]) => {
    if (!isObject(doc) || doc.Statement === undefined) {
      unreadable.push(`${where} is not a policy document the checks can read: ${brief(doc)}`);
      return;
    }
    list(doc.Statement)
      .flatMap(branches)
      .forEach((statement, i) => {
        add(`${where}#${i}`, statement, roles);
      });
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    if (neverDeployed(template, id)) continue;
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Role':
        document(`${id}.AssumeRolePolicyDocument`, p.AssumeRolePolicyDocument);
        list(p.Policies)
          .flatMap(branches)
          .forEach((policy, i) => {
            document(
              `${id}.Policies[${i}]`,
              (policy as { PolicyDocument?: unknown } | null)?.PolicyDocument,
              [id],
            );
          });
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy': {
        if (list(p.Users).length > 0 || list(p.Groups).length > 0)
          unreadable.push(
            `${id} (${r.Type}) is attached to IAM users or groups, which the checks do not follow`,
          );
        const roles = list(p.Roles).map(refTarget);
        document(`${id}.PolicyDocument`, p.PolicyDocument, roles.length > 0 ? roles : [undefined]);
        break;
      }
      case 'AWS::IAM::RolePolicy':
        document(`${id}.PolicyDocument`, p.PolicyDocument, [refTarget(p.RoleName)]);
        break;
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SQS::QueueInlinePolicy':
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SNS::TopicPolicy':
      case 'AWS::SNS::TopicInlinePolicy':
        document(`${id}.PolicyDocument`, p.PolicyDocument);
        break;
      case 'AWS::KMS::Key':
        document(`${id}.KeyPolicy`, p.KeyPolicy);
        break;
      case 'AWS::Events::EventBus':
        if (p.Policy !== undefined) document(`${id}.Policy`, p.Policy);
        break;
      case 'AWS::Events::EventBusPolicy':
        if (p.Statement !== undefined) {
          list(p.Statement)
            .flatMap(branches)
            .forEach((statement, i) => {
              add(`${id}.Statement#${i}`, statement, [undefined]);
            });
        } else if (p.Action !== undefined) {
          // The older form: one Allow of Action to Principal (an account), under Condition.
          add(
            `${id}#0`,
            {
              Effect: 'Allow',
              Principal: p.Principal,
              Action: p.Action,
              ...(p.Condition !== undefined ? { Condition: p.Condition } : {}),
            },
            [undefined],
          );
        } else {
          unreadable.push(`${id} (${r.Type}) has neither Statement nor Action: the checks cannot read it`);
        }
        break;
      case 'AWS::Lambda::Permission':
        add(`${id}#0`, permissionStatement(p), [undefined]);
        break;
      default: {
        if (IAM_USERS_AND_GROUPS.includes(r.Type)) {
          unreadable.push(
            `${id} (${r.Type}): IAM users and groups are none of the controller's, and the checks do not follow them`,
          );
          break;
        }
        const at = policyLikePath(p, 'Properties');
        if (/(Policy|Permission)$/.test(r.Type) || at !== undefined) {
          unreadable.push(
            `${id} (${r.Type}) holds a policy${at !== undefined ? ` (${at})` : ''} the checks do not read`,
          );
        }
      }
    }
  }
  return { statements, unreadable };
};

/** Every statement of every policy of the template (see `scanPolicies` for which). */
export const policyStatements = (template: CfnTemplate): LocatedStatement[] =>
  scanPolicies(template).statements;

/**
 * Rule: every policy of the template is one the checks read whole. A policy resource type they do not
 * read, a document or statement they cannot, an action named by an intrinsic (`!If`, `!Split`: what it
 * names is known only once deployed), an Effect that is neither Allow nor Deny: each is a violation, since
 * every other rule would pass it unseen.
 */
export const unreadablePolicies = (template: CfnTemplate): string[] => scanPolicies(template).unreadable;

/**
 * The actions a statement names (`Action`, a string or a list). Intrinsics are not actions: an action
 * named by one is a violation of `unreadablePolicies`.
 */
export const actionsOf = (s: Statement): string[] =>
  list(s.Action)
    .flatMap(branches)
    .filter((a): a is string => typeof a === 'string');

/** `*`, `service:*`, `service:Prefix*`, or any `?`: an action that names more than one action. */
export const isWildcardAction = (action: string): boolean => /[*?]/.test(action);

/** Whether `pattern` (IAM's `*` and `?`) matches `value`; case-insensitive as IAM compares actions. */
const globMatches = (pattern: string, value: string, ignoreCase = true): boolean =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    ignoreCase ? 'is' : 's',
  ).test(value);

/** Whether `pattern` (IAM's `*` and `?`, case-insensitive) names `action`. */
export const actionMatches = (pattern: string, action: string): boolean => globMatches(pattern, action);

/**
 * Whether an Allow statement grants `action`: names it (or a wildcard that matches it), or allows by
 * `NotAction` without excepting it.
 */
export const grants = (s: Statement, action: string): boolean =>
  s.Effect === 'Allow' &&
  (actionsOf(s).some((a) => actionMatches(a, action)) ||
    (s.NotAction !== undefined &&
      !list(s.NotAction).some((a) => typeof a === 'string' && actionMatches(a, action))));

/**
 * Rule: no policy grants by wildcard. An Allow statement whose Action has `*` or `?` (`*`, `service:*`,
 * `service:Prefix*`), or that allows by `NotAction` (everything but a list), is a violation; so is a role
 * with managed policies attached, whose statements the template does not show. A Deny may name a
 * wildcard: it takes away (the framework's deployment bucket denies `s3:*` without TLS).
 */
export const wildcardActions = (template: CfnTemplate): string[] => [
  ...policyStatements(template).flatMap(({ where, statement }) => {
    if (statement.Effect !== 'Allow') return [];
    const found = actionsOf(statement)
      .filter(isWildcardAction)
      .map((a) => `${where} allows the wildcard action ${a}`);
    if (statement.NotAction !== undefined) found.push(`${where} allows by NotAction`);
    return found;
  }),
  ...resourcesOfType(template, 'AWS::IAM::Role')
    .filter(([, r]) => list(r.Properties?.ManagedPolicyArns).length > 0)
    .map(([id]) => `${id} attaches managed policies, whose actions the template does not show`),
];

/**
 * Whether a statement's conditions require one of `keys` (lower case) to be `true`: `StringEquals`,
 * `StringEqualsIgnoreCase` or `StringLike` with `true` as every value. Not `...IfExists` (a resource
 * without the tag would pass), not `ForAnyValue:` (one value would do), not a negation.
 */
const requiresTrue = (s: Statement, keys: readonly string[]): boolean =>
  Object.entries(s.Condition ?? {}).some(
    ([operator, block]) =>
      ['StringEquals', 'StringEqualsIgnoreCase', 'StringLike'].includes(operator) &&
      isObject(block) &&
      Object.entries(block).some(
        ([key, value]) =>
          keys.includes(key.toLowerCase()) &&
          list(value).length > 0 &&
          list(value).every((v) => v === 'true' || v === true),
      ),
  );

/** The values a statement's `StringEquals` requires of `key` (lower case): one list per block naming it. */
const equalsValues = (s: Statement, key: string): unknown[][] =>
  Object.entries(s.Condition ?? {}).flatMap(([operator, block]) =>
    operator === 'StringEquals' && isObject(block)
      ? Object.entries(block)
          .filter(([k]) => k.toLowerCase() === key)
          .map(([, v]) => list(v))
      : [],
  );
/** Whether `StringEquals` requires `key` to be one of `allowed` (every value a string of `allowed`). */
const requiresOneOf = (s: Statement, key: string, allowed: readonly string[]): boolean =>
  equalsValues(s, key).some(
    (values) => values.length > 0 && values.every((v) => typeof v === 'string' && allowed.includes(v)),
  );

/** Whether a statement's conditions require the managed tag on the resource (`true`). */
export const requiresManagedTag = (s: Statement): boolean =>
  requiresTrue(s, [`aws:resourcetag/${MANAGED_TAG}`, `ec2:resourcetag/${MANAGED_TAG}`]);

/**
 * Rule: a destructive EC2 action (`DESTRUCTIVE_ACTIONS`, named or matched by a wildcard) is allowed only
 * by a statement conditioned on the managed tag (`ec2:ResourceTag/ami-lifecycle:managed` or
 * `aws:ResourceTag/...` equal to `true`), so nothing the controller did not make can be removed, disabled,
 * shared or untagged. The Service Authorization Reference lists the resource types of each of these
 * actions with both tag condition keys: none is exempt.
 */
export const untaggedDestructiveActions = (template: CfnTemplate): string[] =>
  policyStatements(template).flatMap(({ where, statement }) => {
    if (statement.Effect !== 'Allow' || requiresManagedTag(statement)) return [];
    return DESTRUCTIVE_ACTIONS.filter((d) => grants(statement, d)).map(
      (d) => `${where} allows ${d} without a condition on the ${MANAGED_TAG} tag`,
    );
  });

/** A resource's text with CloudFormation's `${...}` replaced by `X`, for its shape; undefined when no ARN. */
const arnShape = (r: unknown): string | undefined => {
  const sub = (r as { 'Fn::Sub'?: unknown } | null)?.['Fn::Sub'];
  const text = typeof r === 'string' ? r : typeof sub === 'string' ? sub : undefined;
  return text?.replace(/\$\{AWS::[A-Za-z]+\}/g, 'X');
};
/** The resource type an ARN names (`instance` of `arn:…:ec2:…:…:instance/*`), `*` for `*`; else undefined. */
const resourceTypeOf = (r: unknown): string | undefined => {
  const text = arnShape(r);
  if (text === '*') return '*';
  const parts = text?.split(':');
  if (parts === undefined || parts[0] !== 'arn' || parts.length < 6) return undefined;
  return parts.slice(5).join(':').split('/')[0];
};
/** Whether a statement may name a resource of `type`: by NotResource, `*`, a wildcard type, or one it cannot read. */
const mayCover = (s: Statement, type: string): boolean =>
  s.NotResource !== undefined ||
  list(s.Resource).some((r) => {
    const t = resourceTypeOf(r);
    return t === undefined || globMatches(t, type, false);
  });
/** Whether every resource of a statement (by Resource, not NotResource) is of one of `types`, named without a wildcard type. */
const onlyOfTypes = (s: Statement, types: readonly string[]): boolean =>
  s.NotResource === undefined &&
  list(s.Resource).length > 0 &&
  list(s.Resource).every((r) => types.includes(resourceTypeOf(r) ?? '*'));

/** An SSM document named in full (`arn:…:ssm:<region>:<account>:document/AWS-RunShellScript`), no wildcard. */
const isNamedSsmDocument = (r: unknown): boolean =>
  /^arn:[^:]+:ssm:[^:]*:[^:]*:document\/[^*?$]+$/.test(arnShape(r) ?? '');
/** The role names a statement's resources name in full (`arn:…:iam::<account>:role/<name>`); undefined for one it does not. */
const roleNamesOf = (s: Statement): (string | undefined)[] =>
  list(s.Resource).map((r) => {
    const m = /^arn:[^:]+:iam::[^:]*:role\/([^*?$]+)$/.exec(arnShape(r) ?? '');
    return m?.[1];
  });
/** The images of the stack's own region (the home region, every copy's source), as a statement names them. */
const HOME_REGION_IMAGES = /^arn:(\$\{AWS::Partition\}|aws[a-z-]*):ec2:\$\{AWS::Region\}::image\/\*$/;
const resourceTexts = (v: unknown): string[] =>
  list(v).map((r) => {
    const sub = (r as { 'Fn::Sub'?: unknown } | null)?.['Fn::Sub'];
    return typeof r === 'string' ? r : typeof sub === 'string' ? sub : JSON.stringify(r);
  });

const M = MANAGED_TAG;
/**
 * The actions that launch, run commands on, tag, copy or hand a role to something, each with the guard
 * its Allow statements must carry (`ok`) and what that guard is (`needs`). Each guard uses the condition
 * keys the Service Authorization Reference lists for the action's resource types.
 */
const GUARDED: Record<string, { ok: (s: Statement) => boolean; needs: string }> = {
  // A command on an instance is a root shell on it. The document (AWS-RunShellScript) carries no tag:
  // a statement naming only documents, in full, needs none.
  'ssm:SendCommand': {
    ok: (s) =>
      requiresTrue(s, [`ssm:resourcetag/${M}`, `aws:resourcetag/${M}`]) ||
      (s.NotResource === undefined &&
        list(s.Resource).length > 0 &&
        list(s.Resource).every(isNamedSsmDocument)),
    needs: `ssm:resourceTag/${M} or aws:ResourceTag/${M} equal to true (only SSM documents named in full need none)`,
  },
  'ssm:StartSession': {
    ok: (s) =>
      requiresTrue(s, [`ssm:resourcetag/${M}`, `aws:resourcetag/${M}`]) ||
      (s.NotResource === undefined &&
        list(s.Resource).length > 0 &&
        list(s.Resource).every(isNamedSsmDocument)),
    needs: `ssm:resourceTag/${M} or aws:ResourceTag/${M} equal to true (only SSM documents named in full need none)`,
  },
  // Tagging anything `ami-lifecycle:managed` would let every other rule act on it: tags only as a guarded
  // action creates something (ec2:CreateAction), or only on what carries the tag already.
  'ec2:CreateTags': {
    ok: (s) => requiresManagedTag(s) || requiresOneOf(s, 'ec2:createaction', TAG_ON_CREATE_ACTIONS),
    needs: `ec2:CreateAction equal to ${TAG_ON_CREATE_ACTIONS.join(', ')} (tags as they create), or the ${M} tag on the resource`,
  },
  // The instance and its volumes only when the launch tags them ours.
  'ec2:RunInstances': {
    ok: (s) =>
      !['instance', 'volume'].some((t) => mayCover(s, t)) || requiresTrue(s, [`aws:requesttag/${M}`]),
    needs: `aws:RequestTag/${M} equal to true on the instance and its volumes`,
  },
  // An image only from an instance that carries the tag; the new image and its snapshots are free.
  'ec2:CreateImage': {
    ok: (s) => requiresManagedTag(s) || onlyOfTypes(s, ['image', 'snapshot']),
    needs: `the ${M} tag on the instance (a statement naming only images and snapshots, the new ones, needs none)`,
  },
  // A copy only of an image that carries the tag. Since 28 October 2024 CopyImage is authorized on the
  // source image too; it and the new copy are both `image/*`, and only the source has tags, so: the
  // source statement requires the tag; the copy's statement requires the copy to be tagged ours and
  // leaves out, by NotResource, the images of the stack's region, the home region every copy is made from.
  'ec2:CopyImage': {
    ok: (s) =>
      requiresManagedTag(s) ||
      (requiresTrue(s, [`aws:requesttag/${M}`]) &&
        s.Resource === undefined &&
        resourceTexts(s.NotResource).some((t) => HOME_REGION_IMAGES.test(t))),
    needs: `the ${M} tag on the source image, or aws:RequestTag/${M} with NotResource leaving out the images of \${AWS::Region}`,
  },
  // Only a role of PASSABLE_ROLES, named in full, and only to its service.
  'iam:PassRole': {
    ok: (s) => {
      const names = roleNamesOf(s);
      if (s.NotResource !== undefined || names.length === 0) return false;
      if (names.some((n) => n === undefined || !Object.hasOwn(PASSABLE_ROLES, n))) return false;
      const services = [...new Set(names.map((n) => PASSABLE_ROLES[n!]!))];
      return services.length === 1 && requiresOneOf(s, 'iam:passedtoservice', services);
    },
    needs: `a role of ${Object.entries(PASSABLE_ROLES)
      .map(([role, service]) => `${role} (to ${service})`)
      .join(', ')} named in full, and iam:PassedToService equal to its service`,
  },
};
export const GUARDED_ACTIONS = Object.keys(GUARDED);

/**
 * Rule: what launches, runs commands, tags, copies or hands on a role (`GUARDED_ACTIONS`, named or
 * matched by a wildcard or NotAction) is allowed only with its guard: `ssm:SendCommand` on instances
 * carrying the managed tag; `ec2:CreateTags` only as RunInstances, CreateImage or CopyImage create, or on
 * what carries the tag; `ec2:RunInstances` of an instance or volume only tagged ours in the request;
 * `ec2:CreateImage` only of a tagged instance; `ec2:CopyImage` only of a tagged source; `iam:PassRole`
 * only of the builder role, to EC2. Without them a function could get a root shell on any instance, or
 * mint the `ami-lifecycle:managed` tag on what it did not make.
 */
export const unguardedActions = (template: CfnTemplate): string[] =>
  policyStatements(template).flatMap(({ where, statement }) =>
    statement.Effect !== 'Allow'
      ? []
      : Object.entries(GUARDED)
          .filter(([action, guard]) => grants(statement, action) && !guard.ok(statement))
          .map(([action, guard]) => `${where} allows ${action} without its guard: ${guard.needs}`),
  );

/**
 * Rule: every function has a role of its own. A function whose `Role` is not `!GetAtt <Role>.Arn` of a
 * role in the template, whose role is the provider's default role (`IamRoleLambdaExecution`), or whose
 * role another function has too, is a violation; so is a function role Lambda is not the only one trusted
 * to assume. The default role, which the framework leaves in the template with the stage's log, X-Ray
 * and dead-letter statements, must be used by nothing and deployed never (`neverDeployed`): deployed,
 * anyone allowed to pass it could run code with them.
 */
export const sharedRoles = (template: CfnTemplate): string[] => {
  const roles = new Map(resourcesOfType(template, 'AWS::IAM::Role'));
  const byRole = new Map<string, string[]>();
  const found: string[] = [];
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const role = getAttTarget(fn.Properties?.Role);
    if (role === undefined || !roles.has(role)) {
      found.push(`${id} does not run as a role of this template (${JSON.stringify(fn.Properties?.Role)})`);
      continue;
    }
    if (role === DEFAULT_ROLE) found.push(`${id} runs as the provider's default role ${DEFAULT_ROLE}`);
    byRole.set(role, [...(byRole.get(role) ?? []), id]);
  }
  for (const [role, fns] of byRole) {
    if (fns.length > 1) found.push(`${fns.join(', ')} share the role ${role}`);
    const trust = statementsOf(roles.get(role)?.Properties?.AssumeRolePolicyDocument).filter(
      (s) => s.Effect === 'Allow',
    );
    const lambdaOnly =
      trust.length === 1 &&
      list((trust[0]!.Principal as { Service?: unknown } | undefined)?.Service).join() ===
        'lambda.amazonaws.com' &&
      Object.keys(trust[0]!.Principal as object).length === 1;
    if (!lambdaOnly)
      found.push(`${role} trusts ${JSON.stringify(trust.map((s) => s.Principal))}, not Lambda alone`);
  }
  const defaultRoleUse = JSON.stringify(
    Object.entries(template.Resources).filter(([id]) => id !== DEFAULT_ROLE),
  ).includes(`"${DEFAULT_ROLE}"`);
  if (defaultRoleUse) found.push(`${DEFAULT_ROLE}, the provider's default role, is used by the template`);
  if (roles.has(DEFAULT_ROLE) && !neverDeployed(template, DEFAULT_ROLE))
    found.push(
      `${DEFAULT_ROLE}, the provider's default role, is deployed: give it a Condition that never holds`,
    );
  return found;
};

/**
 * Rule: every target of every EventBridge rule has a `RetryPolicy` (with its attempts and event age) and a
 * `DeadLetterConfig` naming an SQS queue of the template whose queue policy lets EventBridge send to it.
 */
export const ruleTargetsWithoutDeadLetters = (template: CfnTemplate): string[] => {
  const queuesEventBridgeMaySendTo = new Set(
    resourcesOfType(template, 'AWS::SQS::QueuePolicy').flatMap(([, r]) => {
      const allows = statementsOf(r.Properties?.PolicyDocument).some(
        (s) =>
          s.Effect === 'Allow' &&
          JSON.stringify(s.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }) &&
          actionsOf(s).includes('sqs:SendMessage'),
      );
      return allows ? list(r.Properties?.Queues).map(refTarget) : [];
    }),
  );
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([id, rule]) => {
    const targets = list(rule.Properties?.Targets) as Record<string, unknown>[];
    if (targets.length === 0) return [`${id} has no targets`];
    return targets.flatMap((t, i) => {
      const where = `${id}.Targets[${i}]`;
      const found: string[] = [];
      const retry = t.RetryPolicy as Record<string, unknown> | undefined;
      if (
        typeof retry?.MaximumRetryAttempts !== 'number' ||
        typeof retry?.MaximumEventAgeInSeconds !== 'number'
      ) {
        found.push(`${where} has no RetryPolicy with MaximumRetryAttempts and MaximumEventAgeInSeconds`);
      }
      const dlq = getAttTarget((t.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn);
      if (dlq === undefined || template.Resources[dlq]?.Type !== 'AWS::SQS::Queue') {
        found.push(`${where} has no DeadLetterConfig naming an SQS queue of this template`);
      } else if (!queuesEventBridgeMaySendTo.has(dlq)) {
        found.push(`${where} dead-letters to ${dlq}, whose queue policy does not let EventBridge send`);
      }
      return found;
    });
  });
};

/** A Lambda function's ARN, as CloudFormation would make it, for a definition's placeholders. */
const PSEUDO: Record<string, string> = {
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'eu-west-1',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * A state machine's definition as Step Functions would receive it: `DefinitionString` (a string, or
 * `Fn::Sub` with its variables) with `${AWS::...}` pseudo parameters and functions' `Fn::GetAtt <Fn>.Arn` /
 * `Ref` filled in, parsed; or `Definition` as it is. Anything else it refuses, naming it.
 */
export const stateMachineDefinition = (template: CfnTemplate, id: string): unknown => {
  const props = template.Resources[id]?.Properties ?? {};
  if (props.Definition !== undefined) return props.Definition;
  const raw = props.DefinitionString;
  const sub = (raw as { 'Fn::Sub'?: unknown } | null)?.['Fn::Sub'];
  const [text, variables] =
    typeof raw === 'string'
      ? [raw, {}]
      : typeof sub === 'string'
        ? [sub, {}]
        : Array.isArray(sub) && typeof sub[0] === 'string'
          ? [sub[0], (sub[1] ?? {}) as Record<string, unknown>]
          : [undefined, {}];
  if (text === undefined) throw new Error(`${id}: DefinitionString is neither a string nor an Fn::Sub`);
  const functionArn = (fnId: string) => {
    const fn = template.Resources[fnId];
    if (fn?.Type !== 'AWS::Lambda::Function')
      throw new Error(`${id}: ${fnId} is not a function of this template`);
    const name = typeof fn.Properties?.FunctionName === 'string' ? fn.Properties.FunctionName : fnId;
    return `arn:aws:lambda:${PSEUDO['AWS::Region']}:${PSEUDO['AWS::AccountId']}:function:${name}`;
  };
  const value = (name: string): string => {
    if (Object.hasOwn(variables, name)) {
      const v = variables[name];
      if (typeof v === 'string') return v;
      const target = getAttTarget(v) ?? refTarget(v);
      if (target !== undefined) return functionArn(target);
      throw new Error(`${id}: the Fn::Sub variable ${name} is ${JSON.stringify(v)}`);
    }
    if (Object.hasOwn(PSEUDO, name)) return PSEUDO[name]!;
    if (name.endsWith('.Arn')) return functionArn(name.slice(0, -4));
    throw new Error(`${id}: \${${name}} names nothing the definition can be checked with`);
  };
  const filled = text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) =>
    // Inside the JSON text: a value must not break its string.
    JSON.stringify(value(name)).slice(1, -1),
  );
  return JSON.parse(filled);
};

export interface AslResult {
  isValid: boolean;
  errorsText: (separator?: string) => string;
}
export type AslValidator = (
  definition: object,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => AslResult;

/**
 * Rule: every state machine's definition (see `stateMachineDefinition`) is valid Amazon States Language,
 * as asl-validator (JSON schema, transitions, terminal states, paths, ARNs) judges it.
 */
export const invalidStateMachines = (template: CfnTemplate, validate: AslValidator): string[] =>
  resourcesOfType(template, 'AWS::StepFunctions::StateMachine').flatMap(([id]) => {
    let definition: unknown;
    try {
      definition = stateMachineDefinition(template, id);
    } catch (e) {
      return [(e as Error).message];
    }
    if (typeof definition !== 'object' || definition === null)
      return [`${id}: the definition is not an object`];
    // asl-validator writes defaults into what it is given.
    const result = validate(structuredClone(definition) as object, { checkPaths: true, checkArn: true });
    return result.isValid ? [] : [`${id}: ${result.errorsText('; ')}`];
  });

/** One packaged artefact: its size and the paths inside it. */
export interface Artefact {
  bytes: number;
  entries: readonly string[];
}

/**
 * Rule: every function's code is its own zip. Each function's `Code.S3Key` names a zip no other function
 * names; the zip is in the package directory and not empty; it holds the function's handler module
 * (`<handler path>.js`) and no other function's.
 */
export const sharedArtefacts = (
  template: CfnTemplate,
  artefacts: ReadonlyMap<string, Artefact>,
): string[] => {
  const functions = resourcesOfType(template, 'AWS::Lambda::Function');
  const moduleOf = (fn: CfnResource) => {
    const handler = fn.Properties?.Handler;
    return typeof handler === 'string' ? `${handler.slice(0, handler.lastIndexOf('.'))}.js` : undefined;
  };
  const modules = new Map(functions.map(([id, fn]) => [id, moduleOf(fn)]));
  const byZip = new Map<string, string[]>();
  const found: string[] = [];
  for (const [id, fn] of functions) {
    const key = (fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
    if (typeof key !== 'string' || !key.endsWith('.zip')) {
      found.push(`${id} has no zip of its own (Code: ${JSON.stringify(fn.Properties?.Code)})`);
      continue;
    }
    const zip = key.slice(key.lastIndexOf('/') + 1);
    byZip.set(zip, [...(byZip.get(zip) ?? []), id]);
    const artefact = artefacts.get(zip);
    if (!artefact) {
      found.push(`${id}: ${zip} is not in the package`);
      continue;
    }
    if (artefact.bytes === 0 || artefact.entries.length === 0) found.push(`${id}: ${zip} is empty`);
    const own = modules.get(id);
    if (own === undefined || !artefact.entries.includes(own)) {
      found.push(`${id}: ${zip} does not hold its handler module ${own}`);
    }
    for (const [other, module] of modules) {
      if (other !== id && module !== own && module !== undefined && artefact.entries.includes(module)) {
        found.push(`${id}: ${zip} also holds ${other}'s handler module ${module}`);
      }
    }
  }
  for (const [zip, ids] of byZip)
    if (ids.length > 1) found.push(`${ids.join(', ')} share the artefact ${zip}`);
  return found;
};

/** A resource as written: a string, or the template of its `Fn::Sub`; anything else as JSON. */
export const resourceText = (r: unknown): string => {
  if (typeof r === 'string') return r;
  const sub = (r as { 'Fn::Sub'?: unknown } | null)?.['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && typeof sub[0] === 'string') return sub[0];
  return JSON.stringify(r);
};

/** The roles whose policies allow `action` on a resource `resource` accepts (as written: intrinsics too). */
const rolesAllowingWhere = (
  template: CfnTemplate,
  action: string,
  resource: (r: unknown) => boolean,
): Set<string> =>
  new Set(
    policyStatements(template).flatMap(({ role, statement }) =>
      role !== undefined && grants(statement, action) && list(statement.Resource).some(resource)
        ? [role]
        : [],
    ),
  );

/** A resource of the template a statement may name: its logical id, and its ARN as a `!Sub` writes it. */
interface Target {
  id: string;
  arn?: string;
}
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's pseudo parameters, as a `!Sub` writes them
const REGIONAL_ARN = 'arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:';
const regionalArn = (service: string, rest: string) => `${REGIONAL_ARN.replace('<service>', service)}${rest}`;
const namedBy = (template: CfnTemplate, id: string, property: string): string | undefined => {
  const name = template.Resources[id]?.Properties?.[property];
  return typeof name === 'string' ? name : undefined;
};
const busTarget = (template: CfnTemplate, id: string): Target => {
  const name = namedBy(template, id, 'Name');
  return { id, ...(name !== undefined ? { arn: regionalArn('events', `event-bus/${name}`) } : {}) };
};
const queueTarget = (template: CfnTemplate, id: string): Target => {
  const name = namedBy(template, id, 'QueueName');
  return { id, ...(name !== undefined ? { arn: regionalArn('sqs', name) } : {}) };
};

/** Pseudo parameters with values of their real length, to compare ARNs written with and without them. */
const SAMPLE_PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
};
const concrete = (text: string): string | undefined => {
  const out = text.replace(/\$\{(AWS::[A-Za-z]+)\}/g, (whole, name: string) =>
    Object.hasOwn(SAMPLE_PSEUDO, name) ? SAMPLE_PSEUDO[name]! : whole,
  );
  return out.includes('${') ? undefined : out;
};

type Naming = 'yes' | 'no' | 'unknown';
/**
 * Whether a resource as a statement writes it names `target`: `*`; `!GetAtt <Target>.Arn`; a string or
 * `!Sub` ARN (pseudo parameters only) that is the target's, or a wildcard matching it. What the check
 * cannot read (another intrinsic, a `!Sub` with variables, an ARN of a target it cannot name) is `unknown`.
 */
const resourceNames = (r: unknown, target: Target): Naming => {
  if (r === '*') return 'yes';
  const att = (r as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  if (att !== undefined) {
    const of = getAttTarget(r);
    if (of !== undefined) return of === target.id ? 'yes' : 'no';
    const id = Array.isArray(att) ? att[0] : typeof att === 'string' ? att.split('.')[0] : undefined;
    return id === target.id ? 'unknown' : 'no';
  }
  const sub = (r as { 'Fn::Sub'?: unknown } | null)?.['Fn::Sub'];
  const text = typeof r === 'string' ? r : typeof sub === 'string' ? sub : undefined;
  if (text === undefined || target.arn === undefined) return 'unknown';
  const pattern = concrete(text);
  const arn = concrete(target.arn);
  if (pattern === undefined || arn === undefined) return 'unknown';
  return globMatches(pattern, arn, false) ? 'yes' : 'no';
};
/** Whether a statement's Resource (or NotResource, by what it leaves out) names `target`. */
const statementNames = (s: Statement, target: Target): Naming => {
  if (s.NotResource !== undefined) {
    const left = list(s.NotResource).map((r) => resourceNames(r, target));
    return left.includes('yes') ? 'no' : left.includes('unknown') ? 'unknown' : 'yes';
  }
  const named = list(s.Resource).map((r) => resourceNames(r, target));
  return named.includes('yes') ? 'yes' : named.includes('unknown') ? 'unknown' : 'no';
};

/**
 * The roles whose policies allow `action` on `target`, by whatever form (`!GetAtt`, `*`, a `!Sub` ARN, a
 * wildcard), and a violation for each statement allowing it in a form the check cannot tell about.
 */
const rolesAllowing = (
  template: CfnTemplate,
  action: string,
  target: Target,
): { roles: Set<string>; unknown: string[] } => {
  const roles = new Set<string>();
  const unknown: string[] = [];
  for (const { where, role, statement } of policyStatements(template)) {
    if (role === undefined || !grants(statement, action)) continue;
    const naming = statementNames(statement, target);
    if (naming === 'yes') roles.add(role);
    if (naming === 'unknown')
      unknown.push(
        `${where} allows ${action} on ${brief(statement.Resource ?? { NotResource: statement.NotResource })}, which the check cannot tell names ${target.id} or not: name it by !GetAtt ${target.id}.Arn or a !Sub ARN`,
      );
  }
  return { roles, unknown };
};

/**
 * Rule: the bus policy's exceptions are exactly the roles that put events. Its Deny of `events:PutEvents`
 * spares (`ArnNotEquals`/`ArnNotLike` on `aws:PrincipalArn`) the roles whose policies allow
 * `events:PutEvents` on that bus, by `!GetAtt <Role>.Arn`: a role that may put events but is not spared
 * would be denied on AWS; a role spared that may not is an exception nobody needs. A role's statement
 * names the bus by `!GetAtt <Bus>.Arn`, `*`, or a `!Sub` ARN or wildcard matching the bus's; a form the
 * check cannot resolve is a violation. Other exceptions (the operator role, the account root) are not
 * roles of the template and are left alone.
 */
export const busPolicyMismatches = (template: CfnTemplate): string[] =>
  resourcesOfType(template, 'AWS::Events::EventBusPolicy').flatMap(([id, policy]) => {
    const bus = refTarget(policy.Properties?.EventBusName);
    if (bus === undefined) return [`${id} does not name its bus by Ref`];
    const { roles: putters, unknown } = rolesAllowing(template, 'events:PutEvents', busTarget(template, bus));
    const denies = list(policy.Properties?.Statement).filter(
      (s) => (s as Statement).Effect === 'Deny' && actionsOf(s as Statement).includes('events:PutEvents'),
    ) as Statement[];
    if (denies.length === 0) return [...unknown, `${id} denies nobody events:PutEvents`];
    return [
      ...unknown,
      ...denies.flatMap((deny, i) => {
        const spared = new Set(
          ['ArnNotEquals', 'ArnNotLike'].flatMap((op) =>
            list(deny.Condition?.[op]?.['aws:PrincipalArn'])
              .map((v) => getAttTarget(v))
              .filter((r): r is string => r !== undefined),
          ),
        );
        return [
          ...[...putters]
            .filter((r) => !spared.has(r))
            .map((r) => `${id}.Statement#${i} denies ${r}, whose policy allows events:PutEvents on ${bus}`),
          ...[...spared]
            .filter((r) => !putters.has(r))
            .map(
              (r) =>
                `${id}.Statement#${i} spares ${r}, whose policy does not allow events:PutEvents on ${bus}`,
            ),
        ];
      }),
    ];
  });

/** The ARN of a rule of the template as a `!Sub` writes it; undefined when its Name or bus is not plain. */
const ruleArn = (template: CfnTemplate, id: string): string | undefined => {
  const p = template.Resources[id]?.Properties ?? {};
  if (typeof p.Name !== 'string') return undefined;
  const bus = p.EventBusName;
  if (bus === undefined || bus === 'default') return regionalArn('events', `rule/${p.Name}`);
  const ref = refTarget(bus);
  const busName = ref !== undefined ? namedBy(template, ref, 'Name') : bus;
  if (typeof busName !== 'string' || busName.startsWith('arn:')) return undefined;
  return regionalArn('events', `rule/${busName}/${p.Name}`);
};
const isEveryone = (principal: unknown) =>
  principal === '*' || JSON.stringify(principal) === JSON.stringify({ AWS: '*' });

/**
 * Rule: a dead-letter queue (one a rule target's `DeadLetterConfig` or a function's `onFailure`
 * destination names) is written only by what dead-letters to it, so nobody can plant a record there for
 * an operator to re-drive. Its queue policy:
 * - denies `sqs:SendMessage` to every principal (`*`) but the roles spared by `ArnNotEquals`/`ArnNotLike`
 *   on `aws:PrincipalArn`, conditioned on `aws:PrincipalIsAWSService` false (the Deny would stop
 *   EventBridge too); the roles spared are exactly the roles whose policies allow `sqs:SendMessage` on
 *   the queue (Lambda sends a function's failure records as its role; lambda-kit its rejected events),
 *   by `!GetAtt <Role>.Arn`, and nothing else is spared;
 * - allows nothing but EventBridge's `sqs:SendMessage`, for exactly the rules that dead-letter to the
 *   queue (`ArnEquals`/`ArnLike` on `aws:SourceArn`: each rule's ARN as a `!Sub` writes it, or its
 *   `!GetAtt <Rule>.Arn`).
 */
export const deadLetterQueueMismatches = (template: CfnTemplate): string[] => {
  const isQueue = (id: string | undefined): id is string =>
    id !== undefined && template.Resources[id]?.Type === 'AWS::SQS::Queue';
  const queues = new Map<string, Set<string>>();
  for (const [ruleId, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
    for (const t of list(rule.Properties?.Targets)) {
      const queue = getAttTarget(
        (t as { DeadLetterConfig?: { Arn?: unknown } } | null)?.DeadLetterConfig?.Arn,
      );
      if (isQueue(queue)) queues.set(queue, (queues.get(queue) ?? new Set()).add(ruleId));
    }
  }
  for (const [, config] of resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig')) {
    const queue = getAttTarget(
      (config.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
        ?.OnFailure?.Destination,
    );
    if (isQueue(queue) && !queues.has(queue)) queues.set(queue, new Set());
  }
  const statements = policyStatements(template);
  return [...queues].flatMap(([queue, rules]) => {
    const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy')
      .filter(([, p]) => list(p.Properties?.Queues).some((q) => refTarget(q) === queue))
      .map(([id]) => id);
    if (policies.length === 0)
      return [`${queue} takes dead letters, but no queue policy of this template covers it`];
    const target = queueTarget(template, queue);
    const { roles: senders, unknown } = rolesAllowing(template, 'sqs:SendMessage', target);
    const own = statements.filter(({ where }) => policies.some((p) => where.startsWith(`${p}.`)));
    const found = [...unknown];

    const denies = own.filter(
      ({ statement: s }) =>
        s.Effect === 'Deny' &&
        isEveryone(s.Principal) &&
        actionsOf(s).some((a) => actionMatches(a, 'sqs:SendMessage')) &&
        statementNames(s, target) !== 'no',
    );
    if (denies.length === 0)
      found.push(
        `${policies.join(', ')} denies nobody sqs:SendMessage on ${queue}: any principal of the account allowed it may write a record there`,
      );
    for (const { where, statement: deny } of denies) {
      const exceptions = ['ArnNotEquals', 'ArnNotLike'].flatMap((op) =>
        list(deny.Condition?.[op]?.['aws:PrincipalArn']),
      );
      const spared = new Set<string>();
      for (const v of exceptions) {
        const role = getAttTarget(v);
        if (role !== undefined && template.Resources[role]?.Type === 'AWS::IAM::Role') spared.add(role);
        else found.push(`${where} spares ${brief(v)}, which is no role of this template`);
      }
      const services = deny.Condition?.Bool?.['aws:PrincipalIsAWSService'];
      if (!list(services).some((v) => v === 'false' || v === false) || list(services).length !== 1)
        found.push(
          `${where} denies AWS services too, EventBridge's dead letters among them: condition it on aws:PrincipalIsAWSService false`,
        );
      for (const r of senders)
        if (!spared.has(r))
          found.push(`${where} denies ${r}, whose policy allows sqs:SendMessage on ${queue}`);
      for (const r of spared)
        if (!senders.has(r))
          found.push(`${where} spares ${r}, whose policy does not allow sqs:SendMessage on ${queue}`);
    }

    const arns = new Map([...rules].map((id) => [id, ruleArn(template, id)]));
    const allowed = new Set<string>();
    for (const { where, statement: s } of own.filter(({ statement }) => statement.Effect === 'Allow')) {
      const eventBridge =
        JSON.stringify(s.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }) &&
        s.NotAction === undefined &&
        actionsOf(s).length > 0 &&
        actionsOf(s).every((a) => a === 'sqs:SendMessage');
      if (!eventBridge) {
        found.push(
          `${where} allows ${brief(s.Principal)} ${brief(s.Action ?? { NotAction: s.NotAction })}: the queue may allow only EventBridge's sqs:SendMessage, for the rules that dead-letter to it`,
        );
        continue;
      }
      const sources = ['ArnEquals', 'ArnLike'].flatMap((op) => list(s.Condition?.[op]?.['aws:SourceArn']));
      if (sources.length === 0)
        found.push(`${where} lets EventBridge send for any rule: condition it on aws:SourceArn`);
      for (const v of sources) {
        const byAtt = getAttTarget(v);
        const rule = [...arns].find(([id, arn]) =>
          byAtt !== undefined ? byAtt === id : arn !== undefined && resourceText(v) === arn,
        );
        if (rule !== undefined) allowed.add(rule[0]);
        else
          found.push(
            `${where} lets EventBridge send for ${brief(v)}, which is no rule dead-lettering to ${queue}`,
          );
      }
    }
    for (const [id, arn] of arns) {
      if (!allowed.has(id))
        found.push(
          `${policies.join(', ')} does not let EventBridge dead-letter for ${id}${arn === undefined ? ' (whose ARN the check cannot tell from its Name and EventBusName)' : ''}`,
        );
    }
    return found;
  });
};

/**
 * The longest region code of the commercial, China and GovCloud partitions, 14 characters:
 * `ap-southeast-2` (the other `ap-southeast-<n>` and `ap-northeast-<n>`, and China's `cn-northwest-1`,
 * are as long; GovCloud's `us-gov-west-1` is 13). The isolated partitions' `us-isof-south-1` (15) is left
 * out: this controller is deployed to none of them.
 */
export const LONGEST_REGION = 'ap-southeast-2';
/** IAM's limit on a role name. */
export const MAX_ROLE_NAME = 64;

/** A name as CloudFormation would make it: a string, `Fn::Join` or `Fn::Sub` of strings and pseudo parameters. */
const nameText = (v: unknown, pseudo: Record<string, string>): string | undefined => {
  if (typeof v === 'string') return v;
  if (!isObject(v)) return undefined;
  const ref = refTarget(v);
  if (ref !== undefined) return Object.hasOwn(pseudo, ref) ? pseudo[ref] : undefined;
  const join = v['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join;
    if (typeof separator !== 'string' || !Array.isArray(parts)) return undefined;
    const texts = parts.map((part) => nameText(part, pseudo));
    return texts.every((t) => t !== undefined) ? texts.join(separator) : undefined;
  }
  const sub = v['Fn::Sub'];
  const [text, variables] =
    typeof sub === 'string'
      ? [sub, {}]
      : Array.isArray(sub) && typeof sub[0] === 'string' && (sub[1] === undefined || isObject(sub[1]))
        ? [sub[0], (sub[1] ?? {}) as Record<string, unknown>]
        : [undefined, {}];
  if (text === undefined) return undefined;
  let resolved = true;
  const out = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    const value = Object.hasOwn(variables, name)
      ? nameText((variables as Record<string, unknown>)[name], pseudo)
      : Object.hasOwn(pseudo, name)
        ? pseudo[name]
        : undefined;
    if (value === undefined) resolved = false;
    return value ?? whole;
  });
  return resolved ? out : undefined;
};

/**
 * Rule: every role's name fits IAM's 64 characters in every region the template may be deployed to. A
 * `RoleName` (a string, or `Fn::Join`/`Fn::Sub` of strings and pseudo parameters) is made with
 * `${AWS::Region}` as `region` (by default `LONGEST_REGION`), `${AWS::AccountId}` as 12 digits and
 * `${AWS::Partition}` as `aws-us-gov`; one longer than 64 characters, or one the check cannot make (another
 * intrinsic, `${AWS::StackName}`), is a violation. serverless-iam-roles-per-function drops `-lambdaRole`
 * from a role's name only when the region it was packaged for makes it too long: a template packaged for a
 * short region and deployed to a long one would fail at CreateRole.
 */
export const longRoleNames = (template: CfnTemplate, region = LONGEST_REGION): string[] => {
  const pseudo = {
    'AWS::Region': region,
    'AWS::AccountId': '123456789012',
    'AWS::Partition': 'aws-us-gov',
    'AWS::URLSuffix': 'amazonaws.com.cn',
  };
  return resourcesOfType(template, 'AWS::IAM::Role').flatMap(([id, role]) => {
    const given = role.Properties?.RoleName;
    if (given === undefined || neverDeployed(template, id)) return [];
    const name = nameText(given, pseudo);
    if (name === undefined)
      return [`${id}: the check cannot make its RoleName ${brief(given)} to measure it`];
    return name.length > MAX_ROLE_NAME
      ? [
          `${id}: its RoleName is ${name}, ${name.length} characters in ${region}: over IAM's ${MAX_ROLE_NAME}`,
        ]
      : [];
  });
};

/**
 * Rule: what Lambda does with a function's role on its behalf is in that role. With a role per function
 * nothing comes from the provider's role: a function with an `onFailure` destination (its
 * AWS::Lambda::EventInvokeConfig) needs `sqs:SendMessage` on that queue, and one with active tracing
 * needs `xray:PutTraceSegments` and `xray:PutTelemetryRecords`.
 */
export const functionRoleGaps = (template: CfnTemplate): string[] => {
  const roleOf = (fnId: string) => getAttTarget(template.Resources[fnId]?.Properties?.Role);
  const allows = (role: string | undefined, action: string, resource: (r: unknown) => boolean) =>
    role !== undefined && rolesAllowingWhere(template, action, resource).has(role);
  const found: string[] = [];
  for (const [id, config] of resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig')) {
    const fn = refTarget(config.Properties?.FunctionName);
    const destination = (config.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } })
      ?.OnFailure?.Destination;
    if (fn === undefined || destination === undefined) continue;
    const same = (r: unknown) => JSON.stringify(r) === JSON.stringify(destination);
    if (!allows(roleOf(fn), 'sqs:SendMessage', same)) {
      found.push(`${fn}'s role may not send to its onFailure destination (${id})`);
    }
  }
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    if ((fn.Properties?.TracingConfig as { Mode?: unknown } | undefined)?.Mode !== 'Active') continue;
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) {
      if (!allows(roleOf(id), action, (r) => r === '*'))
        found.push(`${id} traces actively, but its role lacks ${action}`);
    }
  }
  return found;
};

/**
 * Rule: an output listing role ARNs (`Fn::Join` of `!GetAtt <Role>.Arn`) lists exactly the roles whose
 * policies allow `action` on a resource that ends with `resourceSuffix`.
 */
export const outputRoleMismatches = (
  template: CfnTemplate,
  output: string,
  action: string,
  resourceSuffix: string,
): string[] => {
  const value = template.Outputs?.[output]?.Value as { 'Fn::Join'?: [string, unknown[]] } | undefined;
  const listed = new Set(
    list(value?.['Fn::Join']?.[1])
      .map((v) => getAttTarget(v))
      .filter((r): r is string => r !== undefined),
  );
  const allowed = rolesAllowingWhere(template, action, (r) => resourceText(r).endsWith(resourceSuffix));
  if (listed.size === 0) return [`the output ${output} lists no role`];
  return [
    ...[...allowed]
      .filter((r) => !listed.has(r))
      .map((r) => `${output} leaves out ${r}, which may ${action}`),
    ...[...listed].filter((r) => !allowed.has(r)).map((r) => `${output} lists ${r}, which may not ${action}`),
  ];
};

/**
 * Rule: a bundle needs nothing from outside but Node's own modules (`builtins`, with or without `node:`):
 * of the modules it imports or requires (`imports`, as a parser reads its code), those that are neither,
 * which the Lambda runtime would have to provide (`@aws-sdk/...` left external is one).
 */
export const externalModules = (imports: readonly string[], builtins: readonly string[]): string[] => {
  const own = new Set(builtins.flatMap((b) => [b, `node:${b}`]));
  return [...new Set(imports)].filter((m) => !own.has(m)).sort();
};
