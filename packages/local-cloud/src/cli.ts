import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT, type LocalCloud, startLocalCloud } from './cloud';
import { StateDirInUseError, StateFileError } from './persistence/state-dir';

export const USAGE = `usage: npm run local-cloud -- [--port N] [--speed F] [--no-dynamodb] [--no-deploy] [--state-dir DIR]

  --port N         port of the endpoint (default ${DEFAULT_PORT}; 0 picks a free one)
  --speed F        simulated seconds per real second (default 1; 0 stops the clock between
                   POST /_local/clock advances)
  --no-dynamodb    do not start DynamoDB Local (it needs Java 17+)
  --no-deploy      start an empty cloud instead of deploying the project's serverless.yml
  --state-dir DIR  keep the cloud's state in DIR across restarts (saved every few seconds and on
                   Ctrl-C; the next start with DIR continues from it, the clock included)
  --help           print this

exit codes: 0 stopped, 1 could not start or stop, 2 bad usage or a state directory it cannot use`;

export class CliUsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliUsageError';
  }
}

export interface CliArgs {
  port: number;
  speed: number;
  dynamodb: boolean;
  deploy: boolean;
  /** Where the state is kept across restarts; undefined: the state lives and dies with the process. */
  stateDir?: string | undefined;
  help: boolean;
}

/** The project's serverless.yml: what `npm run local-cloud` deploys. */
export const PROJECT_SERVERLESS = join(__dirname, '..', '..', '..', 'serverless.yml');

/** Parses and checks the flags; every mistake is a `CliUsageError` naming the flag and the bad value. */
export const parseCliArgs = (argv: readonly string[]): CliArgs => {
  let values: {
    port?: string;
    speed?: string;
    'no-dynamodb'?: boolean;
    'no-deploy'?: boolean;
    'state-dir'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        speed: { type: 'string' },
        'no-dynamodb': { type: 'boolean' },
        'no-deploy': { type: 'boolean' },
        'state-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message, { cause: error });
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (values.port !== undefined && (!/^\d+$/.test(values.port) || port > 65_535)) {
    throw new CliUsageError(`--port must be a whole number from 0 to 65535, got "${values.port}"`);
  }
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (values.speed !== undefined && (values.speed.trim() === '' || !Number.isFinite(speed) || speed < 0)) {
    throw new CliUsageError(`--speed must be a number of at least 0, got "${values.speed}"`);
  }
  if (values['state-dir'] !== undefined && values['state-dir'].trim() === '') {
    throw new CliUsageError('--state-dir needs a directory');
  }
  return {
    port,
    speed,
    dynamodb: values['no-dynamodb'] !== true,
    deploy: values['no-deploy'] !== true,
    stateDir: values['state-dir'],
    help: values.help === true,
  };
};

/** An image parameter every region has: what the printed example reads. */
const EXAMPLE_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/**
 * Shell lines that use the cloud from a terminal with any AWS CLI. The environment variables serve the
 * SDKs and the AWS CLI versions that read `AWS_ENDPOINT_URL` (2.13 and later); older ones, such as
 * Debian 12's 2.9, do not read it (nor `endpoint_url` in a profile), so the `awslocal` alias passes
 * `--endpoint-url` on every call. The commands after the alias are examples that work on a fresh cloud.
 */
export const shellSnippet = (cloud: Pick<LocalCloud, 'endpoint' | 'env' | 'dynamodb'>): string[] => [
  '# AWS SDKs, and the AWS CLI 2.13 and later, read these:',
  ...Object.entries(cloud.env).map(([k, v]) => `export ${k}=${v}`),
  '# Any AWS CLI (Debian 12 has 2.9, which reads no AWS_ENDPOINT_URL) with the endpoint given on each call:',
  `alias awslocal='aws --endpoint-url ${cloud.endpoint}'`,
  'awslocal sts get-caller-identity',
  "awslocal ec2 describe-images --owners amazon --query 'Images[].[ImageId,Name]' --output text",
  `awslocal ssm get-parameter --name ${EXAMPLE_PARAMETER} --query Parameter.Value --output text`,
  ...(cloud.dynamodb ? ['awslocal dynamodb list-tables'] : []),
  `curl -s ${cloud.endpoint}/_local/health`,
];

/** What the CLI prints once the cloud is up: where it is, and the environment to point clients at it. */
export const readyMessage = (cloud: LocalCloud): string => {
  const services = Object.keys(cloud.env)
    .filter((k) => k.startsWith('AWS_ENDPOINT_URL_'))
    .map((k) => k.slice('AWS_ENDPOINT_URL_'.length).toLowerCase());
  const dynamo = cloud.dynamodb
    ? `; DynamoDB Local ${cloud.dynamodb.endpoint} pid ${cloud.dynamodb.pid}`
    : '';
  const summary = cloud.deploymentSummary;
  return [
    `local cloud ready on ${cloud.endpoint} (${services.join(', ')}${dynamo})`,
    `clock ${cloud.clock.now().toISOString()} at speed ${cloud.clock.getSpeed()}; control API ${cloud.endpoint}/_local/health`,
    ...(cloud.deployment && summary
      ? [
          `deployed serverless.yml (stage ${summary.stage}): tables [${cloud.deployment.tables.join(', ')}], buses [${cloud.deployment.buses.join(', ')}], ` +
            `${summary.functions} functions, ${summary.stateMachines} state machines, ` +
            `${summary.rules} rules and schedules` +
            (cloud.deployment.skipped.length ? `; not emulated: ${cloud.deployment.skipped.join(', ')}` : ''),
        ]
      : []),
    ...(cloud.state
      ? [
          cloud.state.restoredFrom
            ? `state kept in ${cloud.state.dir}: continued from its save of ${cloud.state.restoredFrom} (real time)`
            : `state kept in ${cloud.state.dir} (new): saved every few seconds and when it stops`,
        ]
      : []),
    '',
    ...shellSnippet(cloud),
    '',
    'Ctrl-C stops it.',
  ].join('\n');
};

/** Signals this close to the first are the same stop request (see `shutdown`). */
const REPEATED_SIGNAL_MS = 1_000;

/** How long a cloud whose start failed keeps answering `GET /_local/health` with the error. */
export const FAILED_HEALTH_LINGER_MS = 10_000;

const main = async (): Promise<void> => {
  let args: CliArgs;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(`local-cloud: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // Ctrl-C while starting leaves at once (DynamoDB Local goes with this process; nothing is saved), or,
  // once the start has failed, ends the time the failure is reported on the health check.
  let failed = false;
  let endLinger: (() => void) | undefined;
  const lingerEnded = new Promise<void>((resolve) => {
    endLinger = resolve;
  });
  const onSignalWhileStarting = () => {
    if (failed) endLinger?.();
    else process.exit(130);
  };
  process.on('SIGINT', onSignalWhileStarting);
  process.on('SIGTERM', onSignalWhileStarting);
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      port: args.port,
      speed: args.speed,
      dynamodb: args.dynamodb,
      ...(args.deploy ? { deploy: { serverlessFile: PROJECT_SERVERLESS } } : {}),
      ...(args.stateDir !== undefined ? { stateDir: args.stateDir } : {}),
      hooks: {
        onListening: (endpoint) => {
          process.stdout.write(
            `local cloud starting on ${endpoint}: GET ${endpoint}/_local/health answers 503 until it is ready\n`,
          );
        },
        // A script polling the health check learns that the start failed, rather than finding no one.
        lingerOnFailure: (error) => {
          failed = true;
          process.stderr.write(
            `local-cloud: could not start: ${(error as Error).message}\n` +
              `(GET /_local/health answers "failed" for ${FAILED_HEALTH_LINGER_MS / 1000} s; Ctrl-C ends it now)\n`,
          );
          return Promise.race([
            lingerEnded,
            new Promise<void>((resolve) => setTimeout(resolve, FAILED_HEALTH_LINGER_MS).unref()),
          ]);
        },
      },
    });
  } catch (error) {
    if (error instanceof StateFileError || error instanceof StateDirInUseError) {
      process.stderr.write(
        `local-cloud: ${error.message}\nnothing was started, and nothing in the state directory changed\n`,
      );
      process.exit(2);
    }
    process.stderr.write(`local-cloud: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.off('SIGINT', onSignalWhileStarting);
  process.off('SIGTERM', onSignalWhileStarting);
  process.stdout.write(`${readyMessage(cloud)}\n`);

  let stoppingSince: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C can arrive twice: the terminal signals the whole process group, and tsx, in it, relays
      // the signal to this process again when it did not see it arrive. Only a later one is a second press.
      if (Date.now() - stoppingSince < REPEATED_SIGNAL_MS) return;
      // A second Ctrl-C means "now": leave without saving or waiting for Java (its exit hook still kills it).
      process.exit(130);
    }
    stoppingSince = Date.now();
    process.stdout.write(`\n${signal}: stopping the local cloud\n`);
    cloud.stop().then(
      () => {
        if (cloud.state) process.stdout.write(`state saved in ${cloud.state.dir}\n`);
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`local-cloud: stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
};

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`local-cloud: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
