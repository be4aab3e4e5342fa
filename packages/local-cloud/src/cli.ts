import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT, type LocalCloud, startLocalCloud } from './cloud';

export const USAGE = `usage: npm run local-cloud -- [--port N] [--speed F] [--no-dynamodb] [--no-deploy]

  --port N       port of the endpoint (default ${DEFAULT_PORT}; 0 picks a free one)
  --speed F      simulated seconds per real second (default 1; 0 stops the clock between
                 POST /_local/clock advances)
  --no-dynamodb  do not start DynamoDB Local (it needs Java 17+)
  --no-deploy    start an empty cloud instead of deploying the project's serverless.yml
  --help         print this`;

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
  return {
    port,
    speed,
    dynamodb: values['no-dynamodb'] !== true,
    deploy: values['no-deploy'] !== true,
    help: values.help === true,
  };
};

/** What the CLI prints once the cloud is up: where it is, and the environment to point clients at it. */
export const readyMessage = (cloud: LocalCloud): string => {
  const services = Object.keys(cloud.env)
    .filter((k) => k.startsWith('AWS_ENDPOINT_URL_'))
    .map((k) => k.slice('AWS_ENDPOINT_URL_'.length).toLowerCase());
  const dynamo = cloud.dynamodb
    ? `; DynamoDB Local ${cloud.dynamodb.endpoint} pid ${cloud.dynamodb.pid}`
    : '';
  return [
    `local cloud ready on ${cloud.endpoint} (${services.join(', ')}${dynamo})`,
    `clock ${cloud.clock.now().toISOString()} at speed ${cloud.clock.getSpeed()}; control API ${cloud.endpoint}/_local/health`,
    ...(cloud.deployment
      ? [
          `deployed serverless.yml: tables [${cloud.deployment.tables.join(', ')}], buses [${cloud.deployment.buses.join(', ')}], ` +
            `${cloud.deployment.functions.length} functions, ${cloud.deployment.stateMachines.length} state machines, ` +
            `${cloud.deployment.rules.length} rules and schedules` +
            (cloud.deployment.skipped.length ? `; not emulated: ${cloud.deployment.skipped.join(', ')}` : ''),
        ]
      : []),
    '',
    '# point AWS SDKs and the AWS CLI at it:',
    ...Object.entries(cloud.env).map(([k, v]) => `export ${k}=${v}`),
    '',
    'Ctrl-C stops it.',
  ].join('\n');
};

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
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      port: args.port,
      speed: args.speed,
      dynamodb: args.dynamodb,
      ...(args.deploy ? { deploy: { serverlessFile: PROJECT_SERVERLESS } } : {}),
    });
  } catch (error) {
    process.stderr.write(`local-cloud: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${readyMessage(cloud)}\n`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // A second Ctrl-C means "now": leave without waiting for Java (its exit hook still kills it).
    if (stopping) process.exit(130);
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local cloud\n`);
    cloud.stop().then(
      () => process.exit(0),
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
