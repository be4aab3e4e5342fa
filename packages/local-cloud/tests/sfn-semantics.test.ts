import { AwsError } from '../src/errors';
import { compileDefinition, type ExecutionView, SfnService } from '../src/services/sfn';
import { startTestEdge } from '../src/testing/edge-harness';
import type { CloudContext } from '../src/types';

/**
 * Amazon States Language semantics as AWS documents them, run through the local cloud's interpreter: Pass
 * results, ResultPath, Choice type tests, Fail paths, the context object's State fields and intrinsic
 * functions.
 */

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ami-lifecycle-states`;
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

class TransientError extends Error {
  override name = 'TransientError';
}

type Handler = (payload: unknown) => unknown;

describe('Step Functions semantics', () => {
  let edge: Awaited<ReturnType<typeof startTestEdge>>;
  let sfn: SfnService;
  const functions = new Map<string, Handler>();
  const calls: { name: string; payload: unknown; at: number }[] = [];

  const invokeLambda = (ctx: CloudContext) => async (arn: string, payload: unknown) => {
    const name = arn.split(':')[6]!;
    calls.push({ name, payload, at: ctx.clock.nowMillis() });
    const handler = functions.get(name);
    if (!handler) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
    return handler(payload);
  };

  beforeAll(async () => {
    // Loads the ASL validator, which compiles its JSON schemas on first use, outside the tests' budget.
    compileDefinition(JSON.stringify({ StartAt: 'Warm', States: { Warm: { Type: 'Succeed' } } }));
    edge = await startTestEdge((ctx) => {
      sfn = new SfnService(ctx, { invokeLambda: invokeLambda(ctx) });
      return [sfn];
    });
  }, 30_000);
  afterEach(() => {
    functions.clear();
    calls.length = 0;
  });
  afterAll(async () => {
    sfn.close();
    await edge.close();
  });

  let machines = 0;
  /** Creates a machine, runs one execution to its end on the simulated clock, and describes it. */
  const run = async (definition: object, input: unknown = {}): Promise<ExecutionView> => {
    const { stateMachineArn } = sfn.createStateMachine(
      ACCOUNT,
      REGION,
      `semantics-${++machines}`,
      definition,
      ROLE,
    );
    const arn = sfn.startExecution(stateMachineArn, input);
    return sfn.waitForExecution(arn, { maxAdvanceSeconds: 3600 });
  };
  const pass = (fields: object) => ({
    StartAt: 'Only',
    States: { Only: { Type: 'Pass', ...fields, End: true } },
  });

  describe('Pass Result', () => {
    it.each([
      ['false', false],
      ['0', 0],
      ['an empty string', ''],
    ])('outputs a Result of %s instead of passing the input through', async (_, result) => {
      const execution = await run(pass({ Result: result }), { family: 'golden-al2023' });

      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: result });
    });

    it('places a falsy Result at its ResultPath', async () => {
      const execution = await run(
        {
          StartAt: 'Flag',
          States: {
            Flag: { Type: 'Pass', Result: false, ResultPath: '$.approved', Next: 'Count' },
            Count: { Type: 'Pass', Result: 0, ResultPath: '$.attempts', Next: 'Note' },
            Note: { Type: 'Pass', Result: '', ResultPath: '$.note', End: true },
          },
        },
        { family: 'golden-al2023' },
      );

      expect(execution).toMatchObject({
        status: 'SUCCEEDED',
        output: { family: 'golden-al2023', approved: false, attempts: 0, note: '' },
      });
    });
  });

  describe('ResultPath "$"', () => {
    it('replaces the input with the result', async () => {
      const execution = await run(pass({ Result: { imageId: 'ami-0built' }, ResultPath: '$' }), {
        family: 'golden-al2023',
      });

      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { imageId: 'ami-0built' } });
    });

    it('replaces an input that is not an object', async () => {
      const execution = await run(
        {
          StartAt: 'Text',
          States: {
            Text: { Type: 'Pass', Result: 'golden-al2023', Next: 'Replace' },
            Replace: { Type: 'Pass', Result: ['ami-0built'], ResultPath: '$', End: true },
          },
        },
        {},
      );

      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: ['ami-0built'] });
    });

    it("replaces the input with the error output in a catcher's ResultPath", async () => {
      functions.set('launch-builder', () => {
        throw new TransientError('no capacity');
      });
      const execution = await run(
        {
          StartAt: 'Launch',
          States: {
            Launch: {
              Type: 'Task',
              Resource: fn('launch-builder'),
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'Caught' }],
              End: true,
            },
            Caught: { Type: 'Pass', End: true },
          },
        },
        { family: 'golden-al2023' },
      );

      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.output).toEqual({ Error: 'TransientError', Cause: expect.any(String) });
    });
  });

  describe('Choice type tests with false', () => {
    const choice = (rule: object) => ({
      StartAt: 'Route',
      States: {
        Route: { Type: 'Choice', Choices: [{ ...rule, Next: 'Matched' }], Default: 'NotMatched' },
        Matched: { Type: 'Pass', Result: 'matched', End: true },
        NotMatched: { Type: 'Pass', Result: 'not matched', End: true },
      },
    });
    const input = {
      nothing: null,
      count: 3,
      name: 'golden-al2023',
      flag: true,
      when: '2026-03-01T00:00:00Z',
    };

    it.each([
      ['IsPresent', '$.missing'],
      ['IsNull', '$.count'],
      ['IsNumeric', '$.name'],
      ['IsString', '$.count'],
      ['IsBoolean', '$.name'],
      ['IsTimestamp', '$.name'],
    ])('%s: false matches a value that fails the test', async (test, variable) => {
      const execution = await run(choice({ Variable: variable, [test]: false }), input);

      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: 'matched' });
    });

    it.each([
      ['IsPresent', '$.name'],
      ['IsNull', '$.nothing'],
      ['IsNumeric', '$.count'],
      ['IsString', '$.name'],
      ['IsBoolean', '$.flag'],
      ['IsTimestamp', '$.when'],
    ])('%s: false does not match a value that passes the test', async (test, variable) => {
      const execution = await run(choice({ Variable: variable, [test]: false }), input);

      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: 'not matched' });
    });

    it('applies a false type test inside And, Or and Not', async () => {
      const execution = await run(
        choice({
          And: [
            { Variable: '$.missing', IsPresent: false },
            {
              Or: [
                { Variable: '$.count', IsString: false },
                { Variable: '$.name', IsNumeric: true },
              ],
            },
            { Not: { Variable: '$.nothing', IsNull: false } },
          ],
        }),
        input,
      );

      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: 'matched' });
    });
  });

  describe('Fail ErrorPath and CausePath', () => {
    it('evaluates intrinsic functions', async () => {
      const execution = await run(
        {
          StartAt: 'Failed',
          States: {
            Failed: {
              Type: 'Fail',
              ErrorPath: "States.Format('{}.BuildFailed', $.stage)",
              CausePath: "States.Format('image {} of {} failed', $.imageId, $.family)",
            },
          },
        },
        { stage: 'CreateImage', imageId: 'ami-0built', family: 'golden-al2023' },
      );

      expect(execution).toMatchObject({
        status: 'FAILED',
        error: 'CreateImage.BuildFailed',
        cause: 'image ami-0built of golden-al2023 failed',
      });
    });

    it('still reads reference paths', async () => {
      const execution = await run(
        {
          StartAt: 'Failed',
          States: { Failed: { Type: 'Fail', ErrorPath: '$.error', CausePath: '$.cause' } },
        },
        { error: 'BuildFailed', cause: 'no capacity' },
      );

      expect(execution).toMatchObject({ status: 'FAILED', error: 'BuildFailed', cause: 'no capacity' });
    });
  });

  describe('context object State fields', () => {
    it('gives a Pass state its name, the simulated time it was entered and a retry count of 0', async () => {
      const t0 = edge.clock.nowMillis();
      const execution = await run({
        StartAt: 'Hold',
        States: {
          Hold: { Type: 'Wait', Seconds: 30, Next: 'Stamp' },
          Stamp: {
            Type: 'Pass',
            Parameters: {
              'name.$': '$$.State.Name',
              'enteredAt.$': '$$.State.EnteredTime',
              'retries.$': '$$.State.RetryCount',
              'label.$': "States.Format('{} at {}', $$.State.Name, $$.State.EnteredTime)",
            },
            End: true,
          },
        },
      });

      const enteredAt = new Date(t0 + 30_000).toISOString();
      expect(execution).toMatchObject({
        status: 'SUCCEEDED',
        output: { name: 'Stamp', enteredAt, retries: 0, label: `Stamp at ${enteredAt}` },
      });
    });

    it("gives each attempt of a retried Task its retry count; the entered time stays the state's", async () => {
      let attempts = 0;
      functions.set('create-image', () => {
        attempts++;
        if (attempts <= 2) throw new TransientError(`attempt ${attempts}`);
        return { imageId: 'ami-0built' };
      });
      const t0 = edge.clock.nowMillis();
      const execution = await run({
        StartAt: 'CreateImage',
        States: {
          CreateImage: {
            Type: 'Task',
            Resource: fn('create-image'),
            Parameters: {
              'state.$': '$$.State.Name',
              'attempt.$': '$$.State.RetryCount',
              'enteredAt.$': '$$.State.EnteredTime',
            },
            ResultSelector: { 'imageId.$': '$.imageId', 'retries.$': '$$.State.RetryCount' },
            Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 10, BackoffRate: 1, MaxAttempts: 3 }],
            End: true,
          },
        },
      });

      const enteredAt = new Date(t0).toISOString();
      expect(calls.map((c) => c.payload)).toEqual([
        { state: 'CreateImage', attempt: 0, enteredAt },
        { state: 'CreateImage', attempt: 1, enteredAt },
        { state: 'CreateImage', attempt: 2, enteredAt },
      ]);
      expect(calls.map((c) => (c.at - t0) / 1000)).toEqual([0, 10, 20]);
      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { imageId: 'ami-0built', retries: 2 } });
    });

    it('counts the retries of a Parallel state in its Parameters', async () => {
      let attempts = 0;
      functions.set('scan-image', (payload) => {
        attempts++;
        if (attempts === 1) throw new TransientError('scanner busy');
        return payload;
      });
      const t0 = edge.clock.nowMillis();
      const execution = await run({
        StartAt: 'Scan',
        States: {
          Scan: {
            Type: 'Parallel',
            Parameters: { 'retry.$': '$$.State.RetryCount', 'enteredAt.$': '$$.State.EnteredTime' },
            Branches: [
              {
                StartAt: 'ScanImage',
                States: { ScanImage: { Type: 'Task', Resource: fn('scan-image'), End: true } },
              },
            ],
            Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 5, MaxAttempts: 2 }],
            End: true,
          },
        },
      });

      const enteredAt = new Date(t0).toISOString();
      expect(calls.map((c) => [c.payload, (c.at - t0) / 1000])).toEqual([
        [{ retry: 0, enteredAt }, 0],
        [{ retry: 1, enteredAt }, 5],
      ]);
      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: [{ retry: 1, enteredAt }] });
    });

    it('gives the states of a Map iteration their own names', async () => {
      const execution = await run(
        {
          StartAt: 'Each',
          States: {
            Each: {
              Type: 'Map',
              ItemsPath: '$.regions',
              ItemSelector: { 'region.$': '$$.Map.Item.Value', 'map.$': '$$.State.Name' },
              ItemProcessor: {
                StartAt: 'Inner',
                States: {
                  Inner: {
                    Type: 'Pass',
                    Parameters: { 'region.$': '$.region', 'map.$': '$.map', 'state.$': '$$.State.Name' },
                    End: true,
                  },
                },
              },
              End: true,
            },
          },
        },
        { regions: ['eu-west-1', 'us-east-1'] },
      );

      expect(execution).toMatchObject({
        status: 'SUCCEEDED',
        output: [
          { region: 'eu-west-1', map: 'Each', state: 'Inner' },
          { region: 'us-east-1', map: 'Each', state: 'Inner' },
        ],
      });
    });
  });

  describe('States.StringSplit', () => {
    it('splits at every character of the splitter', async () => {
      const execution = await run(
        pass({ Parameters: { 'parts.$': 'States.StringSplit($.text, $.splitter)' } }),
        {
          text: 'This.is+a,test=string',
          splitter: '.+,=',
        },
      );

      expect(execution).toMatchObject({
        status: 'SUCCEEDED',
        output: { parts: ['This', 'is', 'a', 'test', 'string'] },
      });
    });

    it('leaves out empty strings between, before and after delimiters', async () => {
      const execution = await run(pass({ Parameters: { 'parts.$': "States.StringSplit($.text, ', ')" } }), {
        text: ', eu-west-1,, us-east-1 ,',
      });

      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { parts: ['eu-west-1', 'us-east-1'] } });
    });
  });

  describe('States.StringToJson', () => {
    it('parses JSON text', async () => {
      const execution = await run(pass({ Parameters: { 'value.$': 'States.StringToJson($.text)' } }), {
        text: '{"imageId":"ami-0built","tags":[1,2]}',
      });

      expect(execution).toMatchObject({
        status: 'SUCCEEDED',
        output: { value: { imageId: 'ami-0built', tags: [1, 2] } },
      });
    });

    it('fails the execution with States.Runtime on text that is not JSON', async () => {
      const execution = await run(pass({ Parameters: { 'value.$': 'States.StringToJson($.text)' } }), {
        text: '{not json',
      });

      expect(execution).toMatchObject({
        status: 'FAILED',
        error: 'States.Runtime',
        cause: expect.stringContaining('States.StringToJson'),
      });
    });

    it('is not caught by States.ALL, as no States.Runtime error is', async () => {
      functions.set('register-image', (payload) => payload);
      const execution = await run(
        {
          StartAt: 'Register',
          States: {
            Register: {
              Type: 'Task',
              Resource: fn('register-image'),
              Parameters: { 'tags.$': 'States.StringToJson($.tags)' },
              Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
              End: true,
            },
            Caught: { Type: 'Pass', End: true },
          },
        },
        { tags: 'Name=golden' },
      );

      expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(calls).toHaveLength(0);
    });

    it('is not caught by States.ALL around a Parallel branch either', async () => {
      const execution = await run(
        {
          StartAt: 'Both',
          States: {
            Both: {
              Type: 'Parallel',
              Branches: [
                {
                  StartAt: 'Parse',
                  States: {
                    Parse: {
                      Type: 'Pass',
                      Parameters: { 'value.$': 'States.StringToJson($.text)' },
                      End: true,
                    },
                  },
                },
              ],
              Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
              End: true,
            },
            Caught: { Type: 'Pass', End: true },
          },
        },
        { text: 'not json' },
      );

      expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    });
  });
});
