import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import fc from 'fast-check';
import { compileDefinition, SfnService } from '../src/services/sfn';
import { errorMatches, retryDelayMs } from '../src/services/sfn/engine';
import { startTestEdge } from '../src/testing/edge-harness';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ami-lifecycle-states`;
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

const HOLD = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 60, End: true } } };
const DONE = { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } };

describe('Step Functions API', () => {
  let edge: Awaited<ReturnType<typeof startTestEdge>>;
  let sfn: SfnService;
  let client: SFNClient;

  beforeAll(async () => {
    // Loads the ASL validator, which compiles its JSON schemas on first use (seconds on a busy machine),
    // here rather than inside the first test's time budget.
    compileDefinition(JSON.stringify({ StartAt: 'Warm', States: { Warm: { Type: 'Succeed' } } }));
    edge = await startTestEdge((ctx) => {
      sfn = new SfnService(ctx, { invokeLambda: async (_arn, payload) => payload });
      return [sfn];
    });
    client = new SFNClient({ ...edge.clientConfig, maxAttempts: 1 });
  }, 30_000);
  afterAll(async () => {
    client.destroy();
    sfn.close();
    await edge.close();
  });

  const create = (name: string, definition: object | string = DONE) =>
    client.send(
      new CreateStateMachineCommand({
        name,
        definition: typeof definition === 'string' ? definition : JSON.stringify(definition),
        roleArn: ROLE,
      }),
    );

  describe('state machines', () => {
    it('creates, describes, updates and deletes a state machine', async () => {
      const created = await create('lifecycle-build', HOLD);

      const described = await client.send(
        new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }),
      );
      expect(created.stateMachineArn).toBe(
        `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:lifecycle-build`,
      );
      expect(described).toMatchObject({
        name: 'lifecycle-build',
        status: 'ACTIVE',
        type: 'STANDARD',
        roleArn: ROLE,
        definition: JSON.stringify(HOLD),
        creationDate: created.creationDate,
      });

      const updated = await client.send(
        new UpdateStateMachineCommand({
          stateMachineArn: created.stateMachineArn,
          definition: JSON.stringify(DONE),
        }),
      );
      expect(updated.updateDate).toBeInstanceOf(Date);
      expect(
        (await client.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn })))
          .definition,
      ).toBe(JSON.stringify(DONE));

      await client.send(new DeleteStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
      await expect(
        client.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn })),
      ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
      // Deleting is idempotent.
      await client.send(new DeleteStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    });

    it('keeps running executions on the definition they started with when the machine is updated', async () => {
      const { stateMachineArn } = await create('lifecycle-update', HOLD);
      const before = await client.send(new StartExecutionCommand({ stateMachineArn, input: '{"v":1}' }));

      await client.send(new UpdateStateMachineCommand({ stateMachineArn, definition: JSON.stringify(DONE) }));
      const after = await client.send(new StartExecutionCommand({ stateMachineArn, input: '{"v":2}' }));
      await sfn.waitForExecution(after.executionArn!, { maxAdvanceSeconds: 0 });

      expect(sfn.describeExecution(before.executionArn!).status).toBe('RUNNING');
      expect(sfn.describeExecution(after.executionArn!).status).toBe('SUCCEEDED');
      const done = await sfn.waitForExecution(before.executionArn!, { maxAdvanceSeconds: 60 });
      expect(done.status).toBe('SUCCEEDED');
    });

    it('refuses an update that changes nothing', async () => {
      const { stateMachineArn } = await create('lifecycle-noop');

      await expect(client.send(new UpdateStateMachineCommand({ stateMachineArn }))).rejects.toMatchObject({
        name: 'MissingRequiredParameter',
      });
    });

    it('is idempotent for the same definition and refuses the same name with another one', async () => {
      const first = await create('lifecycle-idempotent', HOLD);

      const again = await client.send(
        new CreateStateMachineCommand({
          name: 'lifecycle-idempotent',
          definition: JSON.stringify(HOLD, null, 2),
          roleArn: `arn:aws:iam::${ACCOUNT}:role/another-role`,
        }),
      );

      expect(again).toEqual(
        expect.objectContaining({ stateMachineArn: first.stateMachineArn, creationDate: first.creationDate }),
      );
      const described = await client.send(
        new DescribeStateMachineCommand({ stateMachineArn: first.stateMachineArn }),
      );
      expect(described.roleArn).toBe(ROLE);
      await expect(create('lifecycle-idempotent', DONE)).rejects.toMatchObject({
        name: 'StateMachineAlreadyExists',
        message: `State Machine Already Exists: '${first.stateMachineArn}'`,
      });
    });

    it('lists the state machines of the caller account and region, page by page', async () => {
      const other = new SFNClient({ ...edge.clientConfig, region: 'us-east-1', maxAttempts: 1 });
      try {
        await create('page-a');
        await create('page-b');
        await create('page-c');

        const names: string[] = [];
        let nextToken: string | undefined;
        let pages = 0;
        do {
          const page = await client.send(new ListStateMachinesCommand({ maxResults: 2, nextToken }));
          names.push(...page.stateMachines!.map((m) => m.name!));
          nextToken = page.nextToken;
          pages++;
        } while (nextToken && pages < 20);

        expect(names.filter((n) => n.startsWith('page-'))).toEqual(['page-a', 'page-b', 'page-c']);
        expect(pages).toBeGreaterThan(1);
        expect((await other.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
        await expect(
          other.send(
            new DescribeStateMachineCommand({
              stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:page-a`,
            }),
          ),
        ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
      } finally {
        other.destroy();
      }
    });

    it.each([
      ['a name with a space', 'golden build'],
      ['a name with a slash', 'golden/build'],
      ['a name longer than 80 characters', 'x'.repeat(81)],
    ])('refuses %s', async (_what, name) => {
      await expect(create(name)).rejects.toMatchObject({
        name: 'InvalidName',
        message: `Invalid Name: '${name}'`,
      });
    });

    it('refuses EXPRESS machines and role ARNs that are not IAM roles', async () => {
      await expect(
        client.send(
          new CreateStateMachineCommand({
            name: 'express',
            definition: JSON.stringify(DONE),
            roleArn: ROLE,
            type: 'EXPRESS',
          }),
        ),
      ).rejects.toMatchObject({ name: 'StateMachineTypeNotSupported' });
      await expect(
        client.send(
          new CreateStateMachineCommand({
            name: 'bad-role',
            definition: JSON.stringify(DONE),
            roleArn: 'role',
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidArn' });
    });
  });

  describe('definition validation', () => {
    const task = (state: object) => ({ StartAt: 'T', States: { T: { ...state, End: true } } });

    it.each<[string, object | string, RegExp]>([
      [
        'text that is not JSON',
        '{"StartAt": "A", ',
        /^Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: /,
      ],
      [
        'an unknown state type',
        { StartAt: 'A', States: { A: { Type: 'Tsak', End: true } } },
        /SCHEMA_VALIDATION_FAILED: "Tsak" is not a valid state type .* at \/States\/A\/Type/,
      ],
      [
        'a transition to a missing state',
        { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' } } },
        /MISSING_TRANSITION_TARGET: .*B/,
      ],
      [
        'a state name used twice across branches',
        {
          StartAt: 'P',
          States: {
            P: {
              Type: 'Parallel',
              Branches: [
                { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
                { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
              ],
              End: true,
            },
          },
        },
        /the state name "X" is used more than once/,
      ],
      [
        'JSONata',
        { QueryLanguage: 'JSONata', ...DONE },
        /UNSUPPORTED_FEATURE: JSONata .* at \/QueryLanguage/,
      ],
      [
        'a .waitForTaskToken callback',
        task({
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'approve' },
        }),
        /UNSUPPORTED_FEATURE: "arn:aws:states:::lambda:invoke.waitForTaskToken" .* at \/States\/T\/Resource/,
      ],
      [
        'a service integration other than Lambda',
        task({ Type: 'Task', Resource: 'arn:aws:states:::sns:publish', Parameters: { TopicArn: 'x' } }),
        /runs Lambda tasks only/,
      ],
      [
        'lambda:invoke without FunctionName',
        task({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { Payload: {} } }),
        /The field 'FunctionName' is required but was missing at \/States\/T\/Parameters/,
      ],
      [
        'a Distributed Map',
        task({
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'I',
            States: { I: { Type: 'Pass', End: true } },
          },
        }),
        /UNSUPPORTED_FEATURE: Distributed Map .* at \/States\/T\/ItemProcessor\/ProcessorConfig\/Mode/,
      ],
      ['variables', task({ Type: 'Pass', Assign: { x: 1 } }), /UNSUPPORTED_FEATURE: variables \("Assign"\)/],
    ])('refuses %s with InvalidDefinition naming the problem', async (_what, definition, message) => {
      const refused = create(`invalid-${Math.random().toString(36).slice(2, 8)}`, definition);

      await expect(refused).rejects.toMatchObject({
        name: 'InvalidDefinition',
        message: expect.stringMatching(message),
      });
    });

    it('accepts Lambda tasks by function ARN and by lambda:invoke with FunctionName.$', async () => {
      const created = await create('valid-lambda-tasks', {
        StartAt: 'A',
        States: {
          A: { Type: 'Task', Resource: fn('a'), Next: 'B' },
          B: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { 'FunctionName.$': '$.fn', 'Payload.$': '$' },
            End: true,
          },
        },
      });

      expect(created.stateMachineArn).toMatch(/:stateMachine:valid-lambda-tasks$/);
    });
  });

  describe('executions', () => {
    it('refuses bad names, input that is not JSON, and unknown machines', async () => {
      const { stateMachineArn } = await create('exec-validation');

      await expect(
        client.send(new StartExecutionCommand({ stateMachineArn, name: 'has space' })),
      ).rejects.toMatchObject({ name: 'InvalidName' });
      await expect(
        client.send(new StartExecutionCommand({ stateMachineArn, input: '{not json' })),
      ).rejects.toMatchObject({
        name: 'InvalidExecutionInput',
        message: expect.stringMatching(/^Invalid State Machine Execution Input: /),
      });
      await expect(
        client.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}-missing` })),
      ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
      await expect(
        client.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' })),
      ).rejects.toMatchObject({
        name: 'InvalidArn',
      });
      await expect(
        client.send(
          new DescribeExecutionCommand({
            executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:exec-validation:nope`,
          }),
        ),
      ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    });

    it('lists executions newest first, by status, page by page', async () => {
      const { stateMachineArn } = await create('exec-listing', HOLD);
      for (const name of ['one', 'two', 'three']) {
        await client.send(new StartExecutionCommand({ stateMachineArn, name }));
      }
      await client.send(new UpdateStateMachineCommand({ stateMachineArn, definition: JSON.stringify(DONE) }));
      const quick = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'four' }));
      await sfn.waitForExecution(quick.executionArn!, { maxAdvanceSeconds: 0 });

      const names: string[] = [];
      let nextToken: string | undefined;
      for (let page = 0; page < 10; page++) {
        const listed = await client.send(
          new ListExecutionsCommand({ stateMachineArn, maxResults: 3, nextToken }),
        );
        names.push(...listed.executions!.map((e) => e.name!));
        nextToken = listed.nextToken;
        if (!nextToken) break;
      }
      const running = await client.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }),
      );
      const succeeded = await client.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED' }),
      );

      expect(names).toEqual(['four', 'three', 'two', 'one']);
      expect(running.executions!.map((e) => e.name)).toEqual(['three', 'two', 'one']);
      expect(succeeded.executions!.map((e) => [e.name, e.status])).toEqual([['four', 'SUCCEEDED']]);
      await expect(
        client.send(new ListExecutionsCommand({ stateMachineArn, nextToken: 'forged' })),
      ).rejects.toMatchObject({ name: 'InvalidToken' });
    });

    it('pages the history in either order, with or without execution data', async () => {
      const { stateMachineArn } = await create('exec-history', {
        StartAt: 'A',
        States: {
          A: { Type: 'Pass', Next: 'B' },
          B: { Type: 'Pass', Next: 'C' },
          C: { Type: 'Pass', End: true },
        },
      });
      const { executionArn } = await client.send(
        new StartExecutionCommand({ stateMachineArn, input: '{"secret":1}' }),
      );
      await sfn.waitForExecution(executionArn!, { maxAdvanceSeconds: 0 });

      const ids = async (reverseOrder: boolean) => {
        const out: number[] = [];
        let nextToken: string | undefined;
        for (let page = 0; page < 10; page++) {
          const h = await client.send(
            new GetExecutionHistoryCommand({ executionArn, maxResults: 3, reverseOrder, nextToken }),
          );
          out.push(...h.events!.map((e) => e.id!));
          nextToken = h.nextToken;
          if (!nextToken) break;
        }
        return out;
      };
      const bare = await client.send(
        new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }),
      );

      expect(await ids(false)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await ids(true)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
      expect(bare.events![0]?.executionStartedEventDetails).toEqual({ roleArn: ROLE });
      expect(bare.events![1]?.stateEnteredEventDetails).toEqual({ name: 'A' });
    });
  });

  describe('retry rules', () => {
    it('never pauses longer than MaxDelaySeconds, and pauses grow with each attempt', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3600 }),
          fc.double({ min: 1, max: 10, noNaN: true }),
          fc.integer({ min: 1, max: 86_400 }),
          fc.integer({ min: 0, max: 20 }),
          (interval, backoff, maxDelay, attempt) => {
            const retrier = {
              ErrorEquals: ['States.ALL'],
              IntervalSeconds: interval,
              BackoffRate: backoff,
              MaxDelaySeconds: maxDelay,
            };
            const now = retryDelayMs(retrier, attempt, 'seed');
            const next = retryDelayMs(retrier, attempt + 1, 'seed');
            return now <= maxDelay * 1000 && next >= now;
          },
        ),
      );
    });

    it('matches wildcards as AWS does: States.Runtime never, States.Timeout not by States.TaskFailed', () => {
      expect(errorMatches(['States.ALL'], 'TransientError')).toBe(true);
      expect(errorMatches(['States.TaskFailed'], 'Lambda.ServiceException')).toBe(true);
      expect(errorMatches(['States.TaskFailed'], 'States.Timeout')).toBe(false);
      expect(errorMatches(['States.ALL'], 'States.Timeout')).toBe(true);
      expect(errorMatches(['States.ALL'], 'States.Runtime')).toBe(false);
      expect(errorMatches(['Other'], 'TransientError')).toBe(false);
    });
  });
});
