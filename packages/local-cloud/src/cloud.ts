import { dirname } from 'node:path';
import {
  type DynamoDbLocal,
  DynamoDbLocalStartError,
  FAST_START_JVM_OPTIONS,
  startDynamoDbLocal,
} from '@ami-lifecycle/catalog/local';
import {
  type AccountSpec,
  Accounts,
  DEFAULT_ACCOUNTS,
  DEFAULT_ORGANIZATION,
  type OrganizationSpec,
} from './accounts';
import { createControlApi } from './control';
import { type DeployResult, deployServerless } from './deploy/deploy';
import { loadServerlessModel } from './deploy/serverless-model';
import { EventLog } from './events';
import { FaultInjector, type FaultUpdate } from './faults';
import { LambdaRuntime } from './lambda/runtime';
import { startEdge } from './server';
import { type CloudServices, createServices, type ServiceOptions } from './services';
import { SimClock } from './sim-clock';
import type { CloudContext } from './types';

export const DEFAULT_PORT = 4566;
export const DEFAULT_REGION = 'eu-west-1';
/** Keys the cloud did not issue act in the default account; these are the ones it hands out. */
export const DEFAULT_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export interface LocalCloudOptions {
  /** 4566 by default (the usual local-cloud port); 0 picks a free one. */
  port?: number;
  host?: string;
  /** The first account is the default one, where keys the cloud did not issue act. */
  accounts?: readonly AccountSpec[];
  /** The organisation the accounts belong to; `null` for none. */
  organization?: OrganizationSpec | null;
  /** Where the simulated clock starts; now by default. */
  start?: Date | string | number;
  /** Simulated seconds per real second; 0 (the default) keeps the clock still between advances. */
  speed?: number;
  /** The region handed out in `env` (every region works). */
  region?: string;
  /**
   * `true`: start DynamoDB Local (Java 17+) and proxy `dynamodb`-signed requests to it; an `endpoint`:
   * proxy to a DynamoDB Local already running (a test run's shared one); `false` (default): none.
   */
  dynamodb?: boolean | { endpoint: string };
  /** Seed and initial rules of the fault injector (none by default: nothing is injected). */
  faults?: { seed?: number; rules?: readonly FaultUpdate[] };
  ec2?: ServiceOptions['ec2'];
  inspector2?: ServiceOptions['inspector2'];
  /**
   * Deploy a serverless.yml onto the cloud once it is up: its tables, buses, functions (run in process),
   * state machines, rules and schedules. `root` is where handler paths start (the file's folder by default).
   */
  /**
   * `lambdaTimeouts`: invocations fail when the simulated clock passes their function's timeout (off by
   * default; see `LambdaRuntime.enforceTimeouts`, which a test can also switch while the cloud runs).
   */
  deploy?: { serverlessFile: string; root?: string; stage?: string; lambdaTimeouts?: boolean };
  /** How many events the in-memory log keeps. */
  eventLogLimit?: number;
}

export interface LocalCloud {
  /** `http://<host>:<port>`: one endpoint for every service and for `/_local/*`. */
  endpoint: string;
  region: string;
  clock: SimClock;
  faults: FaultInjector;
  events: EventLog;
  accounts: Accounts;
  services: CloudServices;
  /** The in-process functions of the deployed serverless.yml (none without `deploy`). */
  lambda: LambdaRuntime | undefined;
  /** What `deploy` created; undefined without it. */
  deployment: DeployResult | undefined;
  /** DynamoDB Local behind the edge, when started or given. */
  dynamodb: { endpoint: string; pid: number | undefined } | undefined;
  /** The environment a process needs to use this cloud through standard AWS clients and the AWS CLI. */
  env: Record<string, string>;
  /** SDK client config for the default account: endpoint, region, dummy keys. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** Stops the server, the clock and DynamoDB Local (waiting for Java to exit). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * DynamoDB Local checks only that a request looks signed, so a fixed header is enough for a health probe
 * without pulling an SDK client into the control path.
 */
const probeDynamoDb = async (endpoint: string): Promise<boolean> => {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{"Limit":1}',
      signal: AbortSignal.timeout(1_000),
    });
    return res.ok;
  } catch {
    return false;
  }
};

/**
 * On top of the catalog's fast-start flags: skip bytecode verification of DynamoDB Local's classes (AWS's
 * pinned jar, run on loopback for development), which takes about a fifth off its start here (median 4.5 s
 * to 3.6 s on 2 loaded CPUs). The flag is a diagnostic one that a later JDK may drop, hence the fallback.
 */
export const CLOUD_JVM_OPTIONS = [
  ...FAST_START_JVM_OPTIONS,
  '-XX:+UnlockDiagnosticVMOptions',
  '-XX:-BytecodeVerificationRemote',
];

const startDynamoDb = async (): Promise<DynamoDbLocal> => {
  try {
    return await startDynamoDbLocal({ readyTimeoutMs: 30_000, jvmOptions: CLOUD_JVM_OPTIONS });
  } catch (error) {
    // Only a JVM that refuses the flag earns a second try; anything else (no Java, a hang) would fail again.
    if (!(error instanceof DynamoDbLocalStartError) || !/VM option|Unrecognized/i.test(error.message))
      throw error;
    return startDynamoDbLocal({ readyTimeoutMs: 30_000 });
  }
};

// The SDKs and the AWS CLI read AWS_ENDPOINT_URL_<service id>, which differs from the signing name for some.
const SERVICE_ENV_NAMES: Readonly<Record<string, string>> = { events: 'EVENTBRIDGE', states: 'SFN' };
const serviceEnvName = (signingName: string) =>
  SERVICE_ENV_NAMES[signingName] ?? signingName.toUpperCase().replace(/-/g, '_');

/**
 * Starts the embedded cloud: one edge on `host:port` serving STS, EC2 and SSM on a simulated clock, the
 * control API under `/_local/`, and (optionally) DynamoDB Local behind the same endpoint. Resolves once
 * every part answers.
 */
export const startLocalCloud = async (options: LocalCloudOptions = {}): Promise<LocalCloud> => {
  // Checked before anything starts, so a bad option never leaves a server or a JVM behind.
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be a whole number from 0 to 65535, got ${port}`);
  }
  const speed = options.speed ?? 0;
  if (!Number.isFinite(speed) || speed < 0)
    throw new RangeError(`speed must be a number of at least 0, got ${speed}`);
  const region = options.region ?? DEFAULT_REGION;
  const clock = new SimClock(options.start ?? new Date());
  const accounts = new Accounts(
    options.accounts ?? DEFAULT_ACCOUNTS,
    options.organization === null ? undefined : (options.organization ?? DEFAULT_ORGANIZATION),
  );
  const faults = new FaultInjector(clock, options.faults);
  const events = new EventLog(options.eventLogLimit);
  const ctx: CloudContext = { clock, accounts, faults, events };
  let runtime: LambdaRuntime | undefined;
  const services = createServices(ctx, {
    ec2: options.ec2,
    inspector2: options.inspector2,
    lambda: () => (runtime ? (arn, payload) => runtime!.invoke(arn, payload) : undefined),
    lambdaAsync: () => (runtime ? (arn, payload) => runtime!.invokeAsync(arn, payload) : undefined),
    endpoint: () => endpoint,
  });
  // AWS service events (EC2 AMI State Change, Inspector2 Finding, ...) reach EventBridge's default bus.
  const unsubscribe = events.subscribe((e) => {
    services.events.publish(e);
  });
  // Filled in once DynamoDB Local answers; the edge reads it per request.
  const proxies: Record<string, string> = {};
  let endpoint = '';

  const control = createControlApi({
    clock,
    faults,
    events,
    endpoint: () => endpoint,
    services: () => [...services.all.map((s) => s.signingName), ...Object.keys(proxies)].sort(),
    dynamodb: async () =>
      proxies.dynamodb === undefined
        ? undefined
        : { endpoint: proxies.dynamodb, up: await probeDynamoDb(proxies.dynamodb) },
    eventbridge: () => services.events,
    inspector: () => services.inspector2,
    queues: () => services.sqs.peek(),
    lambdaFailures: () => runtime?.asyncFailures() ?? [],
  });

  // The edge fails fast (a taken port) while Java takes seconds: start both, clean up either on failure.
  const [edgeResult, dynamoResult] = await Promise.allSettled([
    startEdge({
      host: options.host ?? '127.0.0.1',
      port,
      context: ctx,
      services: services.all,
      proxies,
      control,
      beforeOperation: faults.beforeOperation,
      afterOperation: faults.afterOperation,
      onFunctionCall: (fn, action) => runtime?.recordCall(fn, action),
      // A function's calls with the cloud's own keys act as its execution role, as on Lambda; keys it
      // obtained itself (an assumed role in another account) keep their own principal.
      functionPrincipal: (fn, principal) => {
        if (!runtime?.has(fn) || principal.arn !== `arn:aws:iam::${accounts.defaultAccountId}:root`) {
          return principal;
        }
        const roleArn = runtime.roleArnOf(fn);
        const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
        return {
          accountId: accounts.defaultAccountId,
          arn: `arn:aws:sts::${accounts.defaultAccountId}:assumed-role/${roleName}/${fn}`,
          userId: `AROALOCALFUNCTION:${fn}`,
        };
      },
    }),
    options.dynamodb === true ? startDynamoDb() : Promise.resolve<DynamoDbLocal | undefined>(undefined),
  ]);
  if (edgeResult.status === 'rejected' || dynamoResult.status === 'rejected') {
    if (edgeResult.status === 'fulfilled') await edgeResult.value.close();
    if (dynamoResult.status === 'fulfilled') await dynamoResult.value?.stop();
    throw edgeResult.status === 'rejected'
      ? edgeResult.reason
      : (dynamoResult as PromiseRejectedResult).reason;
  }
  const edge = edgeResult.value;
  const dynamoLocal = dynamoResult.value;
  endpoint = edge.endpoint;
  const dynamoEndpoint =
    dynamoLocal?.endpoint ?? (typeof options.dynamodb === 'object' ? options.dynamodb.endpoint : undefined);
  if (dynamoEndpoint !== undefined) proxies.dynamodb = dynamoEndpoint;
  if (speed > 0) clock.setSpeed(speed);

  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    // The AWS CLI v1 reads only AWS_DEFAULT_REGION.
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: DEFAULT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEFAULT_CREDENTIALS.secretAccessKey,
  };
  for (const name of [...services.all.map((s) => s.signingName), ...Object.keys(proxies)]) {
    env[`AWS_ENDPOINT_URL_${serviceEnvName(name)}`] = endpoint;
  }

  let deployment: DeployResult | undefined;
  if (options.deploy) {
    try {
      const model = loadServerlessModel(options.deploy.serverlessFile, {
        stage: options.deploy.stage,
        region,
        accountId: accounts.defaultAccountId,
      });
      runtime = new LambdaRuntime({
        root: options.deploy.root ?? dirname(options.deploy.serverlessFile),
        accountId: accounts.defaultAccountId,
        region,
        clock,
        cloudEnv: env,
        enforceTimeouts: options.deploy.lambdaTimeouts ?? false,
        sendToDestination: (arn, body) => {
          services.sqs.sendToArn(arn, body, {}, 'lambda.amazonaws.com');
        },
      });
      deployment = await deployServerless(
        {
          accountId: accounts.defaultAccountId,
          region,
          services,
          runtime,
          dynamodb:
            dynamoEndpoint === undefined ? undefined : { endpoint, credentials: { ...DEFAULT_CREDENTIALS } },
        },
        model,
      );
    } catch (error) {
      services.sfn.close();
      await edge.close();
      await dynamoLocal?.stop();
      throw error;
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    region,
    clock,
    faults,
    events,
    accounts,
    services,
    lambda: runtime,
    deployment,
    dynamodb: dynamoEndpoint === undefined ? undefined : { endpoint: dynamoEndpoint, pid: dynamoLocal?.pid },
    env,
    clientConfig: { endpoint, region, credentials: { ...DEFAULT_CREDENTIALS } },
    stop: () => {
      stopping ??= (async () => {
        unsubscribe();
        services.sfn.close();
        services.inspector2.scanner.dispose();
        clock.stop();
        // Invocations the stopped executions and deliveries left running finish against a live edge.
        await runtime?.drain();
        await edge.close();
        // Only the DynamoDB Local this cloud started; one passed in by endpoint belongs to its owner.
        await dynamoLocal?.stop();
      })();
      return stopping;
    },
  };
};
