import type { Context } from 'aws-lambda';

/**
 * Every Lambda of the build state machine fails its task on an input it cannot parse. Returning the
 * kit's `DroppedEvent` instead would make it the step's result: the next Choice then reads a field the
 * result lacks, which fails the execution with `States.Runtime` past every Catch, so FailBuild never
 * runs, the image stays `building` and the builder keeps running.
 */
const STEPS = {
  StartBuild: 'start-build',
  CheckBuilder: 'check-builder',
  RunComponent: 'run-component',
  PollComponent: 'poll-component',
  StopBuilder: 'stop-builder',
  CreateImage: 'create-image',
  FailBuild: 'fail-build',
} as const;

const context = { functionName: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

describe('the build state machine steps', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    // The wiring reads its environment when a handler module loads; nothing is called on AWS here.
    Object.assign(process.env, {
      CATALOG_TABLE: 'ami-lifecycle-test',
      EVENT_BUS_NAME: 'ami-lifecycle-test',
      BUILD_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111122223333:stateMachine:ami-lifecycle-test-build',
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });
  afterAll(() => {
    process.env = saved;
  });

  it.each(Object.entries(STEPS))(
    '%s fails its task on a malformed input, naming the step',
    async (step, file) => {
      const { handler } = require(`../src/handlers/${file}`) as {
        handler: (event: unknown, context: Context) => Promise<unknown>;
      };

      await expect(handler({ status: 'garbage' }, context)).rejects.toMatchObject({
        name: 'StepInputRejectedError',
        message: expect.stringContaining(`${step} refused its input`),
      });
    },
  );
});
