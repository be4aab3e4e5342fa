import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerlessModel } from '../src/deploy/serverless-model';

const PROJECT = join(__dirname, '..', '..', '..', 'serverless.yml');
const ACCOUNT = '111111111111';

/**
 * What `osls package` reads beside the functions (plugins, package, custom.esbuild, per-function roles,
 * CloudFormation intrinsics with pseudo parameters), read by the local cloud as the deployment would
 * resolve it for its own account and region.
 */
describe("serverless.yml's packaging syntax, on the local cloud", () => {
  describe('the project', () => {
    const model = loadServerlessModel(PROJECT, { stage: 'local', region: 'eu-west-1', accountId: ACCOUNT });
    const fn = (key: string) => model.functions.find((f) => f.key === key)!;
    const queue = 'ami-lifecycle-local-events-dlq';

    it('lists its plugins and packages each function alone, bundled by serverless-esbuild', () => {
      expect(model.plugins).toEqual([
        'serverless-esbuild',
        'serverless-step-functions',
        'serverless-iam-roles-per-function',
      ]);
      expect(model.packaging).toMatchObject({
        individually: true,
        bundler: 'serverless-esbuild',
        esbuild: {
          bundle: true,
          minify: true,
          platform: 'node',
          target: 'node22',
          exclude: [],
          external: [],
        },
      });
    });

    it('resolves !Sub with pseudo parameters, !GetAtt and !Ref to the local account and region', () => {
      expect(fn('requestBuild').environment).toMatchObject({
        BUILD_STATE_MACHINE_ARN: `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:ami-lifecycle-local-build`,
        EVENTS_DEAD_LETTER_QUEUE_URL: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/${queue}`,
        CATALOG_TABLE: 'ami-lifecycle-local',
      });
      expect(fn('requestBuild').async?.onFailure).toBe(`arn:aws:sqs:eu-west-1:${ACCOUNT}:${queue}`);
      expect(fn('requestBuild').rules).toEqual([
        expect.objectContaining({
          eventBus: 'ami-lifecycle-local',
          deadLetterQueueArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:${queue}`,
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAge: 86400 },
        }),
      ]);
      // A schedule is an eventBridge schedule, with its retries and dead letters too.
      expect(fn('decommissionStart').rules).toEqual([
        expect.objectContaining({
          eventBus: 'default',
          schedule: 'rate(1 day)',
          deadLetterQueueArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:${queue}`,
        }),
      ]);
      expect(model.stateMachines.find((m) => m.key === 'build')!.definition).toMatchObject({
        States: {
          StartBuild: {
            Resource: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:ami-lifecycle-local-startBuild`,
          },
        },
      });
    });

    it('gives each function its own role, named as serverless-iam-roles-per-function names it', () => {
      expect(fn('requestBuild').roleName).toBe('ami-lifecycle-local-requestBuild-eu-west-1-lambdaRole');
      // 73 characters with the suffix on a longer stage: the plugin drops it.
      const longer = loadServerlessModel(PROJECT, { stage: 'e2e-decommission', accountId: ACCOUNT });
      expect(longer.functions.find((f) => f.key === 'decommissionInventory')!.roleName).toBe(
        'ami-lifecycle-e2e-decommission-decommissionInventory-eu-west-1',
      );
      expect(new Set(model.functions.map((f) => f.roleName)).size).toBe(model.functions.length);
      // The provider's statements are inherited (custom.serverless-iam-roles-per-function.defaultInherit).
      expect(fn('pollComponent').allowedActions).toEqual([
        'ssm:GetCommandInvocation',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]);
    });

    it("spares on the bus exactly the roles of the functions that put events, the operator's and the root", () => {
      const policy = model.resources.find((r) => r.type === 'AWS::Events::EventBusPolicy')!;
      const { resolveIntrinsics } =
        require('../src/deploy/cloudformation') as typeof import('../src/deploy/cloudformation');
      const statement = (
        resolveIntrinsics(policy.properties, model.cloudFormation, 'policy') as {
          Statement: { Condition: { ArnNotEquals: Record<string, string[]> } };
        }
      ).Statement;
      const putters = model.functions
        .filter((f) => f.allowedActions.includes('events:PutEvents'))
        .map((f) => `arn:aws:iam::${ACCOUNT}:role/${f.roleName}`);
      expect(putters.length).toBeGreaterThanOrEqual(10);
      expect(statement.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual([
        ...putters,
        `arn:aws:iam::${ACCOUNT}:role/ami-lifecycle-operator`,
        `arn:aws:iam::${ACCOUNT}:root`,
      ]);
    });
    it('takes another operator role as a param, as `osls --param "operatorRole=<name>"` does', () => {
      const given = loadServerlessModel(PROJECT, {
        accountId: ACCOUNT,
        params: { operatorRole: 'platform-ops' },
      });
      const policy = given.resources.find((r) => r.type === 'AWS::Events::EventBusPolicy')!;
      expect(JSON.stringify(policy.properties)).toContain(':role/platform-ops');
      expect(JSON.stringify(policy.properties)).not.toContain('ami-lifecycle-operator');
    });
  });

  describe('a file of its own', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'sls-packaging-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const load = (yaml: string, opts: { stage?: string } = {}) => {
      writeFileSync(join(dir, 'serverless.yml'), yaml);
      return loadServerlessModel(join(dir, 'serverless.yml'), { accountId: ACCOUNT, ...opts });
    };
    const head = (plugins: string[]) =>
      [
        'service: svc',
        `plugins: [${plugins.join(', ')}]`,
        'provider:',
        '  name: aws',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Serverless variable
        "  stage: ${opt:stage, 'dev'}",
        '  region: eu-west-1',
        '  iam:',
        '    role:',
        '      statements:',
        "        - { Effect: Allow, Action: [xray:PutTraceSegments], Resource: '*' }",
      ].join('\n');
    const statements =
      "    iamRoleStatements:\n      - { Effect: Allow, Action: [sqs:SendMessage], Resource: '*' }\n";

    it('without serverless-iam-roles-per-function, runs every function as the provider role, with its statements', () => {
      const model = load(
        `${head([])}\nfunctions:\n  one:\n    handler: h.one\n${statements}  two:\n    handler: h.two\n`,
      );
      expect(model.functions.map((f) => [f.roleName, f.allowedActions])).toEqual([
        ['svc-dev-eu-west-1-lambdaRole', ['xray:PutTraceSegments']],
        ['svc-dev-eu-west-1-lambdaRole', ['xray:PutTraceSegments']],
      ]);
    });

    it('with it, gives a function with statements its own role, inheriting only when told, and honours iamRoleStatementsName', () => {
      const model = load(
        `${head(['serverless-iam-roles-per-function'])}\nfunctions:\n` +
          `  one:\n    handler: h.one\n${statements}` +
          `  two:\n    handler: h.two\n    iamRoleStatementsInherit: true\n    iamRoleStatementsName: svc-two\n${statements}` +
          '  three:\n    handler: h.three\n',
      );
      expect(model.functions.map((f) => [f.key, f.roleName, f.allowedActions])).toEqual([
        ['one', 'svc-dev-one-eu-west-1-lambdaRole', ['sqs:SendMessage']],
        ['two', 'svc-two', ['sqs:SendMessage', 'xray:PutTraceSegments']],
        ['three', 'svc-dev-eu-west-1-lambdaRole', ['xray:PutTraceSegments']],
      ]);
    });

    it('refuses a role name over IAM’s 64 characters even without the suffix, as the plugin does', () => {
      const yaml = `${head(['serverless-iam-roles-per-function'])}\nfunctions:\n  aFunctionWithALongName:\n    handler: h.one\n${statements}`;
      expect(load(yaml, { stage: 'a-stage-name-long-enough' }).functions[0]!.roleName).toBe(
        'svc-a-stage-name-long-enough-aFunctionWithALongName-eu-west-1',
      );
      expect(() => load(yaml, { stage: 'a-stage-name-long-enough-to-overflow' })).toThrow(
        /functions\.aFunctionWithALongName: .*over 64 characters: set iamRoleStatementsName/,
      );
    });

    it('refuses state machines without serverless-step-functions and esbuild options without serverless-esbuild', () => {
      const machine =
        '\nfunctions:\n  one:\n    handler: h.one\nstepFunctions:\n  stateMachines:\n    m:\n' +
        '      definition: { StartAt: A, States: { A: { Type: Task, Resource: !GetAtt OneLambdaFunction.Arn, End: true } } }\n';
      expect(() => load(head([]) + machine)).toThrow(
        /stepFunctions: state machines need the serverless-step-functions plugin/,
      );
      expect(load(head(['serverless-step-functions']) + machine).stateMachines).toHaveLength(1);
      const esbuild = '\ncustom:\n  esbuild: { bundle: true }\n';
      expect(() => load(head([]) + esbuild)).toThrow(/custom\.esbuild: is read by serverless-esbuild/);
      expect(() =>
        load(`${head(['serverless-esbuild'])}\ncustom:\n  esbuild: { platform: browser }\n`),
      ).toThrow(/custom\.esbuild\.platform/);
    });

    it("reads a param from the stage's params, then the default ones", () => {
      const yaml =
        `${head([])}\nparams:\n  default: { bus: shared }\n  prod: { bus: prod-bus }\n` +
        `functions:\n  one:\n    handler: h.one\n    environment:\n      BUS: \${param:bus}\n`;
      expect(load(yaml, { stage: 'qa' }).functions[0]!.environment.BUS).toBe('shared');
      expect(load(yaml, { stage: 'prod' }).functions[0]!.environment.BUS).toBe('prod-bus');
    });

    it('resolves no Fn::GetAtt attribute or Fn::Sub variable from Object.prototype', () => {
      const { resolveIntrinsics } =
        require('../src/deploy/cloudformation') as typeof import('../src/deploy/cloudformation');
      const scope = {
        accountId: ACCOUNT,
        region: 'eu-west-1',
        partition: 'aws',
        stackName: 'svc-dev',
        resources: new Map([
          [
            'Q',
            { type: 'AWS::SQS::Queue', ref: 'https://q', attributes: { Arn: 'arn:aws:sqs:eu-west-1:1:q' } },
          ],
        ]),
      };
      const resolve = (value: unknown) => () => resolveIntrinsics(value, scope, 'p');
      expect(resolve({ 'Fn::GetAtt': ['Q', 'Arn'] })()).toBe('arn:aws:sqs:eu-west-1:1:q');
      expect(resolve({ 'Fn::GetAtt': ['Q', 'constructor'] })).toThrow(
        /p: Fn::GetAtt Q\.constructor: a AWS::SQS::Queue has no such attribute here/,
      );
      expect(resolve({ 'Fn::GetAtt': 'Q.toString' })).toThrow(/Fn::GetAtt Q\.toString: .*no such attribute/);
      expect(resolve({ 'Fn::Sub': `\${Q.hasOwnProperty}` })).toThrow(
        /Fn::GetAtt Q\.hasOwnProperty: .*no such attribute/,
      );
      expect(resolve({ 'Fn::Sub': [`\${constructor}`, {}] })).toThrow(
        /p: Fn::Sub \$\{constructor\} names nothing this deployment has/,
      );
      expect(resolve({ 'Fn::Sub': [`\${toString}-\${x}`, { x: 'y' }] })).toThrow(
        /Fn::Sub \$\{toString\} names nothing/,
      );
      expect(resolve({ 'Fn::Sub': [`\${x}`, { x: 'y' }] })()).toBe('y');
    });

    it('names where an intrinsic cannot be resolved, and refuses a failure destination that is no queue', () => {
      expect(() =>
        load(
          `${head([])}\nfunctions:\n  one:\n    handler: h.one\n    environment:\n      TOPIC: !Ref Topic\n`,
        ),
      ).toThrow(/functions\.one\.environment\.TOPIC: Ref Topic names no resource of this deployment/);
      expect(() =>
        load(
          `${head([])}\nfunctions:\n  one:\n    handler: h.one\n    destinations:\n      onFailure: { type: sns, arn: !Ref AWS::AccountId }\n`,
        ),
      ).toThrow(/the local cloud sends failures to SQS queues only/);
    });
  });
});
