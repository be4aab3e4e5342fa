import { bundleImports, zipEntries } from './package-service';
import {
  type Artefact,
  type AslValidator,
  busPolicyMismatches,
  type CfnTemplate,
  DEFAULT_ROLE,
  DESTRUCTIVE_ACTIONS,
  deadLetterQueueMismatches,
  externalModules,
  functionRoleGaps,
  invalidStateMachines,
  LONGEST_REGION,
  longRoleNames,
  neverDeployed,
  outputRoleMismatches,
  policyStatements,
  ruleTargetsWithoutDeadLetters,
  type Statement,
  sharedArtefacts,
  sharedRoles,
  stateMachineDefinition,
  unguardedActions,
  unreadablePolicies,
  untaggedDestructiveActions,
  wildcardActions,
} from './template-checks';

const aslValidator = require('asl-validator') as AslValidator;

const VERSION = '2012-10-17';
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const sub = (s: string) => ({ 'Fn::Sub': s });
// CloudFormation Fn::Sub strings, as the plugins write them.
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
const INSTANCES = 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
const INVENTORY_ROLE = 'arn:${AWS::Partition}:iam::*:role/inventory';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
const ACCOUNT_ROOT = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
const STATES_SERVICE = 'states.${AWS::Region}.amazonaws.com';
// biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub variable
const READER_VARIABLE = '${reader}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub variable naming a resource the template lacks
const GONE_VARIABLE = '${Gone.Arn}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub variable naming an Object.prototype member
const PROTOTYPE_VARIABLE = '${toString}';
/** An ARN with CloudFormation's pseudo parameters, as a `!Sub` writes it. */
const ARN = (service: string, rest: string) =>
  `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${rest}`;
const PUTTER_RULE_ARN = ARN('events', 'rule/svc-ci/svc-ci-putter-rule-1');
const IMAGES = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
  home: 'arn:${AWS::Partition}:ec2:${AWS::Region}::image/*',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
  every: 'arn:${AWS::Partition}:ec2:*::image/*',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
  snapshots: 'arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*',
};
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
const BUILDER_ROLE = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/ami-lifecycle-builder';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
const RUN_SHELL_SCRIPT = 'arn:${AWS::Partition}:ssm:${AWS::Region}::document/AWS-RunShellScript';
const MANAGED = { StringEquals: { 'ec2:ResourceTag/ami-lifecycle:managed': 'true' } };
const TAGGED_IN_REQUEST = { StringEquals: { 'aws:RequestTag/ami-lifecycle:managed': 'true' } };
/**
 * What a function that launches, commands, images and copies is given, each with its guard, as
 * services/*\/functions.yml give them: `unguardedActions` passes every one.
 */
const GUARDED_STATEMENTS = (): Statement[] => [
  // #0, #1: RunInstances, the instance and its volumes only tagged ours in the request.
  {
    Effect: 'Allow',
    Action: ['ec2:RunInstances'],
    Resource: [sub(IMAGES.home), sub(ARN('ec2', 'subnet/*')), sub(ARN('ec2', 'security-group/*'))],
  },
  {
    Effect: 'Allow',
    Action: ['ec2:RunInstances'],
    Resource: [sub(ARN('ec2', 'instance/*')), sub(ARN('ec2', 'volume/*'))],
    Condition: TAGGED_IN_REQUEST,
  },
  // #2: tags only as RunInstances creates.
  {
    Effect: 'Allow',
    Action: ['ec2:CreateTags'],
    Resource: [sub(ARN('ec2', 'instance/*')), sub(ARN('ec2', 'volume/*'))],
    Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
  },
  // #3: the builder role, to EC2.
  {
    Effect: 'Allow',
    Action: ['iam:PassRole'],
    Resource: sub(BUILDER_ROLE),
    Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  },
  // #4, #5: commands, the document untagged, the instance tagged.
  { Effect: 'Allow', Action: ['ssm:SendCommand'], Resource: sub(RUN_SHELL_SCRIPT) },
  {
    Effect: 'Allow',
    Action: ['ssm:SendCommand'],
    Resource: sub(INSTANCES),
    Condition: { StringEquals: { 'ssm:resourceTag/ami-lifecycle:managed': 'true' } },
  },
  // #6, #7: an image of a tagged instance.
  { Effect: 'Allow', Action: ['ec2:CreateImage'], Resource: sub(INSTANCES), Condition: MANAGED },
  { Effect: 'Allow', Action: ['ec2:CreateImage'], Resource: [sub(IMAGES.home), sub(IMAGES.snapshots)] },
  // #8, #9: a copy of a tagged image of the home region, the copy tagged ours.
  { Effect: 'Allow', Action: ['ec2:CopyImage'], Resource: sub(IMAGES.home), Condition: MANAGED },
  {
    Effect: 'Allow',
    Action: ['ec2:CopyImage'],
    NotResource: sub(IMAGES.home),
    Condition: TAGGED_IN_REQUEST,
  },
];
// biome-ignore lint/suspicious/noExplicitAny: hand-made templates are read and changed by path
type Loose = Record<string, any>;
const XRAY: Statement = {
  Effect: 'Allow',
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Resource: '*',
};
const TERMINATE: Statement = {
  Effect: 'Allow',
  Action: ['ec2:TerminateInstances'],
  Resource: sub(INSTANCES),
  Condition: { StringEquals: { 'ec2:ResourceTag/ami-lifecycle:managed': 'true' } },
};
/** A role name as serverless-iam-roles-per-function writes it: `<service>-<stage>-<key>-<region>[-lambdaRole]`. */
const pluginRoleName = (service: string, stage: string, key: string, suffix: 'lambdaRole' | '') => ({
  'Fn::Join': ['-', [service, stage, key, { Ref: 'AWS::Region' }, ...(suffix ? [suffix] : [])]],
});
const role = (...statements: Statement[]) => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: VERSION,
      Statement: [
        { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] },
      ],
    },
    Policies: [{ PolicyName: 'fn', PolicyDocument: { Version: VERSION, Statement: statements } }],
    ManagedPolicyArns: [],
  },
});
const withName = (RoleName: unknown, ...statements: Statement[]) => {
  const r = role(...statements);
  return { ...r, Properties: { ...r.Properties, RoleName } };
};
const fn = (key: string, roleId: string) => ({
  Type: 'AWS::Lambda::Function',
  Properties: {
    FunctionName: `svc-ci-${key}`,
    Handler: `handlers/${key}.handler`,
    Role: getAtt(roleId),
    Code: { S3Bucket: { Ref: 'Bucket' }, S3Key: `serverless/svc/ci/1/${key}.zip` },
    TracingConfig: { Mode: 'Active' },
  },
  DependsOn: [roleId],
});

/**
 * A template as `osls package` writes one, small: two functions with their own roles (the putter puts
 * events, dead-letters and terminates tagged instances; the reader assumes the inventory role and is the
 * machine's task), a rule with retries and a dead-letter queue EventBridge may send to, a bus policy that
 * spares exactly the putter, and the inventory readers' output. Every check finds nothing in it.
 */
const good = (): CfnTemplate =>
  // A copy: the statements above are shared, and tests change them.
  structuredClone<CfnTemplate>({
    Conditions: { Never: { 'Fn::Equals': ['never', 'deployed'] } },
    Resources: {
      Bucket: { Type: 'AWS::S3::Bucket' },
      BucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: '*',
                Condition: { Bool: { 'aws:SecureTransport': false } },
              },
            ],
          },
        },
      },
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'svc-ci' } },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'svc-ci-dlq' } },
      QueuePolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Queue' }],
          PolicyDocument: {
            Version: VERSION,
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: getAtt('Queue'),
                Condition: { ArnEquals: { 'aws:SourceArn': [sub(PUTTER_RULE_ARN)] } },
              },
              {
                Effect: 'Deny',
                Principal: '*',
                Action: 'sqs:SendMessage',
                Resource: getAtt('Queue'),
                Condition: {
                  Bool: { 'aws:PrincipalIsAWSService': 'false' },
                  ArnNotEquals: { 'aws:PrincipalArn': [getAtt('PutterIamRoleLambdaExecution')] },
                },
              },
            ],
          },
        },
      },
      // What the framework leaves: the provider's role, with what every function would need, deployed never.
      [DEFAULT_ROLE]: {
        ...role(XRAY, { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: getAtt('Queue') }),
        Condition: 'Never',
      },
      BuilderRole: role(...GUARDED_STATEMENTS()),
      PutterIamRoleLambdaExecution: withName(
        pluginRoleName('svc', 'ci', 'putter', 'lambdaRole'),
        XRAY,
        { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: getAtt('Queue') },
        { Effect: 'Allow', Action: ['events:PutEvents'], Resource: getAtt('Bus') },
        TERMINATE,
      ),
      ReaderIamRoleLambdaExecution: role(
        XRAY,
        {
          Effect: 'Allow',
          Action: ['sts:AssumeRole'],
          Resource: sub(INVENTORY_ROLE),
        },
        { Effect: 'Allow', Action: ['ec2:DescribeImages'], Resource: '*' },
      ),
      PutterLambdaFunction: fn('putter', 'PutterIamRoleLambdaExecution'),
      ReaderLambdaFunction: fn('reader', 'ReaderIamRoleLambdaExecution'),
      PutterLambdaEvConf: {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: {
          FunctionName: { Ref: 'PutterLambdaFunction' },
          DestinationConfig: { OnFailure: { Destination: getAtt('Queue') } },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
        },
      },
      PutterRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'svc-ci-putter-rule-1',
          EventBusName: { Ref: 'Bus' },
          EventPattern: { source: ['svc'] },
          Targets: [
            {
              Arn: getAtt('PutterLambdaFunction'),
              Id: 'putter',
              RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
              DeadLetterConfig: { Arn: getAtt('Queue') },
            },
          ],
        },
      },
      BusPolicy: {
        Type: 'AWS::Events::EventBusPolicy',
        Properties: {
          EventBusName: { Ref: 'Bus' },
          StatementId: 'only-this-deployment',
          Statement: {
            Effect: 'Deny',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: getAtt('Bus'),
            Condition: {
              ArnNotEquals: {
                'aws:PrincipalArn': [getAtt('PutterIamRoleLambdaExecution'), sub(ACCOUNT_ROOT)],
              },
            },
          },
        },
      },
      MachineRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: VERSION,
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: sub(STATES_SERVICE) },
                Action: 'sts:AssumeRole',
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'machine',
              PolicyDocument: {
                Version: VERSION,
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['lambda:InvokeFunction'],
                    Resource: [getAtt('ReaderLambdaFunction')],
                  },
                ],
              },
            },
          ],
        },
      },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          RoleArn: getAtt('MachineRole'),
          DefinitionString: {
            'Fn::Sub': [
              JSON.stringify({
                StartAt: 'Read',
                States: {
                  Read: { Type: 'Task', Resource: READER_VARIABLE, Next: 'Done' },
                  Done: { Type: 'Succeed' },
                },
              }),
              { reader: getAtt('ReaderLambdaFunction') },
            ],
          },
        },
      },
    },
    Outputs: {
      InventoryReaderRoleArns: { Value: { 'Fn::Join': [',', [getAtt('ReaderIamRoleLambdaExecution')]] } },
    },
  });

const artefacts = (): Map<string, Artefact> =>
  new Map([
    ['putter.zip', { bytes: 1200, entries: ['handlers/putter.js', 'handlers/putter.js.map'] }],
    ['reader.zip', { bytes: 1100, entries: ['handlers/reader.js', 'handlers/reader.js.map'] }],
  ]);

/** The template with one change. */
const broken = (change: (t: CfnTemplate) => void): CfnTemplate => {
  const t = good();
  change(t);
  return t;
};
const props = (t: CfnTemplate, id: string) => t.Resources[id]!.Properties as Loose;

const statementsOf = (t: CfnTemplate, roleId: string): Statement[] =>
  props(t, roleId).Policies[0].PolicyDocument.Statement;

describe('the hand-made template', () => {
  it('passes every check', () => {
    const t = good();
    expect({
      wildcard: wildcardActions(t),
      destructive: untaggedDestructiveActions(t),
      guarded: unguardedActions(t),
      unreadable: unreadablePolicies(t),
      names: longRoleNames(t),
      deadLetters: deadLetterQueueMismatches(t),
      roles: sharedRoles(t),
      rules: ruleTargetsWithoutDeadLetters(t),
      machines: invalidStateMachines(t, aslValidator),
      artefacts: sharedArtefacts(t, artefacts()),
      bus: busPolicyMismatches(t),
      gaps: functionRoleGaps(t),
      output: outputRoleMismatches(t, 'InventoryReaderRoleArns', 'sts:AssumeRole', ':role/inventory'),
    }).toEqual({
      wildcard: [],
      destructive: [],
      guarded: [],
      unreadable: [],
      names: [],
      deadLetters: [],
      roles: [],
      rules: [],
      machines: [],
      artefacts: [],
      bus: [],
      gaps: [],
      output: [],
    });
  }, 60_000);
});

describe('wildcardActions', () => {
  it.each([
    ['*', '*'],
    ['a whole service', 'ec2:*'],
    ['a prefix', 'ec2:Describe*'],
    ['one character', 'ec2:DescribeImage?'],
  ])('catches an Allow of %s', (_what, action) => {
    const t = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push({
        Effect: 'Allow',
        Action: [action],
        Resource: '*',
      });
    });
    expect(wildcardActions(t)).toEqual([
      `ReaderIamRoleLambdaExecution.Policies[0]#3 allows the wildcard action ${action}`,
    ]);
  });

  it('catches an Allow by NotAction, a wildcard in a resource policy, and a role with managed policies', () => {
    const t = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push({
        Effect: 'Allow',
        NotAction: ['iam:*'],
        Resource: '*',
      });
      props(t, 'QueuePolicy').PolicyDocument.Statement[0].Action = 'sqs:*';
      props(t, 'PutterIamRoleLambdaExecution').ManagedPolicyArns = ['arn:aws:iam::aws:policy/ReadOnlyAccess'];
    });
    expect(wildcardActions(t)).toEqual([
      'QueuePolicy.PolicyDocument#0 allows the wildcard action sqs:*',
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows by NotAction',
      'PutterIamRoleLambdaExecution attaches managed policies, whose actions the template does not show',
    ]);
  });

  it('leaves a Deny with a wildcard alone: it takes away', () => {
    expect(good().Resources.BucketPolicy!.Properties).toMatchObject({
      PolicyDocument: { Statement: [{ Effect: 'Deny', Action: 's3:*' }] },
    });
    expect(wildcardActions(good())).toEqual([]);
  });
});

describe('untaggedDestructiveActions', () => {
  const withTerminate = (change: (s: Statement) => void) =>
    broken((t) => change(statementsOf(t, 'PutterIamRoleLambdaExecution')[3]!));

  it('catches a destructive action without a condition', () => {
    expect(untaggedDestructiveActions(withTerminate((s) => delete s.Condition))).toEqual([
      'PutterIamRoleLambdaExecution.Policies[0]#3 allows ec2:TerminateInstances without a condition on the ami-lifecycle:managed tag',
    ]);
  });

  it.each([
    ['another tag', { StringEquals: { 'ec2:ResourceTag/owner': 'true' } }],
    ['another value', { StringEquals: { 'ec2:ResourceTag/ami-lifecycle:managed': 'false' } }],
    ['any value', { StringLike: { 'aws:ResourceTag/ami-lifecycle:managed': '*' } }],
    ['a negation', { StringNotEquals: { 'ec2:ResourceTag/ami-lifecycle:managed': 'true' } }],
    [
      'the tag in the request, not on the resource',
      { StringEquals: { 'aws:RequestTag/ami-lifecycle:managed': 'true' } },
    ],
  ])('catches a condition on %s', (_what, condition) => {
    expect(untaggedDestructiveActions(withTerminate((s) => (s.Condition = condition)))).toHaveLength(1);
  });

  it('accepts aws:ResourceTag as well as ec2:ResourceTag, and names each destructive action a wildcard or NotAction grants', () => {
    expect(
      untaggedDestructiveActions(
        withTerminate(
          (s) => (s.Condition = { StringEquals: { 'aws:ResourceTag/ami-lifecycle:managed': 'true' } }),
        ),
      ),
    ).toEqual([]);
    const t = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push(
        { Effect: 'Allow', Action: 'ec2:De*', Resource: '*' },
        {
          Effect: 'Allow',
          NotAction: ['ec2:Describe*', 'ec2:DeleteSnapshot', 'ec2:TerminateInstances', 'ec2:*Image*'],
          Resource: '*',
        },
      );
    });
    const without = (where: string, action: string) =>
      `ReaderIamRoleLambdaExecution.Policies[0]#${where} allows ${action} without a condition on the ami-lifecycle:managed tag`;
    expect(untaggedDestructiveActions(t)).toEqual([
      without('3', 'ec2:DeregisterImage'),
      without('3', 'ec2:DeleteSnapshot'),
      without('3', 'ec2:DeleteTags'),
      // All but Describe*, DeleteSnapshot, TerminateInstances and what has Image in its name.
      without('4', 'ec2:StopInstances'),
      without('4', 'ec2:ModifyInstanceAttribute'),
      without('4', 'ec2:ModifySnapshotAttribute'),
      without('4', 'ec2:ResetSnapshotAttribute'),
      without('4', 'ec2:DeleteTags'),
    ]);
    const shareable = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push({
        Effect: 'Allow',
        NotAction: ['ec2:Describe*'],
        Resource: '*',
      });
    });
    expect(untaggedDestructiveActions(shareable)).toHaveLength(DESTRUCTIVE_ACTIONS.length);
    expect(DESTRUCTIVE_ACTIONS.length).toBe(14);
  });

  it('catches a snapshot shared, a tag taken off, an attribute reset and a deprecation undone, on anything', () => {
    const t = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push({
        Effect: 'Allow',
        Action: [
          'ec2:ModifySnapshotAttribute',
          'ec2:DeleteTags',
          'ec2:ResetImageAttribute',
          'ec2:ResetSnapshotAttribute',
          'ec2:DisableImageDeprecation',
        ],
        Resource: '*',
      });
    });
    expect(untaggedDestructiveActions(t)).toEqual(
      [
        'ec2:ResetImageAttribute',
        'ec2:ModifySnapshotAttribute',
        'ec2:ResetSnapshotAttribute',
        'ec2:DisableImageDeprecation',
        'ec2:DeleteTags',
      ].map(
        (a) =>
          `ReaderIamRoleLambdaExecution.Policies[0]#3 allows ${a} without a condition on the ami-lifecycle:managed tag`,
      ),
    );
  });

  it('accepts neither ForAnyValue: nor ...IfExists on the tag: an untagged resource passes both', () => {
    for (const condition of <Statement['Condition'][]>[
      { 'ForAnyValue:StringEquals': { 'ec2:ResourceTag/ami-lifecycle:managed': 'true' } },
      { StringEqualsIfExists: { 'ec2:ResourceTag/ami-lifecycle:managed': 'true' } },
    ]) {
      expect(untaggedDestructiveActions(withTerminate((s) => (s.Condition = condition)))).toHaveLength(1);
    }
  });
});

describe('unguardedActions', () => {
  const guarded = (t: CfnTemplate) => statementsOf(t, 'BuilderRole');
  const at = (i: number, action: string, needs: string) =>
    `BuilderRole.Policies[0]#${i} allows ${action} without its guard: ${needs}`;
  const NEEDS = {
    run: 'aws:RequestTag/ami-lifecycle:managed equal to true on the instance and its volumes',
    tags: 'ec2:CreateAction equal to RunInstances, CreateImage, CopyImage (tags as they create), or the ami-lifecycle:managed tag on the resource',
    pass: 'a role of ami-lifecycle-builder (to ec2.amazonaws.com) named in full, and iam:PassedToService equal to its service',
    command:
      'ssm:resourceTag/ami-lifecycle:managed or aws:ResourceTag/ami-lifecycle:managed equal to true (only SSM documents named in full need none)',
    image:
      'the ami-lifecycle:managed tag on the instance (a statement naming only images and snapshots, the new ones, needs none)',
    copy: `the ami-lifecycle:managed tag on the source image, or aws:RequestTag/ami-lifecycle:managed with NotResource leaving out the images of \${AWS::Region}`,
  };

  it.each([
    [1, 'ec2:RunInstances', NEEDS.run],
    [2, 'ec2:CreateTags', NEEDS.tags],
    [3, 'iam:PassRole', NEEDS.pass],
    [5, 'ssm:SendCommand', NEEDS.command],
    [6, 'ec2:CreateImage', NEEDS.image],
    [8, 'ec2:CopyImage', NEEDS.copy],
    [9, 'ec2:CopyImage', NEEDS.copy],
  ])('catches statement #%i, %s, without its condition', (i, action, needs) => {
    const t = broken((t) => delete guarded(t)[i]!.Condition);
    expect(unguardedActions(t)).toEqual([at(i, action, needs)]);
  });

  it('catches what the review took away: every condition of SendCommand, CreateTags, RunInstances and PassRole', () => {
    const t = broken((t) => {
      for (const s of policyStatements(t).map((l) => l.statement)) {
        const actions = [s.Action].flat();
        if (
          ['ssm:SendCommand', 'ec2:CreateTags', 'ec2:RunInstances', 'iam:PassRole'].some((a) =>
            actions.includes(a),
          )
        )
          delete s.Condition;
      }
    });
    expect(unguardedActions(t)).toEqual([
      at(1, 'ec2:RunInstances', NEEDS.run),
      at(2, 'ec2:CreateTags', NEEDS.tags),
      at(3, 'iam:PassRole', NEEDS.pass),
      at(5, 'ssm:SendCommand', NEEDS.command),
    ]);
  });

  it('catches a launch whose untagged statement names volumes, instances or everything', () => {
    for (const resource of [
      sub(ARN('ec2', 'volume/*')),
      sub(ARN('ec2', '*')),
      '*',
      { 'Fn::ImportValue': 'x' },
    ]) {
      const t = broken((t) => (guarded(t)[0]!.Resource as unknown[]).push(resource));
      expect(unguardedActions(t)).toEqual([at(0, 'ec2:RunInstances', NEEDS.run)]);
    }
  });

  it('catches tags on create by an action that is not guarded, or by any, and tags on what is not ours', () => {
    for (const condition of <Statement['Condition'][]>[
      { StringEquals: { 'ec2:CreateAction': 'RegisterImage' } },
      { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateVolume'] } },
      { StringLike: { 'ec2:CreateAction': '*' } },
      { StringEquals: { 'aws:RequestTag/ami-lifecycle:managed': 'true' } },
    ]) {
      const t = broken((t) => (guarded(t)[2]!.Condition = condition));
      expect(unguardedActions(t)).toEqual([at(2, 'ec2:CreateTags', NEEDS.tags)]);
    }
    const onManaged = broken((t) => (guarded(t)[2]!.Condition = MANAGED));
    expect(unguardedActions(onManaged)).toEqual([]);
  });

  it('catches a role passed that is not the builder, by wildcard, or to another service', () => {
    const changes: ((s: Statement) => void)[] = [
      (s) => (s.Resource = sub(BUILDER_ROLE.replace('ami-lifecycle-builder', 'admin'))),
      (s) => (s.Resource = sub(BUILDER_ROLE.replace('ami-lifecycle-builder', 'ami-lifecycle-*'))),
      (s) => (s.Resource = '*'),
      (s) => (s.Condition = { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } }),
      (s) => (s.Condition = { StringLike: { 'iam:PassedToService': '*' } }),
    ];
    for (const change of changes) {
      expect(unguardedActions(broken((t) => change(guarded(t)[3]!)))).toEqual([
        at(3, 'iam:PassRole', NEEDS.pass),
      ]);
    }
  });

  it('catches commands on any document or instance, and on an instance tagged by ec2: keys SSM does not read', () => {
    const anyDocument = broken(
      (t) => (guarded(t)[4]!.Resource = sub(RUN_SHELL_SCRIPT.replace('AWS-RunShellScript', '*'))),
    );
    expect(unguardedActions(anyDocument)).toEqual([at(4, 'ssm:SendCommand', NEEDS.command)]);
    const alsoInstances = broken((t) => (guarded(t)[4]!.Resource = [sub(RUN_SHELL_SCRIPT), sub(INSTANCES)]));
    expect(unguardedActions(alsoInstances)).toEqual([at(4, 'ssm:SendCommand', NEEDS.command)]);
    const ec2Key = broken((t) => (guarded(t)[5]!.Condition = MANAGED));
    expect(unguardedActions(ec2Key)).toEqual([at(5, 'ssm:SendCommand', NEEDS.command)]);
    const awsKey = broken(
      (t) =>
        (guarded(t)[5]!.Condition = { StringEquals: { 'aws:ResourceTag/ami-lifecycle:managed': 'true' } }),
    );
    expect(unguardedActions(awsKey)).toEqual([]);
  });

  it('catches a copy whose tagged-copy statement also covers the home region, or names its resources', () => {
    const everyRegion = broken((t) => (guarded(t)[9]!.NotResource = sub(IMAGES.every)));
    expect(unguardedActions(everyRegion)).toEqual([at(9, 'ec2:CopyImage', NEEDS.copy)]);
    const byResource = broken((t) => {
      delete guarded(t)[9]!.NotResource;
      guarded(t)[9]!.Resource = sub(IMAGES.every);
    });
    expect(unguardedActions(byResource)).toEqual([at(9, 'ec2:CopyImage', NEEDS.copy)]);
    const imageOfAnything = broken((t) => (guarded(t)[7]!.Resource = '*'));
    expect(unguardedActions(imageOfAnything)).toEqual([at(7, 'ec2:CreateImage', NEEDS.image)]);
  });

  it('names each guarded action a wildcard or NotAction grants', () => {
    const t = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push(
        { Effect: 'Allow', Action: 'ec2:*', Resource: '*' },
        { Effect: 'Allow', NotAction: 'ec2:*', Resource: '*' },
      );
    });
    expect(unguardedActions(t).map((v) => v.split(' without')[0])).toEqual([
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows ec2:CreateTags',
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows ec2:RunInstances',
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows ec2:CreateImage',
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows ec2:CopyImage',
      'ReaderIamRoleLambdaExecution.Policies[0]#4 allows ssm:SendCommand',
      'ReaderIamRoleLambdaExecution.Policies[0]#4 allows ssm:StartSession',
      'ReaderIamRoleLambdaExecution.Policies[0]#4 allows iam:PassRole',
    ]);
  });
});

describe('unreadablePolicies', () => {
  const addTo = (t: CfnTemplate, id: string, type: string, properties: Loose) => {
    t.Resources[id] = { Type: type, Properties: properties };
  };
  const doc = (...statements: unknown[]) => ({ Version: VERSION, Statement: statements });

  it('catches an action given by an intrinsic, an Effect IAM does not know, and a statement without action', () => {
    const t = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push(
        { Effect: 'Allow', Action: { 'Fn::Split': [',', 'ec2:*,s3:*'] }, Resource: '*' },
        { Effect: 'Allow', Action: [{ 'Fn::Sub': 'ec2:*' }], Resource: '*' },
        { Effect: 'allow', Action: '*', Resource: '*' },
        { Effect: 'Allow', Resource: '*' } as Statement,
      );
    });
    expect(unreadablePolicies(t)).toEqual([
      'ReaderIamRoleLambdaExecution.Policies[0]#3 names an action by {"Fn::Split":[",","ec2:*,s3:*"]}: the checks read only actions named as strings',
      'ReaderIamRoleLambdaExecution.Policies[0]#4 names an action by {"Fn::Sub":"ec2:*"}: the checks read only actions named as strings',
      'ReaderIamRoleLambdaExecution.Policies[0]#5 has the Effect "allow", neither Allow nor Deny',
      'ReaderIamRoleLambdaExecution.Policies[0]#6 names no action',
    ]);
    // Both branches of an Fn::If of actions are read.
    const either = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push({
        Effect: 'Allow',
        Action: [{ 'Fn::If': ['Cond', 'ec2:DeregisterImage', 'ec2:DescribeImages'] }],
        Resource: '*',
      });
    });
    expect(unreadablePolicies(either)).toEqual([]);
    expect(untaggedDestructiveActions(either)).toHaveLength(1);
  });

  it('reads RolePolicy, a Policy or ManagedPolicy attached to no role, a Lambda permission and a bus policy of the old form', () => {
    const t = broken((t) => {
      addTo(t, 'Inline', 'AWS::IAM::RolePolicy', {
        RoleName: { Ref: 'ReaderIamRoleLambdaExecution' },
        PolicyName: 'p',
        PolicyDocument: doc({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }),
      });
      addTo(t, 'Loose', 'AWS::IAM::ManagedPolicy', {
        PolicyDocument: doc({ Effect: 'Allow', Action: 'ec2:DeregisterImage', Resource: '*' }),
      });
      addTo(t, 'Invoke', 'AWS::Lambda::Permission', {
        Action: 'lambda:*',
        FunctionName: getAtt('PutterLambdaFunction'),
        Principal: '*',
      });
      addTo(t, 'OldBusPolicy', 'AWS::Events::EventBusPolicy', {
        EventBusName: { Ref: 'Bus' },
        StatementId: 'old',
        Action: 'events:*',
        Principal: '111111111111',
      });
    });
    expect(unreadablePolicies(t)).toEqual([]);
    expect(wildcardActions(t)).toEqual([
      'Inline.PolicyDocument#0 allows the wildcard action ec2:*',
      'Invoke#0 allows the wildcard action lambda:*',
      'OldBusPolicy#0 allows the wildcard action events:*',
    ]);
    expect(untaggedDestructiveActions(t)).toContain(
      'Loose.PolicyDocument#0 allows ec2:DeregisterImage without a condition on the ami-lifecycle:managed tag',
    );
    expect(policyStatements(t).filter((s) => s.where.startsWith('Inline.'))[0]!.role).toBe(
      'ReaderIamRoleLambdaExecution',
    );
  });

  it('catches policy resources it does not read: users, groups, other resource policies, documents it cannot read', () => {
    const t = broken((t) => {
      addTo(t, 'UsersPolicy', 'AWS::IAM::Policy', {
        Users: ['someone'],
        PolicyName: 'p',
        PolicyDocument: doc({ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }),
      });
      addTo(t, 'GroupPolicy', 'AWS::IAM::GroupPolicy', { GroupName: 'g', PolicyDocument: doc() });
      addTo(t, 'Logs', 'AWS::Logs::ResourcePolicy', { PolicyName: 'p', PolicyDocument: '{"Statement":[]}' });
      addTo(t, 'Api', 'AWS::ApiGateway::RestApi', { Policy: doc({ Effect: 'Allow', Action: '*' }) });
      addTo(t, 'NewBusPolicy', 'AWS::Events::EventBusPolicy', { EventBusName: 'b', Policy: doc() });
      props(t, 'QueuePolicy').PolicyDocument = { 'Fn::If': ['Cond', doc(), doc()] };
    });
    expect(unreadablePolicies(t)).toEqual([
      'QueuePolicy.PolicyDocument is not a policy document the checks can read: {"Fn::If":["Cond",{"Version":"2012-10-17","Statement":[]},{"Version":"2012-10-17","Statement":[]}]}',
      'UsersPolicy (AWS::IAM::Policy) is attached to IAM users or groups, which the checks do not follow',
      "GroupPolicy (AWS::IAM::GroupPolicy): IAM users and groups are none of the controller's, and the checks do not follow them",
      'Logs (AWS::Logs::ResourcePolicy) holds a policy the checks do not read',
      'Api (AWS::ApiGateway::RestApi) holds a policy (Properties.Policy) the checks do not read',
      'NewBusPolicy (AWS::Events::EventBusPolicy) has neither Statement nor Action: the checks cannot read it',
    ]);
  });

  it('leaves out what is never deployed', () => {
    expect(neverDeployed(good(), DEFAULT_ROLE)).toBe(true);
    expect(policyStatements(good()).filter((s) => s.where.startsWith(`${DEFAULT_ROLE}.`))).toEqual([]);
    const deployed = broken((t) => delete t.Resources[DEFAULT_ROLE]!.Condition);
    expect(neverDeployed(deployed, DEFAULT_ROLE)).toBe(false);
    expect(policyStatements(deployed).filter((s) => s.where.startsWith(`${DEFAULT_ROLE}.`))).toHaveLength(3);
    const maybe = broken((t) => (t.Conditions!.Never = { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] }));
    expect(neverDeployed(maybe, DEFAULT_ROLE)).toBe(false);
  });
});

describe('sharedRoles', () => {
  it("catches two functions sharing a role, and one running as the provider's default role", () => {
    const t = broken((t) => {
      props(t, 'ReaderLambdaFunction').Role = getAtt('PutterIamRoleLambdaExecution');
    });
    expect(sharedRoles(t)).toEqual([
      'PutterLambdaFunction, ReaderLambdaFunction share the role PutterIamRoleLambdaExecution',
    ]);
    const byDefault = broken((t) => {
      props(t, 'ReaderLambdaFunction').Role = getAtt(DEFAULT_ROLE);
    });
    expect(sharedRoles(byDefault)).toEqual([
      `ReaderLambdaFunction runs as the provider's default role ${DEFAULT_ROLE}`,
      `${DEFAULT_ROLE}, the provider's default role, is used by the template`,
    ]);
  });

  it('catches a role from outside the template, one more principal trusted, and the default role used elsewhere', () => {
    const t = broken((t) => {
      props(t, 'ReaderLambdaFunction').Role = 'arn:aws:iam::123456789012:role/somebody';
      props(t, 'PutterIamRoleLambdaExecution').AssumeRolePolicyDocument.Statement[0].Principal.Service.push(
        'ec2.amazonaws.com',
      );
      t.Resources.PutterLambdaFunction!.DependsOn = [DEFAULT_ROLE];
    });
    expect(sharedRoles(t)).toEqual([
      'ReaderLambdaFunction does not run as a role of this template ("arn:aws:iam::123456789012:role/somebody")',
      'PutterIamRoleLambdaExecution trusts [{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]}], not Lambda alone',
      `${DEFAULT_ROLE}, the provider's default role, is used by the template`,
    ]);
  });
});

describe("the provider's default role", () => {
  it('is caught when it is deployed: nothing runs as it, but anyone allowed to pass it could', () => {
    expect(sharedRoles(broken((t) => delete t.Resources[DEFAULT_ROLE]!.Condition))).toEqual([
      `${DEFAULT_ROLE}, the provider's default role, is deployed: give it a Condition that never holds`,
    ]);
    const mayHold = broken((t) => (t.Conditions!.Never = { 'Fn::Equals': ['same', 'same'] }));
    expect(sharedRoles(mayHold)).toHaveLength(1);
  });
});

describe('longRoleNames', () => {
  const named = (name: unknown) => broken((t) => (props(t, 'PutterIamRoleLambdaExecution').RoleName = name));

  it('makes each RoleName in the longest region and catches one over 64 characters', () => {
    expect(LONGEST_REGION).toBe('ap-southeast-2');
    // The review's case: stage prod packaged without a region, deployed to ap-southeast-2.
    const prod = named(pluginRoleName('ami-lifecycle', 'prod', 'decommissionInventory', 'lambdaRole'));
    expect(longRoleNames(prod)).toEqual([
      "PutterIamRoleLambdaExecution: its RoleName is ami-lifecycle-prod-decommissionInventory-ap-southeast-2-lambdaRole, 66 characters in ap-southeast-2: over IAM's 64",
    ]);
    // Fits in the region it was packaged for, which is why the plugin kept the suffix.
    expect(longRoleNames(prod, 'eu-west-1')).toEqual([]);
    // Packaged for ap-southeast-2, the plugin drops it: 54 characters.
    expect(
      longRoleNames(named(pluginRoleName('ami-lifecycle', 'prod', 'decommissionInventory', ''))),
    ).toEqual([]);
    // 64 exactly fits.
    expect(
      longRoleNames(named(pluginRoleName('ami-lifecycle', 'prod', 'decommissionInvent', 'lambdaRole'))),
    ).toEqual([]);
  });

  it('reads a plain name, Fn::Sub with pseudo parameters and variables, and refuses what it cannot make', () => {
    expect(longRoleNames(named('x'.repeat(65)))).toEqual([
      `PutterIamRoleLambdaExecution: its RoleName is ${'x'.repeat(65)}, 65 characters in ap-southeast-2: over IAM's 64`,
    ]);
    const bySub = named(sub(`${'x'.repeat(40)}-\${AWS::Region}-\${AWS::AccountId}`));
    expect(longRoleNames(bySub)).toEqual([
      `PutterIamRoleLambdaExecution: its RoleName is ${'x'.repeat(40)}-ap-southeast-2-123456789012, 68 characters in ap-southeast-2: over IAM's 64`,
    ]);
    expect(longRoleNames(named({ 'Fn::Sub': [`svc-\${stage}-\${AWS::Region}`, { stage: 'prod' }] }))).toEqual(
      [],
    );
    expect(longRoleNames(named(sub(`svc-\${AWS::StackName}`)))).toEqual([
      `PutterIamRoleLambdaExecution: the check cannot make its RoleName {"Fn::Sub":"svc-\${AWS::StackName}"} to measure it`,
    ]);
    expect(longRoleNames(named({ 'Fn::ImportValue': 'name' }))).toHaveLength(1);
  });
});

describe('ruleTargetsWithoutDeadLetters', () => {
  const target = (t: CfnTemplate) => props(t, 'PutterRule').Targets[0];

  it('catches a target without a retry policy or without a dead-letter queue', () => {
    expect(ruleTargetsWithoutDeadLetters(broken((t) => delete target(t).RetryPolicy))).toEqual([
      'PutterRule.Targets[0] has no RetryPolicy with MaximumRetryAttempts and MaximumEventAgeInSeconds',
    ]);
    expect(
      ruleTargetsWithoutDeadLetters(broken((t) => delete target(t).RetryPolicy.MaximumEventAgeInSeconds)),
    ).toHaveLength(1);
    expect(ruleTargetsWithoutDeadLetters(broken((t) => delete target(t).DeadLetterConfig))).toEqual([
      'PutterRule.Targets[0] has no DeadLetterConfig naming an SQS queue of this template',
    ]);
  });

  it('catches a dead-letter queue EventBridge may not send to, and a rule without targets', () => {
    const t = broken((t) => {
      props(t, 'QueuePolicy').PolicyDocument.Statement[0].Principal = { Service: 'sns.amazonaws.com' };
    });
    expect(ruleTargetsWithoutDeadLetters(t)).toEqual([
      'PutterRule.Targets[0] dead-letters to Queue, whose queue policy does not let EventBridge send',
    ]);
    expect(ruleTargetsWithoutDeadLetters(broken((t) => (props(t, 'PutterRule').Targets = [])))).toEqual([
      'PutterRule has no targets',
    ]);
  });
});

describe('state machines', () => {
  it("fills a definition's Fn::Sub variables with the functions' ARNs", () => {
    expect(stateMachineDefinition(good(), 'Machine')).toMatchObject({
      States: { Read: { Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:svc-ci-reader' } },
    });
  });

  const withDefinition = (definition: object, variables: object = {}) =>
    broken((t) => {
      props(t, 'Machine').DefinitionString = { 'Fn::Sub': [JSON.stringify(definition), variables] };
    });

  it('catches a definition asl-validator refuses: a missing transition target, no StartAt, a bad path', () => {
    const missingTarget = withDefinition({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } });
    expect(invalidStateMachines(missingTarget, aslValidator)).toEqual([
      expect.stringMatching(/^Machine: .*Nowhere/),
    ]);
    const noStart = withDefinition({ States: { A: { Type: 'Succeed' } } });
    expect(invalidStateMachines(noStart, aslValidator)).toEqual([
      expect.stringMatching(/^Machine: .*StartAt/),
    ]);
    const badPath = withDefinition({
      StartAt: 'A',
      States: { A: { Type: 'Pass', ResultPath: 'not a path', End: true } },
    });
    expect(invalidStateMachines(badPath, aslValidator)).toHaveLength(1);
  }, 60_000);

  it('reads no Fn::Sub variable or pseudo parameter from Object.prototype', () => {
    const t = withDefinition({
      StartAt: 'A',
      States: { A: { Type: 'Task', Resource: PROTOTYPE_VARIABLE, End: true } },
    });
    expect(invalidStateMachines(t, aslValidator)).toEqual([
      `Machine: ${PROTOTYPE_VARIABLE} names nothing the definition can be checked with`,
    ]);
  });

  it('catches a definition that names what the template does not have', () => {
    const t = withDefinition({
      StartAt: 'A',
      States: { A: { Type: 'Task', Resource: GONE_VARIABLE, End: true } },
    });
    expect(invalidStateMachines(t, aslValidator)).toEqual([
      'Machine: Gone is not a function of this template',
    ]);
  });
});

describe('sharedArtefacts', () => {
  it('catches two functions sharing a zip, and a zip holding another function', () => {
    const t = broken((t) => {
      props(t, 'ReaderLambdaFunction').Code.S3Key = 'serverless/svc/ci/1/putter.zip';
    });
    expect(sharedArtefacts(t, artefacts())).toEqual([
      'ReaderLambdaFunction: putter.zip does not hold its handler module handlers/reader.js',
      "ReaderLambdaFunction: putter.zip also holds PutterLambdaFunction's handler module handlers/putter.js",
      'PutterLambdaFunction, ReaderLambdaFunction share the artefact putter.zip',
    ]);
    const both = artefacts();
    both.set('putter.zip', { bytes: 2000, entries: ['handlers/putter.js', 'handlers/reader.js'] });
    expect(sharedArtefacts(good(), both)).toEqual([
      "PutterLambdaFunction: putter.zip also holds ReaderLambdaFunction's handler module handlers/reader.js",
    ]);
  });

  it('catches a zip missing from the package, an empty one, and code that is no zip', () => {
    const missing = artefacts();
    missing.delete('reader.zip');
    expect(sharedArtefacts(good(), missing)).toEqual([
      'ReaderLambdaFunction: reader.zip is not in the package',
    ]);
    const empty = artefacts();
    empty.set('reader.zip', { bytes: 0, entries: [] });
    expect(sharedArtefacts(good(), empty)).toEqual([
      'ReaderLambdaFunction: reader.zip is empty',
      'ReaderLambdaFunction: reader.zip does not hold its handler module handlers/reader.js',
    ]);
    const inline = broken((t) => {
      props(t, 'ReaderLambdaFunction').Code = { ZipFile: 'exports.handler = async () => 1' };
    });
    expect(sharedArtefacts(inline, artefacts())).toEqual([
      'ReaderLambdaFunction has no zip of its own (Code: {"ZipFile":"exports.handler = async () => 1"})',
    ]);
  });
});

describe('busPolicyMismatches', () => {
  const spared = (t: CfnTemplate): unknown[] =>
    props(t, 'BusPolicy').Statement.Condition.ArnNotEquals['aws:PrincipalArn'];

  it('catches a role that puts events but is denied, and a role spared that does not', () => {
    expect(busPolicyMismatches(broken((t) => spared(t).shift()))).toEqual([
      'BusPolicy.Statement#0 denies PutterIamRoleLambdaExecution, whose policy allows events:PutEvents on Bus',
    ]);
    expect(
      busPolicyMismatches(broken((t) => spared(t).push(getAtt('ReaderIamRoleLambdaExecution')))),
    ).toEqual([
      'BusPolicy.Statement#0 spares ReaderIamRoleLambdaExecution, whose policy does not allow events:PutEvents on Bus',
    ]);
  });

  it('requires a role that puts events on * or on the bus by a !Sub ARN, and refuses a form it cannot resolve', () => {
    const reader = (resource: unknown) =>
      broken((t) => {
        statementsOf(t, 'ReaderIamRoleLambdaExecution').push({
          Effect: 'Allow',
          Action: ['events:PutEvents'],
          Resource: resource,
        });
      });
    const denied =
      'BusPolicy.Statement#0 denies ReaderIamRoleLambdaExecution, whose policy allows events:PutEvents on Bus';
    expect(busPolicyMismatches(reader('*'))).toEqual([denied]);
    expect(busPolicyMismatches(reader(sub(ARN('events', 'event-bus/svc-ci'))))).toEqual([denied]);
    expect(busPolicyMismatches(reader(sub(ARN('events', 'event-bus/svc-*'))))).toEqual([denied]);
    expect(busPolicyMismatches(reader('arn:aws:events:eu-west-1:123456789012:event-bus/svc-ci'))).toEqual([
      denied,
    ]);
    expect(busPolicyMismatches(reader(sub(ARN('events', 'event-bus/another'))))).toEqual([]);
    expect(busPolicyMismatches(reader({ 'Fn::ImportValue': 'bus-arn' }))).toEqual([
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows events:PutEvents on {"Fn::ImportValue":"bus-arn"}, which the check cannot tell names Bus or not: name it by !GetAtt Bus.Arn or a !Sub ARN',
    ]);
  });

  it('catches a bus policy that denies nobody', () => {
    expect(busPolicyMismatches(broken((t) => (props(t, 'BusPolicy').Statement.Effect = 'Allow')))).toEqual([
      'BusPolicy denies nobody events:PutEvents',
    ]);
  });
});

describe('deadLetterQueueMismatches', () => {
  const policy = (t: CfnTemplate): Statement[] => props(t, 'QueuePolicy').PolicyDocument.Statement;
  const spared = (t: CfnTemplate): unknown[] =>
    policy(t)[1]!.Condition!.ArnNotEquals!['aws:PrincipalArn'] as unknown[];

  it('catches a queue policy that denies nobody: any principal allowed sqs:SendMessage could plant a record', () => {
    expect(deadLetterQueueMismatches(broken((t) => policy(t).pop()))).toEqual([
      'QueuePolicy denies nobody sqs:SendMessage on Queue: any principal of the account allowed it may write a record there',
    ]);
  });

  it('catches a role that sends but is denied, a role spared that does not, and an exception that is no role', () => {
    expect(deadLetterQueueMismatches(broken((t) => spared(t).pop()))).toEqual([
      'QueuePolicy.PolicyDocument#1 denies PutterIamRoleLambdaExecution, whose policy allows sqs:SendMessage on Queue',
    ]);
    const extra = broken((t) => spared(t).push(getAtt('ReaderIamRoleLambdaExecution'), sub(ACCOUNT_ROOT)));
    expect(deadLetterQueueMismatches(extra)).toEqual([
      `QueuePolicy.PolicyDocument#1 spares {"Fn::Sub":"${ACCOUNT_ROOT}"}, which is no role of this template`,
      'QueuePolicy.PolicyDocument#1 spares ReaderIamRoleLambdaExecution, whose policy does not allow sqs:SendMessage on Queue',
    ]);
  });

  it('requires a role that may send to the queue by *, a !Sub ARN or a wildcard, and refuses a form it cannot resolve', () => {
    const reader = (resource: unknown) =>
      broken((t) => {
        statementsOf(t, 'ReaderIamRoleLambdaExecution').push({
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: resource,
        });
      });
    const denied =
      'QueuePolicy.PolicyDocument#1 denies ReaderIamRoleLambdaExecution, whose policy allows sqs:SendMessage on Queue';
    expect(deadLetterQueueMismatches(reader('*'))).toEqual([denied]);
    expect(deadLetterQueueMismatches(reader(sub(ARN('sqs', 'svc-ci-dlq'))))).toEqual([denied]);
    expect(deadLetterQueueMismatches(reader(sub(ARN('sqs', 'svc-ci-*'))))).toEqual([denied]);
    expect(deadLetterQueueMismatches(reader(sub(ARN('sqs', 'another-queue'))))).toEqual([]);
    expect(deadLetterQueueMismatches(reader({ 'Fn::ImportValue': 'queue-arn' }))).toEqual([
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows sqs:SendMessage on {"Fn::ImportValue":"queue-arn"}, which the check cannot tell names Queue or not: name it by !GetAtt Queue.Arn or a !Sub ARN',
    ]);
  });

  it('catches a Deny that would stop EventBridge too', () => {
    expect(deadLetterQueueMismatches(broken((t) => delete policy(t)[1]!.Condition!.Bool))).toEqual([
      "QueuePolicy.PolicyDocument#1 denies AWS services too, EventBridge's dead letters among them: condition it on aws:PrincipalIsAWSService false",
    ]);
  });

  it('lets EventBridge send for exactly the rules that dead-letter to the queue, by ARN or !GetAtt', () => {
    const missing = 'QueuePolicy does not let EventBridge dead-letter for PutterRule';
    expect(deadLetterQueueMismatches(broken((t) => delete policy(t)[0]!.Condition))).toEqual([
      'QueuePolicy.PolicyDocument#0 lets EventBridge send for any rule: condition it on aws:SourceArn',
      missing,
    ]);
    const anyRule = broken(
      (t) => (policy(t)[0]!.Condition = { ArnLike: { 'aws:SourceArn': sub(ARN('events', 'rule/*')) } }),
    );
    expect(deadLetterQueueMismatches(anyRule)).toEqual([
      `QueuePolicy.PolicyDocument#0 lets EventBridge send for {"Fn::Sub":"${ARN('events', 'rule/*')}"}, which is no rule dead-lettering to Queue`,
      missing,
    ]);
    const byAtt = broken(
      (t) => (policy(t)[0]!.Condition = { ArnEquals: { 'aws:SourceArn': getAtt('PutterRule') } }),
    );
    expect(deadLetterQueueMismatches(byAtt)).toEqual([]);
    // A rule on the default bus is `rule/<name>`.
    const onDefaultBus = broken((t) => delete props(t, 'PutterRule').EventBusName);
    expect(deadLetterQueueMismatches(onDefaultBus)).toEqual([
      `QueuePolicy.PolicyDocument#0 lets EventBridge send for {"Fn::Sub":"${PUTTER_RULE_ARN}"}, which is no rule dead-lettering to Queue`,
      missing,
    ]);
  });

  it('allows nothing else', () => {
    const t = broken((t) => {
      policy(t).push({
        Effect: 'Allow',
        Principal: { AWS: sub(ACCOUNT_ROOT) },
        Action: 'sqs:SendMessage',
        Resource: getAtt('Queue'),
      });
    });
    expect(deadLetterQueueMismatches(t)).toEqual([
      `QueuePolicy.PolicyDocument#2 allows {"AWS":{"Fn::Sub":"${ACCOUNT_ROOT}"}} "sqs:SendMessage": the queue may allow only EventBridge's sqs:SendMessage, for the rules that dead-letter to it`,
    ]);
  });
});

describe('functionRoleGaps', () => {
  it("catches a role that cannot send to its function's failure destination or send its traces", () => {
    const t = broken((t) => {
      const statements = statementsOf(t, 'PutterIamRoleLambdaExecution');
      statements.splice(0, 2);
    });
    expect(functionRoleGaps(t)).toEqual([
      "PutterLambdaFunction's role may not send to its onFailure destination (PutterLambdaEvConf)",
      'PutterLambdaFunction traces actively, but its role lacks xray:PutTraceSegments',
      'PutterLambdaFunction traces actively, but its role lacks xray:PutTelemetryRecords',
    ]);
  });
});

describe('outputRoleMismatches', () => {
  const check = (t: CfnTemplate) =>
    outputRoleMismatches(t, 'InventoryReaderRoleArns', 'sts:AssumeRole', ':role/inventory');
  const listed = (t: CfnTemplate): unknown[] =>
    (t.Outputs!.InventoryReaderRoleArns!.Value as Loose)['Fn::Join'][1];

  it('catches a role left out of the output and a role listed that may not assume the role', () => {
    const t = broken((t) => {
      listed(t).splice(0, 1, getAtt('PutterIamRoleLambdaExecution'));
    });
    expect(check(t)).toEqual([
      'InventoryReaderRoleArns leaves out ReaderIamRoleLambdaExecution, which may sts:AssumeRole',
      'InventoryReaderRoleArns lists PutterIamRoleLambdaExecution, which may not sts:AssumeRole',
    ]);
    expect(check(broken((t) => delete t.Outputs!.InventoryReaderRoleArns))).toEqual([
      'the output InventoryReaderRoleArns lists no role',
    ]);
  });
});

describe('externalModules', () => {
  it("names what a bundle imports that is not one of Node's modules", () => {
    const imports = ['node:fs', 'crypto', '@aws-sdk/client-ec2', 'uuid', 'node:fs'];
    expect(externalModules(imports, ['fs', 'crypto'])).toEqual(['@aws-sdk/client-ec2', 'uuid']);
    expect(externalModules(['node:fs', 'fs'], ['fs'])).toEqual([]);
  });
});

describe('bundleImports', () => {
  it('lists the modules code imports or requires, even in a try, and not a require in a string', async () => {
    const code =
      'var a=require("node:fs"),c=require("@aws-sdk/client-ec2");try{require("optional")}catch{}' +
      'var m="call [require(\\"in-a-message\\");] first";import("node:os");';
    expect((await bundleImports(code)).sort()).toEqual([
      '@aws-sdk/client-ec2',
      'node:fs',
      'node:os',
      'optional',
    ]);
  });
});

describe('zipEntries', () => {
  /** A zip of empty stored files, written as the format lays it out. */
  const zipOf = (names: string[]): Buffer => {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const name of names) {
      const n = Buffer.from(name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(n.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(n.length, 28);
      central.writeUInt32LE(offset, 42);
      locals.push(local, n);
      centrals.push(central, n);
      offset += local.length + n.length;
    }
    const directory = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(names.length, 8);
    end.writeUInt16LE(names.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, directory, end]);
  };

  it('lists the entries of a zip, and refuses what is not one', () => {
    expect(zipEntries(zipOf(['handlers/a.js', 'handlers/a.js.map']))).toEqual([
      'handlers/a.js',
      'handlers/a.js.map',
    ]);
    expect(() => zipEntries(Buffer.from('not a zip at all, but long enough to be looked at'))).toThrow(
      /not a zip/,
    );
  });
});
