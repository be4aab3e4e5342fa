import { join } from 'node:path';
import { catalogTableCloudFormation } from '@ami-lifecycle/catalog';
import { loadServerlessConfig, ServerlessConfigError } from '../src/deploy/serverless-config';
import { loadServerlessModel } from '../src/deploy/serverless-model';

const FIXTURE = join(__dirname, 'fixtures', 'serverless', 'serverless.yml');
const PROJECT = join(__dirname, '..', '..', '..', 'serverless.yml');

describe('serverless.yml model', () => {
  it('resolves self, sls, opt, env, aws and file variables as Serverless v3 does', () => {
    const model = loadServerlessModel(FIXTURE, {
      accountId: '111111111111',
      env: { SAMPLE_FROM_ENV: 'from-env' },
    });
    expect(model).toMatchObject({ service: 'sample', stage: 'test', region: 'eu-west-1' });
    const onBuilt = model.functions.find((f) => f.key === 'onBuilt')!;
    expect(onBuilt.name).toBe('sample-test-onBuilt');
    expect(onBuilt.handler).toEqual({
      module: 'services/build/src/handlers/on-built',
      exportName: 'handler',
    });
    expect(onBuilt.environment).toEqual({
      TABLE: 'sample-test',
      STAGE_AND_REGION: 'test-eu-west-1',
      FROM_ENV: 'from-env',
      EXTRA: '1',
    });
    expect(onBuilt.timeoutSeconds).toBe(30);
    expect(model.stateMachines[0]!.definition).toEqual({
      Comment: 'sample',
      StartAt: 'Resolve',
      States: {
        Resolve: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:eu-west-1:111111111111:function:sample-test-onBuilt',
          End: true,
        },
      },
    });
  });

  it('reads the rules of functions and state machines, resolving bus references', () => {
    const model = loadServerlessModel(FIXTURE, { stage: 'qa' });
    expect(model.functions.find((f) => f.key === 'onBuilt')!.rules).toEqual([
      {
        id: 'functions.onBuilt-rule-1',
        eventBus: 'sample-bus-qa',
        enabled: true,
        pattern: { source: ['ami-lifecycle'], 'detail-type': ['Image Built'] },
        retryPolicy: { maximumRetryAttempts: 2 },
      },
    ]);
    expect(
      model.functions.find((f) => f.key === 'sweep')!.rules.map((r) => [r.id, r.schedule, r.input]),
    ).toEqual([
      ['functions.sweep-schedule-1-1', 'rate(1 day)', { dryRun: true }],
      ['functions.sweep-schedule-1-2', 'cron(0 6 ? * MON *)', { dryRun: true }],
    ]);
    expect(model.stateMachines[0]!.rules[0]).toMatchObject({ eventBus: 'sample-bus', inputPath: '$.detail' });
  });

  it('reads CloudFormation short-form intrinsics into their long form', () => {
    const model = loadServerlessModel(FIXTURE);
    const queue = model.resources.find((r) => r.logicalId === 'Queue')!;
    expect(queue.properties).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, kept literally
      QueueName: { 'Fn::Sub': '${AWS::StackName}-dlq' },
      Tags: [{ Key: 'arn', Value: { 'Fn::GetAtt': ['Bus', 'Arn'] } }],
    });
  });

  it('refuses a variable with an unknown source, naming where it is', () => {
    expect(() => loadServerlessConfig(FIXTURE, { env: {} })).not.toThrow();
    const bad = join(__dirname, 'fixtures', 'serverless', 'bad-variable.yml');
    require('node:fs').writeFileSync(
      bad,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Serverless variable, kept literally
      'service: x\nprovider:\n  name: aws\n  stage: a\n  region: eu-west-1\ncustom:\n  x: ${ssm:/nope}\n',
    );
    try {
      expect(() => loadServerlessConfig(bad)).toThrow(ServerlessConfigError);
      expect(() => loadServerlessConfig(bad)).toThrow(
        /custom\.x: unsupported variable source in \$\{ssm:\/nope\}/,
      );
    } finally {
      require('node:fs').unlinkSync(bad);
    }
  });

  it('merges a list of function maps, one file per service, and refuses a function defined twice', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const dir = fs.mkdtempSync(join(require('node:os').tmpdir(), 'sls-functions-'));
    const head = 'service: x\nprovider:\n  name: aws\n  stage: a\n  region: eu-west-1\n';
    fs.writeFileSync(join(dir, 'a.yml'), 'one:\n  handler: a/one.handler\n');
    fs.writeFileSync(join(dir, 'b.yml'), 'two:\n  handler: b/two.handler\n');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Serverless variables, kept literally
    const list = 'functions:\n  - ${file(./a.yml)}\n  - ${file(./b.yml)}\n';
    fs.writeFileSync(join(dir, 'serverless.yml'), head + list);
    fs.writeFileSync(
      join(dir, 'twice.yml'),
      `${head}functions:\n  - \${file(./a.yml)}\n  - \${file(./a.yml)}\n`,
    );
    try {
      const model = loadServerlessModel(join(dir, 'serverless.yml'));
      expect(model.functions.map((f) => [f.name, f.handler.module])).toEqual([
        ['x-a-one', 'a/one'],
        ['x-a-two', 'b/two'],
      ]);
      expect(() => loadServerlessModel(join(dir, 'twice.yml'))).toThrow(
        /functions\[1\]\.one: is already defined by functions\[0\]/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the project's catalog table identical to the catalog package's definition", () => {
    const model = loadServerlessModel(PROJECT, { stage: 'local' });
    const table = model.resources.find((r) => r.logicalId === 'CatalogTable')!;
    expect(table.type).toBe('AWS::DynamoDB::Table');
    expect(table.properties).toEqual(catalogTableCloudFormation('ami-lifecycle-local'));
    expect(model.resources.find((r) => r.type === 'AWS::Events::EventBus')!.properties.Name).toBe(
      'ami-lifecycle-local',
    );
  });
});
