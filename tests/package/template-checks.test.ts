import { bundleImports, zipEntries } from './package-service';
import {
  type Artefact,
  type AslValidator,
  busPolicyMismatches,
  type CfnTemplate,
  DEFAULT_ROLE,
  externalModules,
  functionRoleGaps,
  invalidStateMachines,
  outputRoleMismatches,
  ruleTargetsWithoutDeadLetters,
  type Statement,
  sharedArtefacts,
  sharedRoles,
  stateMachineDefinition,
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
const good = (): CfnTemplate => ({
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
            },
          ],
        },
      },
    },
    [DEFAULT_ROLE]: role(XRAY),
    PutterIamRoleLambdaExecution: role(
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
    expect(untaggedDestructiveActions(t)).toEqual([
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows ec2:DeregisterImage without a condition on the ami-lifecycle:managed tag',
      'ReaderIamRoleLambdaExecution.Policies[0]#3 allows ec2:DeleteSnapshot without a condition on the ami-lifecycle:managed tag',
    ]);
    const shareable = broken((t) => {
      statementsOf(t, 'ReaderIamRoleLambdaExecution').push({
        Effect: 'Allow',
        NotAction: ['ec2:Describe*'],
        Resource: '*',
      });
    });
    expect(untaggedDestructiveActions(shareable)).toHaveLength(7);
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

  it('catches a bus policy that denies nobody', () => {
    expect(busPolicyMismatches(broken((t) => (props(t, 'BusPolicy').Statement.Effect = 'Allow')))).toEqual([
      'BusPolicy denies nobody events:PutEvents',
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
