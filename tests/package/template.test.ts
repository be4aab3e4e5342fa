import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerlessModel } from '../../packages/local-cloud/src/deploy/serverless-model';
import {
  bundleImports,
  type Packaged,
  packageService,
  ROOT,
  readArtefacts,
  zipEntryText,
} from './package-service';
import {
  type Artefact,
  type AslValidator,
  actionsOf,
  busPolicyMismatches,
  type CfnTemplate,
  DEFAULT_ROLE,
  deadLetterQueueMismatches,
  externalModules,
  functionRoleGaps,
  GUARDED_ACTIONS,
  invalidStateMachines,
  LONGEST_REGION,
  longRoleNames,
  neverDeployed,
  outputRoleMismatches,
  policyStatements,
  ruleTargetsWithoutDeadLetters,
  sharedArtefacts,
  sharedRoles,
  unguardedActions,
  unreadablePolicies,
  untaggedDestructiveActions,
  wildcardActions,
} from './template-checks';

const aslValidator = require('asl-validator') as AslValidator;

// A stage of its own, to show nothing in the template depends on the default one.
const STAGE = 'ci';
const REGION = 'eu-west-1';

/**
 * `npm run package`, once, into a temporary directory, with every network connection refused: the
 * template it writes, and the zips, held to least privilege. Packaging bundles 38 functions with esbuild
 * and zips them: a minute or more on a busy machine.
 */
describe('the package osls writes for serverless.yml', () => {
  let work: string;
  let packaged: Packaged;
  let template: CfnTemplate;
  let artefacts: Map<string, Artefact>;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ami-lifecycle-package-'));
    packaged = await packageService(work, STAGE);
    template = packaged.template;
    artefacts = readArtefacts(packaged.dir);
  }, 900_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is made offline: no connection and no DNS lookup was even tried', () => {
    expect(packaged.networkAttempts).toEqual([]);
    expect(packaged.output).toMatch(/Service packaged/);
  });

  it('names no account and no partition of its own: CloudFormation fills in every ARN', () => {
    const text = JSON.stringify(template);
    expect(text.match(/arn:aws[a-z-]*:/g) ?? []).toEqual([]);
    expect(text.match(/\b\d{12}\b/g) ?? []).toEqual([]);
  });

  it('gives every function a role of its own, which Lambda alone may assume, and never deploys the provider role', () => {
    expect(sharedRoles(template)).toEqual([]);
    // The framework leaves it in the template (serverless-iam-roles-per-function copies the others from it).
    expect(template.Resources[DEFAULT_ROLE]).toBeDefined();
    expect(neverDeployed(template, DEFAULT_ROLE)).toBe(true);
  });

  it('grants no action by wildcard, and has no policy the checks cannot read', () => {
    expect(wildcardActions(template)).toEqual([]);
    expect(unreadablePolicies(template)).toEqual([]);
  });

  it(`names every role within IAM's 64 characters in any region, ${LONGEST_REGION} the longest`, () => {
    expect(longRoleNames(template)).toEqual([]);
    expect(longRoleNames(template, REGION)).toEqual([]);
  });

  it('allows every destructive EC2 action only on what carries the ami-lifecycle:managed tag', () => {
    expect(untaggedDestructiveActions(template)).toEqual([]);
    // They are granted at all: the check looked at something.
    const granted = new Set(
      policyStatements(template)
        .filter(({ statement }) => statement.Effect === 'Allow')
        .flatMap(({ statement }) => actionsOf(statement)),
    );
    expect(
      [
        'ec2:DeregisterImage',
        'ec2:DeleteSnapshot',
        'ec2:DisableImage',
        'ec2:TerminateInstances',
        'ec2:StopInstances',
        'ec2:ModifyImageAttribute',
      ].filter((a) => !granted.has(a)),
    ).toEqual([]);
  });

  it('launches, commands, tags, images, copies and passes a role only with their guards', () => {
    expect(unguardedActions(template)).toEqual([]);
    const granted = new Set(
      policyStatements(template)
        .filter(({ statement }) => statement.Effect === 'Allow')
        .flatMap(({ statement }) => actionsOf(statement)),
    );
    expect(GUARDED_ACTIONS.filter((a) => !granted.has(a))).toEqual(['ssm:StartSession']);
  });

  it('lets write dead letters only the roles that send them and EventBridge for the rules that dead-letter', () => {
    expect(deadLetterQueueMismatches(template)).toEqual([]);
  });

  it('retries every rule target and keeps what it cannot deliver in a dead-letter queue EventBridge may write to', () => {
    expect(ruleTargetsWithoutDeadLetters(template)).toEqual([]);
    // The functions' rules and the schedules, every one of them.
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    const model = loadServerlessModel(join(ROOT, 'serverless.yml'), { stage: STAGE, region: REGION });
    expect(rules).toHaveLength(model.functions.flatMap((f) => f.rules).length);
  });

  it('has state machine definitions that asl-validator accepts', () => {
    expect(invalidStateMachines(template, aslValidator)).toEqual([]);
    expect(
      Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine'),
    ).toHaveLength(4);
  }, 60_000);

  it('packages every function in a zip of its own, holding its handler and no other', () => {
    expect(sharedArtefacts(template, artefacts)).toEqual([]);
    expect([...artefacts.values()].every((a) => a.bytes > 0)).toBe(true);
  });

  it("bundles the AWS SDK into every function: its bundle requires nothing but Node's own modules", async () => {
    const model = loadServerlessModel(join(ROOT, 'serverless.yml'), { stage: STAGE, region: REGION });
    expect(model.packaging).toMatchObject({
      individually: true,
      bundler: 'serverless-esbuild',
      esbuild: { bundle: true, minify: true, target: 'node22', platform: 'node', exclude: [], external: [] },
    });
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const needs = (
      await Promise.all(
        functions.map(async (fn) => {
          const handler = String(fn.Properties!.Handler);
          const key = String((fn.Properties!.Code as { S3Key: string }).S3Key)
            .split('/')
            .pop()!;
          const bundle = zipEntryText(
            readFileSync(join(packaged.dir, key)),
            `${handler.slice(0, handler.lastIndexOf('.'))}.js`,
          );
          // The SDK is inside: its user agent names itself so.
          expect(bundle).toContain('aws-sdk-js');
          return externalModules(await bundleImports(bundle), builtinModules).map((m) => `${key}: ${m}`);
        }),
      )
    ).flat();
    expect(needs).toEqual([]);
  }, 120_000);

  it("lets on the bus exactly the roles that put events, and gives each function's role what Lambda needs of it", () => {
    expect(busPolicyMismatches(template)).toEqual([]);
    expect(functionRoleGaps(template)).toEqual([]);
  });

  it('names as inventory readers exactly the roles that may assume the workload accounts’ inventory role', () => {
    expect(
      outputRoleMismatches(
        template,
        'InventoryReaderRoleArns',
        'sts:AssumeRole',
        ':role/ami-lifecycle-inventory',
      ),
    ).toEqual([]);
  });

  it('has the functions, names and roles the local cloud deploys and runs them as', () => {
    const model = loadServerlessModel(join(ROOT, 'serverless.yml'), {
      stage: STAGE,
      region: REGION,
      accountId: '123456789012',
    });
    const region = (v: unknown) =>
      JSON.stringify(v) === JSON.stringify({ Ref: 'AWS::Region' }) ? REGION : v;
    const deployed = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((fn) => {
        const roleId = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const roleName = template.Resources[roleId]!.Properties!.RoleName as {
          'Fn::Join': [string, unknown[]];
        };
        return [
          fn.Properties!.FunctionName,
          roleName['Fn::Join'][1].map(region).join(roleName['Fn::Join'][0]),
        ];
      })
      .sort();
    expect(deployed).toEqual(model.functions.map((f) => [f.name, f.roleName]).sort());
  });

  describe('its checks, on copies of it broken one way each', () => {
    const copy = (): CfnTemplate => structuredClone(template);
    // biome-ignore lint/suspicious/noExplicitAny: the copies are broken by path
    const props = (t: CfnTemplate, id: string) => t.Resources[id]!.Properties as Record<string, any>;

    it('catch two functions given one role', () => {
      const t = copy();
      props(t, 'InspectStartLambdaFunction').Role = props(t, 'StartBuildLambdaFunction').Role;
      expect(sharedRoles(t)).toEqual([
        'StartBuildLambdaFunction, InspectStartLambdaFunction share the role StartBuildIamRoleLambdaExecution',
      ]);
    });

    it('catch a wildcard action and an untagged destructive action', () => {
      const t = copy();
      const statements = props(t, 'DecommissionApplyIamRoleLambdaExecution').Policies[0].PolicyDocument
        .Statement;
      const deregister = statements.find((s: { Action: string[] }) =>
        s.Action.includes('ec2:DeregisterImage'),
      );
      delete deregister.Condition;
      statements.push({ Effect: 'Allow', Action: ['ec2:*'], Resource: '*' });
      expect(wildcardActions(t)).toHaveLength(1);
      expect(untaggedDestructiveActions(t).filter((v) => v.includes('ec2:DeregisterImage'))).toHaveLength(2);
    });

    it('catch a rule target without its dead-letter queue, and a state machine that does not validate', () => {
      const t = copy();
      const rule = Object.values(t.Resources).find((r) => r.Type === 'AWS::Events::Rule')!;
      delete (rule.Properties!.Targets as Record<string, unknown>[])[0]!.DeadLetterConfig;
      const machine = props(t, 'BuildStateMachine');
      machine.DefinitionString['Fn::Sub'][0] = machine.DefinitionString['Fn::Sub'][0].replace(
        '"StartAt": "StartBuild"',
        '"StartAt": "NoSuchState"',
      );
      expect(ruleTargetsWithoutDeadLetters(t)).toHaveLength(1);
      expect(invalidStateMachines(t, aslValidator)).toEqual([expect.stringMatching(/^BuildStateMachine: /)]);
    }, 60_000);

    it('catch what the review took away: the guards of SendCommand, CreateTags, RunInstances and PassRole', () => {
      const t = copy();
      let removed = 0;
      for (const { statement } of policyStatements(t)) {
        const guarded = ['ssm:SendCommand', 'ec2:CreateTags', 'ec2:RunInstances', 'iam:PassRole'];
        if (statement.Condition && actionsOf(statement).some((a) => guarded.includes(a))) {
          delete statement.Condition;
          removed++;
        }
      }
      props(t, 'PublishShareIamRoleLambdaExecution').Policies[0].PolicyDocument.Statement.push({
        Effect: 'Allow',
        Action: ['ec2:ModifySnapshotAttribute', 'ec2:DeleteTags'],
        Resource: '*',
      });
      expect(removed).toBeGreaterThanOrEqual(10);
      expect(unguardedActions(t)).toHaveLength(removed);
      expect(untaggedDestructiveActions(t)).toEqual([
        expect.stringMatching(
          /^PublishShareIamRoleLambdaExecution\.Policies\[0\]#\d+ allows ec2:ModifySnapshotAttribute /,
        ),
        expect.stringMatching(
          /^PublishShareIamRoleLambdaExecution\.Policies\[0\]#\d+ allows ec2:DeleteTags /,
        ),
      ]);
    });

    it('catch a copy of any image, the provider role deployed, and an action named by an intrinsic', () => {
      const t = copy();
      const statements = props(t, 'PublishCopyIamRoleLambdaExecution').Policies[0].PolicyDocument.Statement;
      for (const s of statements) if (actionsOf(s).includes('ec2:CopyImage')) delete s.Condition;
      delete t.Resources[DEFAULT_ROLE]!.Condition;
      statements.push({ Effect: 'Allow', Action: { 'Fn::Split': [',', 'ec2:*'] }, Resource: '*' });
      expect(unguardedActions(t)).toEqual([
        expect.stringContaining('allows ec2:CopyImage without its guard'),
        expect.stringContaining('allows ec2:CopyImage without its guard'),
      ]);
      expect(sharedRoles(t)).toEqual([
        expect.stringContaining(`${DEFAULT_ROLE}, the provider's default role, is deployed`),
      ]);
      expect(unreadablePolicies(t)).toEqual([expect.stringContaining('names an action by {"Fn::Split"')]);
    });

    it('catch a role name that fits the region packaged for but not the longest, as stage prod packaged without a region', () => {
      const t = copy();
      const name = props(t, 'DecommissionInventoryIamRoleLambdaExecution').RoleName[
        'Fn::Join'
      ][1] as unknown[];
      name[1] = 'prod';
      expect(name).toEqual([
        'ami-lifecycle',
        'prod',
        'decommissionInventory',
        { Ref: 'AWS::Region' },
        'lambdaRole',
      ]);
      expect(longRoleNames(t, REGION)).toEqual([]);
      expect(longRoleNames(t)).toEqual([
        "DecommissionInventoryIamRoleLambdaExecution: its RoleName is ami-lifecycle-prod-decommissionInventory-ap-southeast-2-lambdaRole, 66 characters in ap-southeast-2: over IAM's 64",
      ]);
    });

    it('catch a dead-letter writer the queue denies, and EventBridge let in for any rule', () => {
      const t = copy();
      const [allow, deny] = props(t, 'EventsDeadLetterQueuePolicy').PolicyDocument.Statement;
      deny.Condition.ArnNotEquals['aws:PrincipalArn'].shift();
      allow.Condition.ArnEquals['aws:SourceArn'] = [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
        { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*' },
      ];
      const found = deadLetterQueueMismatches(t);
      expect(found).toContain(
        'EventsDeadLetterQueuePolicy.PolicyDocument#1 denies RequestBuildIamRoleLambdaExecution, whose policy allows sqs:SendMessage on EventsDeadLetterQueue',
      );
      expect(found.filter((v) => v.includes('does not let EventBridge dead-letter for'))).toHaveLength(16);
    });

    it('catch two functions packaged in one zip, and a role that puts events the bus denies', () => {
      const t = copy();
      props(t, 'FailBuildLambdaFunction').Code = props(t, 'StartBuildLambdaFunction').Code;
      props(t, 'EventBusPolicy').Statement.Condition.ArnNotEquals['aws:PrincipalArn'].shift();
      expect(sharedArtefacts(t, artefacts)).toContain(
        'StartBuildLambdaFunction, FailBuildLambdaFunction share the artefact startBuild.zip',
      );
      expect(busPolicyMismatches(t)).toEqual([
        'EventBusPolicy.Statement#0 denies FailBuildIamRoleLambdaExecution, whose policy allows events:PutEvents on EventBus',
      ]);
    });
  });
});
