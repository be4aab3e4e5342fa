import { createServer } from 'node:net';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { amictlDepsFromEnv, describeBuildHistory, runAmictl, useColor } from '../src';
import { buildStateMachineFromEnv } from '../src/aws-builds';
import { addImage, createWorld } from './support/world';

const io = (stdoutIsTTY: boolean | undefined) => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), stdoutIsTTY, user: 'alice' },
  };
};

describe('whether amictl colours what it prints', () => {
  it.each([
    [{}, true, true],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: 'false' }, true, false],
    [{ NO_COLOR: '' }, true, true],
    [{}, false, false],
    [{}, undefined, false],
    [{ TERM: 'dumb' }, true, false],
    [{ TERM: 'xterm-256color' }, true, true],
  ])('env %j on a terminal %s: %s', (env, isTTY, expected) => {
    expect(useColor(env, isTTY)).toBe(expected);
  });

  it("is main.ts's wiring: NO_COLOR or no terminal means no colour", () => {
    expect(amictlDepsFromEnv({}, io(true).io).color).toBe(true);
    expect(amictlDepsFromEnv({ NO_COLOR: '1' }, io(true).io).color).toBe(false);
    expect(amictlDepsFromEnv({}, io(false).io).color).toBe(false);
  });

  it('colours states and verdicts in a table only with color, and JSON never', async () => {
    const world = await createWorld(['golden-al2023']);
    await addImage(world, {
      family: 'golden-al2023',
      version: '1.0.0',
      n: 1,
      state: 'rejected',
      verdict: 'fail',
      createdAt: '2026-02-01T08:00:00.000Z',
    });

    world.deps.color = true;
    expect(await world.run('images', 'list')).toBe(0);
    expect(world.out[1]).toBe(
      'golden-al2023  1.0.0    \u001b[31mrejected\u001b[39m  \u001b[31mfail\u001b[39m     no          -         2026-02-01T08:00Z  eu-west-1=ami-0a000000000000001',
    );
    world.out.length = 0;
    expect(await world.run('image', 'show', 'golden-al2023', '1.0.0')).toBe(0);
    expect(world.out[0]).toContain('\u001b[31mrejected\u001b[39m since');
    world.out.length = 0;
    expect(await world.run('images', 'list', '--json')).toBe(0);
    expect(world.out.join('')).not.toContain('\u001b[');

    world.deps.color = false;
    world.out.length = 0;
    expect(await world.run('images', 'list')).toBe(0);
    expect(world.out[1]).toBe(
      'golden-al2023  1.0.0    rejected  fail     no          -         2026-02-01T08:00Z  eu-west-1=ami-0a000000000000001',
    );
  });
});

describe("main.ts's wiring", () => {
  it('uses AWS_ENDPOINT_URL and AWS_REGION for every client, and names them', () => {
    const deps = amictlDepsFromEnv(
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_DEFAULT_REGION: 'eu-central-1' },
      io(false).io,
    );
    expect(deps.endpoint).toBe('http://127.0.0.1:4566');
    expect(deps.region).toBe('eu-central-1');
    expect(amictlDepsFromEnv({}, io(false).io)).toMatchObject({ endpoint: undefined, region: 'eu-west-1' });
  });

  it('finds the build state machine by BUILD_STATE_MACHINE_ARN, else by the stage of the catalog table', () => {
    expect(
      buildStateMachineFromEnv({ BUILD_STATE_MACHINE_ARN: 'arn:aws:states:x' }, 'ami-lifecycle-prod'),
    ).toEqual({
      arn: 'arn:aws:states:x',
    });
    expect(buildStateMachineFromEnv({}, 'ami-lifecycle-prod')).toEqual({ name: 'ami-lifecycle-prod-build' });
    expect(buildStateMachineFromEnv({}, 'catalog')).toBeUndefined();
  });

  it('is exit 3 against a closed port, naming the endpoint and the region it used', async () => {
    // A port that was free a moment ago and that nothing listens on now.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const run = io(false);
    const deps = amictlDepsFromEnv(
      {
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      },
      run.io,
    );

    expect(await runAmictl(['images', 'list', '--family', 'golden-al2023'], deps)).toBe(3);

    expect(run.out).toEqual([]);
    expect(run.err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^amictl: could not reach ${endpoint} \\(AWS_ENDPOINT_URL\\) in eu-west-1: .*ECONNREFUSED`,
        ),
      ),
      `amictl: check that the local cloud is up at ${endpoint} (npm run local-cloud prints its endpoint) and AWS_REGION (eu-west-1); unset AWS_ENDPOINT_URL for AWS`,
    ]);
  }, 30_000);
});

describe('the build state machine history, as build --wait tells it', () => {
  const at = (s: number) => new Date(Date.parse('2026-03-01T10:00:00.000Z') + s * 1000);
  const exited = (id: number, s: number, name: string, output: object): HistoryEvent => ({
    id,
    timestamp: at(s),
    type: 'TaskStateExited',
    stateExitedEventDetails: { name, output: JSON.stringify(output) },
  });
  const build = { family: 'golden-al2023', version: '1.0.0', instanceId: 'i-0abc', stepCount: 2 };

  it('names the builder, each component and how it ended, and the reason FailBuild recorded', () => {
    const view = describeBuildHistory('FAILED', [
      { id: 1, timestamp: at(0), type: 'ExecutionStarted' },
      exited(2, 1, 'StartBuild', { build: { ...build, outcome: 'started' } }),
      exited(3, 36, 'CheckBuilder', { build: { ...build, builderState: 'pending' } }),
      exited(4, 71, 'CheckBuilder', { build: { ...build, builderState: 'running' } }),
      exited(5, 72, 'RunComponent', {
        build: { ...build, stepIndex: 0, stepName: 'os-update', commandId: 'c-1' },
      }),
      exited(6, 102, 'PollComponent', {
        build: { ...build, stepIndex: 1, stepName: 'os-update', stepStatus: 'succeeded' },
      }),
      exited(7, 103, 'RunComponent', {
        build: { ...build, stepIndex: 1, stepName: 'agent', commandId: 'c-2' },
      }),
      exited(8, 133, 'PollComponent', {
        build: {
          ...build,
          stepIndex: 1,
          stepName: 'agent',
          stepStatus: 'failed',
          reason: 'component agent failed (exit code 1): no',
        },
      }),
      exited(9, 134, 'FailBuild', {
        failure: {
          outcome: 'failed',
          reason: 'run-components: ComponentFailedError: component agent failed (exit code 1): no',
        },
      }),
      {
        id: 10,
        timestamp: at(135),
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: 'BuildFailed', cause: 'the build failed' },
      },
    ]);
    expect(view.status).toBe('FAILED');
    expect(view.duplicateOf).toBeUndefined();
    expect(view.failure).toBe(
      'run-components: ComponentFailedError: component agent failed (exit code 1): no',
    );
    expect(view.steps).toEqual([
      { at: '2026-03-01T10:00:00.000Z', text: 'the build service started the build' },
      {
        at: '2026-03-01T10:00:01.000Z',
        text: 'builder i-0abc launched for golden-al2023 1.0.0 (2 components to run)',
      },
      { at: '2026-03-01T10:01:11.000Z', text: 'builder i-0abc running' },
      {
        at: '2026-03-01T10:01:12.000Z',
        text: 'component os-update (1 of 2) sent to the builder, SSM command c-1',
      },
      { at: '2026-03-01T10:01:42.000Z', text: 'component os-update succeeded' },
      {
        at: '2026-03-01T10:01:43.000Z',
        text: 'component agent (2 of 2) sent to the builder, SSM command c-2',
      },
      {
        at: '2026-03-01T10:02:13.000Z',
        text: 'component agent failed: component agent failed (exit code 1): no',
      },
    ]);
  });

  it("takes the execution's own error when no FailBuild reason was recorded, and names a duplicate", () => {
    expect(
      describeBuildHistory('FAILED', [
        {
          id: 1,
          timestamp: at(0),
          type: 'ExecutionFailed',
          executionFailedEventDetails: { error: 'States.Runtime', cause: 'bad path' },
        },
      ]).failure,
    ).toBe('States.Runtime: bad path');
    const duplicate = describeBuildHistory('SUCCEEDED', [
      exited(1, 1, 'StartBuild', {
        build: { outcome: 'duplicate', family: 'golden-al2023', version: '0.9.0', state: 'published' },
      }),
    ]);
    expect(duplicate.duplicateOf).toEqual({ family: 'golden-al2023', version: '0.9.0' });
    expect(duplicate.steps.map((s) => s.text)).toEqual([
      "nothing new to build: golden-al2023 0.9.0 (published) is this request's build, or has the same inputs",
    ]);
  });
});
