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
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export interface Statement {
  Sid?: string;
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A statement of one of the template's policies, with where it is (`<LogicalId>.<path>#<index>`). */
export interface LocatedStatement {
  where: string;
  /** The role whose identity policy holds it; undefined for resource policies. */
  role?: string;
  statement: Statement;
}

/** The provider's role, which serverless-iam-roles-per-function leaves in the template unused. */
export const DEFAULT_ROLE = 'IamRoleLambdaExecution';

/** What removes, disables or shares an image, a snapshot or an instance. */
export const DESTRUCTIVE_ACTIONS = [
  'ec2:DeregisterImage',
  'ec2:DeleteSnapshot',
  'ec2:DisableImage',
  'ec2:TerminateInstances',
  'ec2:ModifyImageAttribute',
  'ec2:EnableImageDeprecation',
  'ec2:DisableImageDeregistrationProtection',
] as const;

/** The tag every image, snapshot and instance the controller makes carries. */
export const MANAGED_TAG = 'ami-lifecycle:managed';

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** A statement under `Fn::If` is both of its branches (`AWS::NoValue` is none): either may be deployed. */
const branches = (s: unknown): Statement[] => {
  const fnIf = (s as { 'Fn::If'?: unknown } | null)?.['Fn::If'];
  if (Array.isArray(fnIf)) return fnIf.slice(1).flatMap(branches);
  if ((s as { Ref?: unknown } | null)?.Ref === 'AWS::NoValue') return [];
  return [s as Statement];
};
const statementsOf = (doc: unknown): Statement[] =>
  typeof doc === 'object' && doc !== null
    ? list((doc as { Statement?: unknown }).Statement).flatMap(branches)
    : [];

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
 * Every statement of every policy in the template: roles' inline policies and trust policies, managed and
 * inline policy resources, and the resource policies of queues, buckets, topics, buses and keys.
 */
export const policyStatements = (template: CfnTemplate): LocatedStatement[] =>
  Object.entries(template.Resources).flatMap(([id, r]): LocatedStatement[] => {
    const p = r.Properties ?? {};
    const at = (path: string, doc: unknown, role?: string) =>
      statementsOf(doc).map((statement, i) => ({
        where: `${id}.${path}#${i}`,
        ...(role ? { role } : {}),
        statement,
      }));
    switch (r.Type) {
      case 'AWS::IAM::Role':
        return [
          ...at('AssumeRolePolicyDocument', p.AssumeRolePolicyDocument),
          ...list(p.Policies).flatMap((policy, i) =>
            at(`Policies[${i}]`, (policy as { PolicyDocument?: unknown }).PolicyDocument, id),
          ),
        ];
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        return list(p.Roles).flatMap((role) => at('PolicyDocument', p.PolicyDocument, refTarget(role)));
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SNS::TopicPolicy':
        return at('PolicyDocument', p.PolicyDocument);
      case 'AWS::KMS::Key':
        return at('KeyPolicy', p.KeyPolicy);
      case 'AWS::Events::EventBusPolicy':
        return list(p.Statement).map((statement, i) => ({
          where: `${id}.Statement#${i}`,
          statement: statement as Statement,
        }));
      default:
        return [];
    }
  });

/** The actions a statement names (`Action`, a string or a list; intrinsics are not actions). */
export const actionsOf = (s: Statement): string[] =>
  list(s.Action).filter((a): a is string => typeof a === 'string');

/** `*`, `service:*`, `service:Prefix*`, or any `?`: an action that names more than one action. */
export const isWildcardAction = (action: string): boolean => /[*?]/.test(action);

/** Whether `pattern` (IAM's `*` and `?`, case-insensitive) names `action`. */
export const actionMatches = (pattern: string, action: string): boolean =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  ).test(action);

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

/** Whether a statement's conditions require the managed tag on the resource (`true`). */
export const requiresManagedTag = (s: Statement): boolean =>
  Object.entries(s.Condition ?? {}).some(
    ([operator, block]) =>
      ['StringEquals', 'StringEqualsIgnoreCase', 'StringLike'].includes(operator) &&
      Object.entries(block).some(
        ([key, value]) =>
          [`aws:resourcetag/${MANAGED_TAG}`, `ec2:resourcetag/${MANAGED_TAG}`].includes(key.toLowerCase()) &&
          list(value).length > 0 &&
          list(value).every((v) => v === 'true'),
      ),
  );

/**
 * Rule: a destructive EC2 action (`DESTRUCTIVE_ACTIONS`, named or matched by a wildcard) is allowed only
 * by a statement conditioned on the managed tag (`ec2:ResourceTag/ami-lifecycle:managed` or
 * `aws:ResourceTag/...` equal to `true`), so nothing the controller did not make can be removed, disabled
 * or shared. The Service Authorization Reference lists the image, snapshot and instance resource types
 * of each of these actions with both tag condition keys: none is exempt.
 */
export const untaggedDestructiveActions = (template: CfnTemplate): string[] =>
  policyStatements(template).flatMap(({ where, statement }) => {
    if (statement.Effect !== 'Allow' || requiresManagedTag(statement)) return [];
    const granted = DESTRUCTIVE_ACTIONS.filter(
      (d) =>
        actionsOf(statement).some((a) => actionMatches(a, d)) ||
        (statement.NotAction !== undefined &&
          !list(statement.NotAction).some((a) => typeof a === 'string' && actionMatches(a, d))),
    );
    return granted.map((d) => `${where} allows ${d} without a condition on the ${MANAGED_TAG} tag`);
  });

/**
 * Rule: every function has a role of its own. A function whose `Role` is not `!GetAtt <Role>.Arn` of a
 * role in the template, whose role is the provider's default role (`IamRoleLambdaExecution`), or whose
 * role another function has too, is a violation; so is a function role Lambda is not the only one trusted
 * to assume, and the default role, left in the template, doing anything else than nothing.
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
    if (name in variables) {
      const v = variables[name];
      if (typeof v === 'string') return v;
      const target = getAttTarget(v) ?? refTarget(v);
      if (target !== undefined) return functionArn(target);
      throw new Error(`${id}: the Fn::Sub variable ${name} is ${JSON.stringify(v)}`);
    }
    if (PSEUDO[name] !== undefined) return PSEUDO[name];
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

/** The roles whose policies allow `action` on the resource `resource` (an intrinsic, compared as written). */
const rolesAllowing = (
  template: CfnTemplate,
  action: string,
  resource: (r: unknown) => boolean,
): Set<string> =>
  new Set(
    policyStatements(template).flatMap(({ role, statement }) =>
      role !== undefined &&
      statement.Effect === 'Allow' &&
      actionsOf(statement).some((a) => actionMatches(a, action)) &&
      list(statement.Resource).some(resource)
        ? [role]
        : [],
    ),
  );

/**
 * Rule: the bus policy's exceptions are exactly the roles that put events. Its Deny of `events:PutEvents`
 * spares (`ArnNotEquals`/`ArnNotLike` on `aws:PrincipalArn`) the roles whose policies allow
 * `events:PutEvents` on that bus, by `!GetAtt <Role>.Arn`: a role that may put events but is not spared
 * would be denied on AWS; a role spared that may not is an exception nobody needs. Other exceptions (the
 * operator role, the account root) are not roles of the template and are left alone.
 */
export const busPolicyMismatches = (template: CfnTemplate): string[] =>
  resourcesOfType(template, 'AWS::Events::EventBusPolicy').flatMap(([id, policy]) => {
    const bus = refTarget(policy.Properties?.EventBusName);
    if (bus === undefined) return [`${id} does not name its bus by Ref`];
    const putters = rolesAllowing(template, 'events:PutEvents', (r) => getAttTarget(r) === bus);
    const denies = list(policy.Properties?.Statement).filter(
      (s) => (s as Statement).Effect === 'Deny' && actionsOf(s as Statement).includes('events:PutEvents'),
    ) as Statement[];
    if (denies.length === 0) return [`${id} denies nobody events:PutEvents`];
    return denies.flatMap((deny, i) => {
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
            (r) => `${id}.Statement#${i} spares ${r}, whose policy does not allow events:PutEvents on ${bus}`,
          ),
      ];
    });
  });

/**
 * Rule: what Lambda does with a function's role on its behalf is in that role. With a role per function
 * nothing comes from the provider's role: a function with an `onFailure` destination (its
 * AWS::Lambda::EventInvokeConfig) needs `sqs:SendMessage` on that queue, and one with active tracing
 * needs `xray:PutTraceSegments` and `xray:PutTelemetryRecords`.
 */
export const functionRoleGaps = (template: CfnTemplate): string[] => {
  const roleOf = (fnId: string) => getAttTarget(template.Resources[fnId]?.Properties?.Role);
  const allows = (role: string | undefined, action: string, resource: (r: unknown) => boolean) =>
    role !== undefined && rolesAllowing(template, action, resource).has(role);
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
  const allowed = rolesAllowing(template, action, (r) => resourceText(r).endsWith(resourceSuffix));
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
