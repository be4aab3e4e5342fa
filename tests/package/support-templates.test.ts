import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readCloudFormationYaml } from './cloudformation-yaml';
import { ROOT } from './package-service';
import {
  actionsOf,
  type CfnTemplate,
  policyStatements,
  resourceText,
  type Statement,
  unguardedActions,
  unreadablePolicies,
  untaggedDestructiveActions,
  wildcardActions,
} from './template-checks';

/**
 * The templates the deployment needs beside serverless.yml (deploy/): parsed as CloudFormation reads
 * them, held to the same rules as the packaged template, and checked against the names serverless.yml,
 * the functions and the example policy use.
 */
const template = (name: string) =>
  readCloudFormationYaml(join(ROOT, 'deploy', name)) as unknown as CfnTemplate;
// biome-ignore lint/suspicious/noExplicitAny: the templates' properties are read by path
const resource = (t: CfnTemplate, id: string) => t.Resources[id]!.Properties as Record<string, any>;
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every IAM statement of the services' functions, as functions.yml writes them. */
const functionStatements: Statement[] = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
  .map((d) => join(ROOT, 'services', d.name, 'functions.yml'))
  .filter((file) => existsSync(file))
  .flatMap((file) => Object.values(readCloudFormationYaml(file)))
  .flatMap((fn) => ((fn as { iamRoleStatements?: Statement[] }).iamRoleStatements ?? []) as Statement[]);
const resourcesAllowing = (action: string) =>
  functionStatements
    .filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action))
    .flatMap((s) => list(s.Resource).map(resourceText));

/** Every value of `key` anywhere in the example policy. */
const examplePolicyValues = (key: string): string[] => {
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === key && typeof x === 'string') found.push(x);
        else walk(x);
      }
    }
  };
  walk(parse(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8')));
  return found;
};

const trustStatements = (t: CfnTemplate, roleId: string) =>
  policyStatements(t).filter((s) => s.where.startsWith(`${roleId}.AssumeRolePolicyDocument`));

describe.each(['builder-instance-profile.yaml', 'kms-key.yaml', 'workload-inventory-role.yaml'])(
  'deploy/%s',
  (name) => {
    it('is a CloudFormation template that grants no wildcard action and nothing destructive', () => {
      const t = template(name);
      expect(t).toMatchObject({ AWSTemplateFormatVersion: '2010-09-09' });
      expect(Object.keys(t.Resources).length).toBeGreaterThan(0);
      expect(policyStatements(t).length).toBeGreaterThan(0);
      expect(wildcardActions(t)).toEqual([]);
      expect(untaggedDestructiveActions(t)).toEqual([]);
      expect(unguardedActions(t)).toEqual([]);
      expect(unreadablePolicies(t)).toEqual([]);
    });
  },
);

describe('the builder instance profile', () => {
  const t = template('builder-instance-profile.yaml');

  it('is the role the build and inspect functions pass and the profile every family launches with', () => {
    const role = resource(t, 'BuilderRole').RoleName;
    const passed = resourcesAllowing('iam:PassRole');
    expect(passed.length).toBeGreaterThanOrEqual(2);
    expect(passed.filter((arn) => !arn.endsWith(`:role/${role}`))).toEqual([]);
    expect(resource(t, 'BuilderInstanceProfile')).toEqual({
      InstanceProfileName: role,
      Roles: [{ Ref: 'BuilderRole' }],
    });
    expect(new Set(examplePolicyValues('instanceProfile'))).toEqual(new Set([role]));
  });

  it('is trusted by EC2 alone', () => {
    expect(trustStatements(t, 'BuilderRole').map((s) => s.statement)).toEqual([
      { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });

  it("allows what AWS's AmazonSSMManagedInstanceCore allows, named one by one, and nothing else", () => {
    const granted = policyStatements(t)
      .filter((s) => s.role === 'BuilderRole' && s.statement.Effect === 'Allow')
      .flatMap((s) => actionsOf(s.statement));
    expect(granted.sort()).toEqual(
      [
        'ssm:DescribeAssociation',
        'ssm:GetDeployablePatchSnapshotForInstance',
        'ssm:GetDocument',
        'ssm:DescribeDocument',
        'ssm:GetManifest',
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:ListAssociations',
        'ssm:ListInstanceAssociations',
        'ssm:PutInventory',
        'ssm:PutComplianceItems',
        'ssm:PutConfigurePackageResult',
        'ssm:UpdateAssociationStatus',
        'ssm:UpdateInstanceAssociationStatus',
        'ssm:UpdateInstanceInformation',
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
        'ec2messages:AcknowledgeMessage',
        'ec2messages:DeleteMessage',
        'ec2messages:FailMessage',
        'ec2messages:GetEndpoint',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
      ].sort(),
    );
    expect(resource(t, 'BuilderRole').ManagedPolicyArns).toBeUndefined();
  });
});

describe('the image key', () => {
  const t = template('kms-key.yaml');
  const keyStatements = policyStatements(t)
    .filter((s) => s.where.startsWith('ImageKey.KeyPolicy'))
    .map((s) => s.statement);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
  const ROOT_OF_THIS_ACCOUNT = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' };
  const WORKLOADS = { Ref: 'WorkloadAccountIds' };
  const throughEc2 = (s: Statement) =>
    JSON.stringify(s.Condition?.StringLike?.['kms:ViaService']) === JSON.stringify('ec2.*.amazonaws.com');

  it('is the alias every family encrypts with', () => {
    expect(resource(t, 'ImageKeyAlias')).toEqual({
      AliasName: 'alias/ami-lifecycle',
      TargetKeyId: { Ref: 'ImageKey' },
    });
    expect(new Set(examplePolicyValues('kmsKeyId'))).toEqual(new Set(['alias/ami-lifecycle']));
    expect(resource(t, 'ImageKey').EnableKeyRotation).toBe(true);
  });

  const workloads = keyStatements.filter(
    (s) => JSON.stringify((s.Principal as { AWS: unknown }).AWS) === JSON.stringify(WORKLOADS),
  );
  const autoScalingGrant = workloads.filter((s) => s.Sid === 'GrantsForWorkloadAccountsAutoScaling');

  it('names only this account and the workload accounts, and lets the workload accounts use it through EC2 only', () => {
    expect(keyStatements.every((s) => s.Effect === 'Allow')).toBe(true);
    const principals = new Set(
      keyStatements.map((s) => JSON.stringify((s.Principal as { AWS: unknown }).AWS)),
    );
    expect(principals).toEqual(new Set([JSON.stringify(ROOT_OF_THIS_ACCOUNT), JSON.stringify(WORKLOADS)]));
    expect(workloads.length).toBeGreaterThan(0);
    // Through EC2, but for the grant of their own Auto Scaling role (below).
    expect(workloads.filter((s) => !throughEc2(s))).toEqual(autoScalingGrant);
    // Grants only for EC2's volumes, not for anyone to hand on, but that one.
    expect(
      workloads
        .filter((s) => actionsOf(s).includes('kms:CreateGrant') && !autoScalingGrant.includes(s))
        .every((s) => s.Condition?.Bool?.['kms:GrantIsForAWSResource'] === true),
    ).toBe(true);
    // Workload accounts never administer, encrypt anew or delete.
    expect(
      workloads
        .flatMap(actionsOf)
        .filter((a) => !/^kms:(Describe|Decrypt|ReEncrypt|GenerateDataKey|CreateGrant)/.test(a)),
    ).toEqual([]);
  });

  /**
   * The intrinsics of a key policy's condition value made as CloudFormation makes them, for the given
   * parameters (`Ref`, `Fn::Join`, `Fn::Split`, `Fn::Sub` with its variables; `${AWS::Partition}` is `aws`).
   */
  const make = (v: unknown, parameters: Record<string, string[]>): unknown => {
    if (typeof v === 'string' || typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) return v.map((x) => make(x, parameters));
    const [[fn, arg]] = Object.entries(v) as [[string, unknown]];
    const args = arg as unknown[];
    switch (fn) {
      case 'Ref':
        return parameters[arg as string];
      case 'Fn::Join':
        return (make(args[1], parameters) as string[]).join(args[0] as string);
      case 'Fn::Split':
        return (make(args[1], parameters) as string).split(args[0] as string);
      case 'Fn::Sub': {
        const [text, variables] =
          typeof arg === 'string' ? [arg, {}] : (args as [string, Record<string, unknown>]);
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
          name === 'AWS::Partition' ? 'aws' : String(make(variables[name], parameters)),
        );
      }
      default:
        throw new Error(`${fn} is not made here`);
    }
  };
  /** IAM's ArnLike: `*` and `?` within each of an ARN's colon-separated parts. */
  const arnLike = (pattern: string, arn: string) =>
    new RegExp(
      `^${pattern
        .split('')
        .map((c) => (c === '*' ? '[^:]*' : c === '?' ? '[^:]' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
        .join('')}$`,
    ).test(arn);

  it('lets a workload account grant the key to its own EC2 Auto Scaling role, with only what a launch needs', () => {
    // AWS's EC2 Auto Scaling guide: the account that owns the group calls CreateGrant itself for its
    // service-linked role; neither through EC2 nor for an AWS resource, so the statements above refuse it.
    expect(autoScalingGrant).toHaveLength(1);
    const [grant] = autoScalingGrant as [Statement];
    expect(actionsOf(grant)).toEqual(['kms:CreateGrant']);
    expect(Object.keys(grant.Condition ?? {}).sort()).toEqual(['ArnLike', 'ForAllValues:StringEquals']);
    expect(grant.Condition!['ForAllValues:StringEquals']).toEqual({
      'kms:GrantOperations': [
        'Decrypt',
        'GenerateDataKeyWithoutPlaintext',
        'ReEncryptFrom',
        'ReEncryptTo',
        'CreateGrant',
        'DescribeKey',
      ],
    });
    const grantees = make(grant.Condition!.ArnLike!['kms:GranteePrincipal'], {
      WorkloadAccountIds: ['222222222222', '333333333333'],
    }) as string[];
    const role = (account: string, name = 'AWSServiceRoleForAutoScaling') =>
      `arn:aws:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/${name}`;
    expect(grantees).toEqual([
      'arn:*:iam::222222222222:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
      'arn:*:iam::333333333333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
    ]);
    const granted = (arn: string) => grantees.some((p) => arnLike(p, arn));
    expect(granted(role('222222222222'))).toBe(true);
    expect(granted(role('333333333333'))).toBe(true);
    // Not another account's Auto Scaling role, not another role of theirs.
    expect(granted(role('444444444444'))).toBe(false);
    expect(granted('arn:aws:iam::222222222222:role/admin')).toBe(false);
    expect(granted(role('222222222222', 'AWSServiceRoleForAutoScaling_custom'))).toBe(false);
    // One workload account makes one ARN.
    expect(
      make(grant.Condition!.ArnLike!['kms:GranteePrincipal'], { WorkloadAccountIds: ['222222222222'] }),
    ).toEqual([
      'arn:*:iam::222222222222:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
    ]);
  });

  it("allows this account, through EC2, every KMS action the functions' roles use, and keeps its key policy in its hands", () => {
    // The notifications topic's key (serverless.yml's NotificationsKey, whose own policy allows its use
    // through SNS) is another key: the statements that name it alone are not this key's.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Serverless variable, as functions.yml writes it
    const NOTIFICATIONS_KEY = '${self:custom.notificationsKeyArn}';
    const notificationsKey = (s: Statement) =>
      list(s.Resource).length > 0 && list(s.Resource).every((r) => r === NOTIFICATIONS_KEY);
    const used = new Set(
      functionStatements
        .filter((s) => s.Effect === 'Allow' && !notificationsKey(s))
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('kms:')),
    );
    expect(used.size).toBeGreaterThan(0);
    const ownThroughEc2 = new Set(
      keyStatements
        .filter(
          (s) =>
            JSON.stringify((s.Principal as { AWS: unknown }).AWS) === JSON.stringify(ROOT_OF_THIS_ACCOUNT) &&
            throughEc2(s),
        )
        .flatMap(actionsOf),
    );
    expect([...used].filter((a) => !ownThroughEc2.has(a))).toEqual([]);
    expect(
      keyStatements.some((s) => s.Condition === undefined && actionsOf(s).includes('kms:PutKeyPolicy')),
    ).toBe(true);
  });
});

describe('the inventory role', () => {
  const t = template('workload-inventory-role.yaml');

  it('is the role the decommission functions assume and the example policy names for its accounts', () => {
    const name = resource(t, 'InventoryRole').RoleName;
    const assumed = resourcesAllowing('sts:AssumeRole');
    expect(assumed.length).toBeGreaterThanOrEqual(2);
    expect(assumed.filter((arn) => !arn.endsWith(`:role/${name}`))).toEqual([]);
    const named = examplePolicyValues('roleArn');
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((arn) => !arn.endsWith(`:role/${name}`))).toEqual([]);
  });

  it('trusts the function roles the controller stack lists, and the operator role only when given one', () => {
    expect(trustStatements(t, 'InventoryRole').map((s) => s.statement)).toEqual([
      {
        Sid: 'ControllerFunctions',
        Effect: 'Allow',
        Principal: { AWS: { Ref: 'FunctionRoleArns' } },
        Action: 'sts:AssumeRole',
      },
      {
        Sid: 'Operator',
        Effect: 'Allow',
        Principal: { AWS: { Ref: 'OperatorRoleArn' } },
        Action: 'sts:AssumeRole',
      },
    ]);
    expect(
      (
        t as unknown as {
          Parameters: Record<string, { Type: string; Default?: string; Description: string }>;
        }
      ).Parameters,
    ).toMatchObject({
      FunctionRoleArns: {
        Type: 'CommaDelimitedList',
        Description: expect.stringContaining('InventoryReaderRoleArns'),
      },
      OperatorRoleArn: { Type: 'String', Default: '' },
    });
    // The output it is fed from: serverless.yml lists the roles there (the template test checks which).
    const serverless = readCloudFormationYaml(join(ROOT, 'serverless.yml')) as {
      resources: { Outputs: Record<string, unknown> };
    };
    expect(serverless.resources.Outputs).toHaveProperty('InventoryReaderRoleArns');
  });

  it('reads exactly what reading usage calls, and nothing else', () => {
    const source = readFileSync(join(ROOT, 'packages', 'aws', 'src', 'ec2-shared-usage.ts'), 'utf8');
    const called = [...new Set([...source.matchAll(/new (\w+)Command\(/g)].map((m) => `ec2:${m[1]}`))].sort();
    expect(called.length).toBeGreaterThan(0);
    const granted = policyStatements(t)
      .filter((s) => s.role === 'InventoryRole' && s.statement.Effect === 'Allow')
      .flatMap((s) => actionsOf(s.statement))
      .sort();
    expect(granted).toEqual(called);
    expect(granted.filter((a) => !/^ec2:(Describe|Get|List)/.test(a))).toEqual([]);
  });
});
