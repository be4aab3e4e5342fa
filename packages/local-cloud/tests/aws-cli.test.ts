import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import { compilePattern, matches } from '../src/services/events';

/**
 * The AWS CLI against `npm run local-cloud`, as a person would use them: the real script in its own
 * process, found by the endpoint it prints, stopped with Ctrl-C. The CLI must be installed (CI installs
 * it): without it this fails, it does not skip.
 */

const ROOT = join(__dirname, '..', '..', '..');
const REGION = 'eu-west-1';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const COMMAND_TIMEOUT_MS = 30_000;

const awsCliVersion = (): string | undefined => {
  const probe = spawnSync('aws', ['--version'], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  if (probe.error || probe.status !== 0) return undefined;
  return `${probe.stdout}${probe.stderr}`.trim();
};

const withoutProfile = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { AWS_PROFILE: _profile, AWS_DEFAULT_PROFILE: _defaultProfile, ...rest } = env;
  return rest;
};

/** Whether any process of the group still runs (signal 0 only checks). */
const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves with the process's output once `pattern` shows up in it; fails on exit or after the bound. */
const waitForOutput = (child: ChildProcess, pattern: RegExp, timeoutMs: number, output: () => string) =>
  new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${output()}`));
    }, timeoutMs);
    const check = () => {
      const m = pattern.exec(output());
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`npm run local-cloud exited (${code}) before it was ready:\n${output()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', check);
    child.once('exit', onExit);
    check();
  });

// Each `aws` call starts a Python interpreter (about a second here).
jest.setTimeout(60_000);

describe('the AWS CLI against npm run local-cloud', () => {
  let cloud: ChildProcess | undefined;
  let output = '';
  let endpoint = '';
  let javaPid = 0;
  let exited: Promise<unknown>;

  const aws = (...args: string[]) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      execFile(
        'aws',
        ['--endpoint-url', endpoint, '--region', REGION, '--output', 'json', ...args],
        {
          timeout: COMMAND_TIMEOUT_MS,
          env: {
            ...withoutProfile(process.env),
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            AWS_DEFAULT_REGION: REGION,
            // Keep a developer's own profiles and settings out of the test.
            AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
            AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
            AWS_PAGER: '',
          },
        },
        (error, stdout, stderr) => {
          if (error) return reject(new Error(`aws ${args.join(' ')} failed: ${error.message}\n${stderr}`));
          resolve(stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>));
        },
      );
    });

  beforeAll(async () => {
    if (awsCliVersion() === undefined) return;
    // Its own process group, so Ctrl-C can be sent the way a terminal sends it: to every process of it.
    cloud = spawn('npm', ['run', 'local-cloud', '--', '--port', '0'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    exited = new Promise((resolve) => cloud?.once('exit', resolve));
    cloud.stdout?.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    cloud.stderr?.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    const ready = await waitForOutput(
      cloud,
      /^export AWS_ENDPOINT_URL=(\S+)$[\s\S]*Ctrl-C stops it/m,
      START_TIMEOUT_MS,
      () => output,
    );
    endpoint = ready[1]!;
    javaPid = Number(/DynamoDB Local \S+ pid (\d+)/.exec(output)?.[1]);
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    // Whatever happened in the tests, nothing of the cloud may outlive the suite.
    if (cloud?.pid !== undefined && cloud.exitCode === null && cloud.signalCode === null) {
      process.kill(-cloud.pid, 'SIGKILL');
      await exited;
    }
    if (javaPid > 0 && isRunning(javaPid)) process.kill(javaPid, 'SIGKILL');
  });

  it('finds the AWS CLI installed', () => {
    if (awsCliVersion() === undefined) {
      throw new Error(
        'The AWS CLI (`aws`) is not installed or does not run. Install it (`apt-get install -y awscli` or ' +
          '`pip install awscli`); CI installs it, and this interop test fails rather than skips without it.',
      );
    }
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('runs the printed shell lines as printed, with every AWS CLI installed here and no AWS_ENDPOINT_URL', async () => {
    const lines = output.split('\n');
    const from = lines.findIndex((l) => l.startsWith('# Any AWS CLI'));
    const block = lines.slice(from + 1, lines.indexOf('', from));
    const alias = block[0]!;
    const commands = block.slice(1);
    expect(alias).toBe(`alias awslocal='aws --endpoint-url ${endpoint}'`);
    expect(commands.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'awslocal sts get-caller-identity',
      'awslocal ec2 describe-images',
      'awslocal ssm get-parameter',
      'awslocal dynamodb list-tables',
      `curl -s ${endpoint}/_local/health`,
    ]);
    // The printed exports, minus every AWS_ENDPOINT_URL*: the alias alone must point the CLI at the cloud,
    // as it must for the CLI versions that read none of them.
    const exported = Object.fromEntries(
      lines
        .map((l) => /^export (AWS_[A-Z0-9_]+)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null && !m[1]!.startsWith('AWS_ENDPOINT_URL'))
        .map((m) => [m[1]!, m[2]!]),
    );
    expect(Object.keys(exported).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_DEFAULT_REGION',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    const base = Object.fromEntries(
      Object.entries(withoutProfile(process.env)).filter(([k]) => !k.startsWith('AWS_')),
    ) as NodeJS.ProcessEnv;
    // The CLI `aws` names on PATH, and Debian's package (2.9 on Debian 12) when it is installed.
    const paths = [process.env.PATH ?? '', ...(existsSync('/usr/bin/aws') ? ['/usr/bin:/bin'] : [])];
    const seen = new Set<string>();
    for (const path of paths) {
      const env = {
        ...base,
        ...exported,
        PATH: path,
        AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
      };
      const version = spawnSync('aws', ['--version'], { env, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
      const cli = `${version.stdout}${version.stderr}`.trim().split(' ')[0]!;
      if (seen.has(cli)) continue;
      seen.add(cli);
      const run = (command: string) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(
            'bash',
            ['-O', 'expand_aliases', '-c', `${alias}\n${command}`],
            { env, timeout: COMMAND_TIMEOUT_MS },
            (error, stdout, stderr) =>
              resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
          );
        });
      const [identity, images, parameter, tables, health] = [
        await run(commands[0]!),
        await run(commands[1]!),
        await run(commands[2]!),
        await run(commands[3]!),
        await run(commands[4]!),
      ];
      const al2023 = publicImageId(
        REGION,
        PUBLIC_IMAGES.find((i) => i.ssmParameter?.includes('al2023'))!.name,
      );
      expect([cli, identity.code, identity.stderr]).toEqual([cli, 0, '']);
      expect(JSON.parse(identity.stdout)).toMatchObject({ Account: '111111111111' });
      expect([cli, images.code]).toEqual([cli, 0]);
      expect(images.stdout).toContain(`${al2023}\t`);
      expect([cli, parameter.code, parameter.stdout.trim()]).toEqual([cli, 0, al2023]);
      expect([cli, tables.code]).toEqual([cli, 0]);
      expect(JSON.parse(tables.stdout)).toEqual({ TableNames: ['ami-lifecycle-local'] });
      expect(JSON.parse(health.stdout)).toMatchObject({ status: 'ready', deployment: { stage: 'local' } });
    }
    expect(seen.size).toBeGreaterThan(0);
  });

  it('gets the caller identity of the default account', async () => {
    await expect(aws('sts', 'get-caller-identity')).resolves.toMatchObject({
      Account: '111111111111',
      Arn: 'arn:aws:iam::111111111111:root',
    });
  });

  it('lists the tables of DynamoDB Local through the same endpoint, the deployed catalog among them', async () => {
    await expect(aws('dynamodb', 'list-tables')).resolves.toEqual({ TableNames: ['ami-lifecycle-local'] });
  });

  it('puts events on the deployed bus and answers test-event-pattern as the local matcher does', async () => {
    const put = (await aws(
      'events',
      'put-events',
      '--entries',
      JSON.stringify([
        {
          Source: 'ami-lifecycle',
          DetailType: 'Build Requested',
          Detail: '{"family":"golden-al2023"}',
          EventBusName: 'ami-lifecycle-local',
        },
        {
          Source: 'ami-lifecycle',
          DetailType: 'Build Requested',
          Detail: 'not json',
          EventBusName: 'ami-lifecycle-local',
        },
      ]),
    )) as { FailedEntryCount: number; Entries: { EventId?: string; ErrorCode?: string }[] };
    expect(put.FailedEntryCount).toBe(1);
    expect(put.Entries[0]!.EventId).toEqual(expect.any(String));
    expect(put.Entries[1]!.ErrorCode).toBe('MalformedDetail');

    const event = JSON.stringify({
      id: '1',
      'detail-type': 'EC2 AMI State Change',
      source: 'aws.ec2',
      account: '111111111111',
      time: '2026-03-01T00:00:00Z',
      region: REGION,
      resources: [],
      detail: { State: 'available', ImageId: 'ami-0123456789abcdef0' },
    });
    const cases: [object, boolean][] = [
      [{ source: ['aws.ec2'], detail: { State: ['available'] } }, true],
      [{ detail: { State: [{ 'anything-but': ['available'] }] } }, false],
      [{ detail: { ImageId: [{ prefix: 'ami-0123' }] } }, true],
      [
        {
          $or: [{ source: ['nope'] }, { 'detail-type': [{ 'equals-ignore-case': 'ec2 ami state change' }] }],
        },
        true,
      ],
    ];
    for (const [pattern, expected] of cases) {
      const answer = (await aws(
        'events',
        'test-event-pattern',
        '--event-pattern',
        JSON.stringify(pattern),
        '--event',
        event,
      )) as {
        Result: boolean;
      };
      expect([pattern, answer.Result]).toEqual([pattern, expected]);
      // The edge and the in-process matcher are one module; the CLI sees exactly its answer.
      expect(matches(compilePattern(pattern), JSON.parse(event))).toBe(answer.Result);
    }
  });

  it('creates, lists, starts and describes a state machine execution', async () => {
    const created = (await aws(
      'stepfunctions',
      'create-state-machine',
      '--name',
      'cli-pass',
      '--role-arn',
      'arn:aws:iam::111111111111:role/cli',
      '--definition',
      JSON.stringify({
        StartAt: 'Hello',
        States: { Hello: { Type: 'Pass', Result: { hello: 'cli' }, End: true } },
      }),
    )) as { stateMachineArn: string };
    const listed = (await aws('stepfunctions', 'list-state-machines')) as {
      stateMachines: { name: string }[];
    };
    expect(listed.stateMachines.map((m) => m.name)).toContain('cli-pass');
    const started = (await aws(
      'stepfunctions',
      'start-execution',
      '--state-machine-arn',
      created.stateMachineArn,
      '--name',
      'first',
      '--input',
      '{}',
    )) as { executionArn: string };
    let described: { status: string; output?: string } = { status: 'RUNNING' };
    for (let i = 0; i < 20 && described.status === 'RUNNING'; i++) {
      await fetch(`${endpoint}/_local/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"advanceSeconds":1}',
      });
      described = (await aws(
        'stepfunctions',
        'describe-execution',
        '--execution-arn',
        started.executionArn,
      )) as typeof described;
    }
    expect(described).toMatchObject({ status: 'SUCCEEDED', output: '{"hello":"cli"}' });
  });

  it('puts and gets an SSM parameter', async () => {
    await aws(
      'ssm',
      'put-parameter',
      '--name',
      '/ami-lifecycle/cli/latest',
      '--type',
      'String',
      '--value',
      'v1',
    );

    await expect(aws('ssm', 'get-parameter', '--name', '/ami-lifecycle/cli/latest')).resolves.toMatchObject({
      Parameter: { Name: '/ami-lifecycle/cli/latest', Value: 'v1', Type: 'String', Version: 1 },
    });
  });

  it('runs an instance from a public image, creates an image of it and describes that image', async () => {
    const source = PUBLIC_IMAGES.find((i) => i.architecture === 'x86_64' && i.ownerAlias === 'amazon')!;

    const run = (await aws(
      'ec2',
      'run-instances',
      '--image-id',
      publicImageId(REGION, source.name),
      '--instance-type',
      't3.micro',
      '--count',
      '1',
    )) as { Instances: { InstanceId: string; ImageId: string }[] };
    const instanceId = run.Instances[0]!.InstanceId;
    // The instance boots on the simulated clock: move it past the boot, as a user would with the control API.
    const advanced = await fetch(`${endpoint}/_local/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 120 }),
    });
    expect(advanced.status).toBe(200);
    const created = (await aws(
      'ec2',
      'create-image',
      '--instance-id',
      instanceId,
      '--name',
      'golden-al2023-2026.03.01.1',
    )) as { ImageId: string };
    const described = (await aws('ec2', 'describe-images', '--image-ids', created.ImageId)) as {
      Images: { ImageId: string; Name: string; State: string }[];
    };

    expect(instanceId).toMatch(/^i-[0-9a-f]+$/);
    expect(created.ImageId).toMatch(/^ami-[0-9a-f]+$/);
    expect(described.Images).toEqual([
      expect.objectContaining({
        ImageId: created.ImageId,
        Name: 'golden-al2023-2026.03.01.1',
        State: expect.stringMatching(/^(pending|available)$/),
      }),
    ]);
  });

  it(
    'stops on Ctrl-C, and takes DynamoDB Local with it',
    async () => {
      expect(cloud?.pid).toEqual(expect.any(Number));
      expect(javaPid).toBeGreaterThan(0);
      const pgid = cloud!.pid as number;

      process.kill(-pgid, 'SIGINT');
      // npm itself may die of the SIGINT at once; what counts is that the cloud's processes finish stopping.
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (groupAlive(pgid) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));

      expect(groupAlive(pgid)).toBe(false);
      expect(output).toContain('SIGINT: stopping the local cloud');
      expect(output).not.toContain('stop failed');
      expect(isRunning(javaPid)).toBe(false);
    },
    STOP_TIMEOUT_MS + 5_000,
  );
});
