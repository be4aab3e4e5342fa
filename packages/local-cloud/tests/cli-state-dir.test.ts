import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/**
 * `npm run local-cloud -- --state-dir DIR` as a person runs it: the project's serverless.yml deployed, a
 * few things made, stopped with SIGTERM, started again on the same directory (serverless.yml deployed
 * again over what was kept), stopped with Ctrl-C.
 */

const ROOT = join(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

interface Run {
  child: ChildProcess;
  output: () => string;
  /** Once no process of the run holds its output open any more: everything it printed has been read. */
  closed: Promise<void>;
}

const launch = (dir: string): Run => {
  // Its own process group, so a stop reaches every process of it, as a terminal's Ctrl-C does.
  const child = spawn(
    'npm',
    ['run', 'local-cloud', '--', '--port', '0', '--speed', '0', '--state-dir', dir],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  const closed = Promise.all(
    [child.stdout, child.stderr].map(
      (s) => new Promise<void>((resolve) => s?.once('close', () => resolve())),
    ),
  ).then(() => undefined);
  return { child, output: () => output, closed };
};

/** Resolves with the endpoint once the cloud says it is ready; fails on exit or after the bound. */
const ready = (run: Run): Promise<string> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not ready within ${START_TIMEOUT_MS} ms:\n${run.output()}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      const m = /^local cloud ready on (\S+) [\s\S]*Ctrl-C stops it/m.exec(run.output());
      if (m) {
        cleanup();
        resolve(m[1]!);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`exited (${code}) before it was ready:\n${run.output()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      run.child.stdout?.off('data', check);
      run.child.off('exit', onExit);
    };
    run.child.stdout?.on('data', check);
    run.child.once('exit', onExit);
    check();
  });

/** Whether any process of the group still runs (signal 0 only checks). */
const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Sends `signal` to the group, as a terminal does, and waits (bounded) until none of its processes runs.
 * npm itself may die of the signal at once; what counts is what the cloud's process did and printed.
 */
const stop = async (run: Run, signal: NodeJS.Signals): Promise<void> => {
  const pgid = run.child.pid!;
  process.kill(-pgid, signal);
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (groupAlive(pgid))
    throw new Error(`still running ${STOP_TIMEOUT_MS} ms after ${signal}:\n${run.output()}`);
};

const health = async (endpoint: string) =>
  (await (await fetch(`${endpoint}/_local/health`)).json()) as {
    status: string;
    deployment: { rules: number; functions: number; stateMachines: number };
    state: { dir: string; restoredFrom: string | null };
  };

/** Every rule on the deployed buses, with its targets' ids. */
const rulesAndTargets = async (endpoint: string): Promise<Record<string, string[]>> => {
  const events = new EventBridgeClient({ endpoint, region: 'eu-west-1', credentials });
  try {
    const out: Record<string, string[]> = {};
    for (const bus of ['default', 'ami-lifecycle-local']) {
      for (const rule of (await events.send(new ListRulesCommand({ EventBusName: bus }))).Rules ?? []) {
        const targets = await events.send(
          new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: bus }),
        );
        out[`${bus}/${rule.Name}`] = (targets.Targets ?? []).map((t) => t.Id!);
      }
    }
    return out;
  } finally {
    events.destroy();
  }
};

describe('npm run local-cloud -- --state-dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-cloud-cli-state-'));
  const runs: Run[] = [];
  afterAll(() => {
    // Whatever happened, nothing of a cloud may outlive the suite.
    for (const run of runs) {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        try {
          process.kill(-run.child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'keeps what was made across SIGTERM and a new start, and deploys serverless.yml again without duplicates',
    async () => {
      const first = launch(dir);
      runs.push(first);
      const endpoint = await ready(first);
      expect(first.output()).toContain(`state kept in ${dir} (new)`);
      const ssm = new SSMClient({ endpoint, region: 'eu-west-1', credentials });
      await ssm.send(new PutParameterCommand({ Name: '/kept/by-the-cli', Value: 'v1', Type: 'String' }));
      ssm.destroy();
      const rules = await rulesAndTargets(endpoint);
      const deployed = (await health(endpoint)).deployment;

      await stop(first, 'SIGTERM');
      expect(first.output()).toContain('SIGTERM: stopping the local cloud');
      expect(first.output()).toContain(`state saved in ${dir}`);
      expect(first.output()).not.toContain('stop failed');
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(['local-cloud.json', 'dynamodb']));

      const second = launch(dir);
      runs.push(second);
      const again = await ready(second);
      expect(second.output()).toContain(`state kept in ${dir}: continued from its save of`);
      const restoredSsm = new SSMClient({ endpoint: again, region: 'eu-west-1', credentials });
      const parameter = await restoredSsm.send(new GetParameterCommand({ Name: '/kept/by-the-cli' }));
      restoredSsm.destroy();
      expect(parameter.Parameter?.Value).toBe('v1');
      expect(await rulesAndTargets(again)).toEqual(rules);
      expect(Object.values(rules).every((ids) => ids.length === 1)).toBe(true);
      const report = await health(again);
      expect(report).toMatchObject({ status: 'ready', deployment: deployed, state: { dir } });
      expect(report.state.restoredFrom).toEqual(expect.any(String));
      // The catalog table came through DynamoDB Local's own files.
      const dynamodb = new DynamoDBClient({ endpoint: again, region: 'eu-west-1', credentials });
      await expect(
        dynamodb.send(new ScanCommand({ TableName: 'ami-lifecycle-local', Limit: 1 })),
      ).resolves.toBeDefined();
      dynamodb.destroy();

      await stop(second, 'SIGINT');
      expect(second.output()).toContain(`state saved in ${dir}`);
      expect(readdirSync(dir)).not.toContain('.lock');
    },
    2 * START_TIMEOUT_MS + 2 * STOP_TIMEOUT_MS,
  );
});
