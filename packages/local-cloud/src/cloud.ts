import { dirname, join } from 'node:path';
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
import { type LoadedState, type SavedService, StateDir, StateFileError } from './persistence/state-dir';
import { startEdge } from './server';
import { type CloudServices, createServices, type ServiceOptions } from './services';
import type { SnsService } from './services/sns';
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
  /** Where the simulated clock starts; now by default. A restored state continues from its saved time. */
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
   * `lambdaTimeouts`: invocations fail when the simulated clock passes their function's timeout (off by
   * default; see `LambdaRuntime.enforceTimeouts`, which a test can also switch while the cloud runs).
   */
  deploy?: { serverlessFile: string; root?: string; stage?: string; lambdaTimeouts?: boolean };
  /** How many events the in-memory log keeps. */
  eventLogLimit?: number;
  /**
   * Keep the cloud's state in this directory across restarts (`--state-dir`): the emulators' state as
   * JSON files, DynamoDB Local's tables (with `dynamodb: true`) and the simulated time. What is there is
   * loaded before the cloud starts (a file it cannot use is refused with a `StateFileError` naming it,
   * and nothing starts); the state is written on `stop()`, on `saveState()`, and every
   * `saveIntervalMs` of real time when it changed. One cloud at a time may use a directory.
   */
  stateDir?: string;
  /** Real milliseconds between saves to `stateDir` (5000 by default; 0: only on stop and `saveState()`). */
  saveIntervalMs?: number;
  /** Calls into the start, for callers that report progress (the CLI) and for tests that hold it. */
  hooks?: StartHooks;
}

/** The start's phases, as `GET /_local/health` names what it still waits for. */
export type StartPhase = 'dynamodb' | 'deploy';

export interface StartHooks {
  /**
   * Called once the endpoint listens, and awaited before any phase is marked done: from here until
   * `startLocalCloud` resolves, `GET /_local/health` answers 503 `starting` with what it waits for.
   */
  onListening?: (endpoint: string) => void | Promise<void>;
  /** Awaited after DynamoDB Local answers and before serverless.yml is deployed. */
  beforeDeploy?: () => Promise<void>;
  /**
   * When the start fails after the endpoint listens, health answers 503 `failed` with the error until the
   * promise this returns settles; then everything is stopped and `startLocalCloud` rejects. Without it
   * that happens at once.
   */
  lingerOnFailure?: (error: unknown) => Promise<void>;
}

/** What `serverless.yml` put on the cloud, as `GET /_local/health` reports it. */
export interface DeploymentSummary {
  stage: string;
  tables: string[];
  buses: string[];
  queues: number;
  functions: number;
  stateMachines: number;
  rules: number;
  /** SNS topics. */
  topics: number;
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
  /**
   * SNS, for tests: `messages()` lists what endpoints received (email included), `confirm()` confirms a
   * pending subscription as its recipient would (also `GET /_local/sns/messages`, `POST /_local/sns/confirm`).
   */
  sns: SnsService;
  /** What `deploy` created; undefined without it. */
  deployment: DeployResult | undefined;
  /** The deployed stage and what it holds; undefined without `deploy`. */
  deploymentSummary: DeploymentSummary | undefined;
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
  /**
   * The state directory and what it held at the start: `restoredFrom` is the real time of the save the
   * cloud continued from (undefined when the directory was new). Undefined without `stateDir`.
   */
  state: { dir: string; restoredFrom: string | undefined } | undefined;
  /** Writes the state to `stateDir` now (what changed since the last save). Throws without `stateDir`. */
  saveState(): void;
  /**
   * Stops the server, the clock and DynamoDB Local (waiting for Java to exit), after saving the state to
   * `stateDir`. Safe to call twice.
   */
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

/** Each emulator's `snapshotState`/`restoreState`, by the name its state file carries. */
const persistentServices = (services: CloudServices) =>
  ({
    ec2: services.ec2,
    ssm: services.ssm,
    events: services.events,
    sqs: services.sqs,
    sns: services.sns,
    sfn: services.sfn,
    inspector2: services.inspector2,
  }) satisfies Record<SavedService, { snapshotState(): unknown; restoreState(saved: unknown): void }>;

const snapshotServices = (services: CloudServices): Record<SavedService, unknown> =>
  Object.fromEntries(
    Object.entries(persistentServices(services)).map(([name, service]) => [name, service.snapshotState()]),
  ) as Record<SavedService, unknown>;

const summarize = (stage: string, d: DeployResult): DeploymentSummary => ({
  stage,
  tables: d.tables,
  buses: d.buses,
  queues: d.queues.length,
  functions: d.functions.length,
  stateMachines: d.stateMachines.length,
  rules: d.rules.length,
  topics: d.topics.length,
});

/**
 * Starts the embedded cloud: one edge on `host:port` serving STS, EC2, SSM, EventBridge, Step Functions,
 * Inspector2, SQS and SNS on a simulated clock, the control API under `/_local/`, and (optionally) DynamoDB
 * Local behind the same endpoint and the project's serverless.yml deployed on it.
 *
 * With `stateDir`, the saved state is loaded first (refused before anything starts if a file cannot be
 * used). The endpoint then listens at once, while DynamoDB Local starts and serverless.yml is deployed:
 * `GET /_local/health` answers 503 with what it still waits for until then. The promise resolves once
 * everything is ready, and rejects (with nothing left running) if any part fails.
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
  const saveIntervalMs = options.saveIntervalMs ?? 5_000;
  if (!Number.isFinite(saveIntervalMs) || saveIntervalMs < 0) {
    throw new RangeError(`saveIntervalMs must be a number of at least 0, got ${saveIntervalMs}`);
  }
  const region = options.region ?? DEFAULT_REGION;
  const hooks = options.hooks ?? {};

  // The state directory: taken (locked) and read before anything starts, so a file it cannot use
  // stops the start with nothing started and nothing written.
  const stateDir = options.stateDir === undefined ? undefined : StateDir.open(options.stateDir);
  let saved: LoadedState | undefined;
  try {
    saved = stateDir?.load();
  } catch (error) {
    stateDir?.release();
    throw error;
  }

  const clock = new SimClock(saved?.clock ?? options.start ?? new Date());
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
  if (stateDir && saved) {
    const restorable = persistentServices(services);
    for (const [name, data] of Object.entries(saved.services) as [SavedService, unknown][]) {
      try {
        restorable[name].restoreState(data);
      } catch (error) {
        services.inspector2.scanner.dispose();
        stateDir.release();
        throw new StateFileError(
          stateDir.fileOf(name) ?? join(stateDir.dir, name),
          `cannot be restored: ${(error as Error).message}`,
        );
      }
    }
  }
  // AWS service events (EC2 AMI State Change, Inspector2 Finding, ...) reach EventBridge's default bus.
  // Subscribed after the restore: restoring sends no events.
  const unsubscribe = events.subscribe((e) => {
    services.events.publish(e);
  });
  // Filled in once DynamoDB Local answers; the edge reads it per request.
  const proxies: Record<string, string> = {};
  let endpoint = '';

  const waitingFor = new Set<StartPhase>([
    ...(options.dynamodb === true ? (['dynamodb'] as const) : []),
    ...(options.deploy ? (['deploy'] as const) : []),
  ]);
  let failure: { during: StartPhase | 'start'; message: string } | undefined;
  let ready = false;
  let deploymentSummary: DeploymentSummary | undefined;

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
    startup: () => ({
      phase: failure ? 'failed' : ready ? 'ready' : 'starting',
      waitingFor: [...waitingFor],
      ...(failure ? { error: failure } : {}),
      deployment: deploymentSummary ?? null,
      state: stateDir ? { dir: stateDir.dir, restoredFrom: saved?.savedAt ?? null } : null,
    }),
    eventbridge: () => services.events,
    inspector: () => services.inspector2,
    queues: () => services.sqs.peek(),
    lambdaFailures: () => runtime?.asyncFailures() ?? [],
    sns: () => services.sns,
  });

  // Java takes seconds: start it with the edge, and stop it if anything fails.
  const dynamoStart: Promise<DynamoDbLocal | undefined> =
    options.dynamodb === true
      ? stateDir
        ? startDynamoDbLocal({ dbPath: stateDir.dynamoDbPath(), jvmOptions: CLOUD_JVM_OPTIONS })
        : startDynamoDb()
      : Promise.resolve(undefined);
  // Settled either way, so a failure of the edge does not leave a rejection unhandled.
  const dynamoSettled = dynamoStart.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let edge: Awaited<ReturnType<typeof startEdge>>;
  try {
    edge = await startEdge({
      host: options.host ?? '127.0.0.1',
      port,
      context: ctx,
      services: services.all,
      proxies,
      unavailable: (service) =>
        service === 'dynamodb' && waitingFor.has('dynamodb')
          ? 'DynamoDB Local is still starting: GET /_local/health says when the cloud is ready'
          : undefined,
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
    });
  } catch (error) {
    const d = await dynamoSettled;
    if (d.ok) await d.value?.stop();
    unsubscribe();
    services.sfn.close();
    services.inspector2.scanner.dispose();
    stateDir?.release();
    throw error;
  }
  endpoint = edge.endpoint;

  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    // The AWS CLI v1 reads only AWS_DEFAULT_REGION.
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: DEFAULT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEFAULT_CREDENTIALS.secretAccessKey,
  };
  for (const name of [...services.all.map((s) => s.signingName), ...(options.dynamodb ? ['dynamodb'] : [])]) {
    env[`AWS_ENDPOINT_URL_${serviceEnvName(name)}`] = endpoint;
  }

  let dynamoLocal: DynamoDbLocal | undefined;
  let dynamoEndpoint: string | undefined;
  let deployment: DeployResult | undefined;
  let phase: StartPhase | 'start' = 'start';
  try {
    await hooks.onListening?.(endpoint);
    phase = 'dynamodb';
    const d = await dynamoSettled;
    if (!d.ok) throw d.error;
    dynamoLocal = d.value;
    dynamoEndpoint =
      dynamoLocal?.endpoint ?? (typeof options.dynamodb === 'object' ? options.dynamodb.endpoint : undefined);
    if (dynamoEndpoint !== undefined) proxies.dynamodb = dynamoEndpoint;
    waitingFor.delete('dynamodb');

    if (options.deploy) {
      phase = 'deploy';
      await hooks.beforeDeploy?.();
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
      deploymentSummary = summarize(model.stage, deployment);
      waitingFor.delete('deploy');
    }
  } catch (error) {
    failure = { during: phase, message: error instanceof Error ? error.message : String(error) };
    if (hooks.lingerOnFailure) await hooks.lingerOnFailure(error).catch(() => undefined);
    unsubscribe();
    services.sfn.close();
    services.inspector2.scanner.dispose();
    await runtime?.drain();
    await edge.close();
    const d = await dynamoSettled;
    if (d.ok) await d.value?.stop();
    // The state directory is left as it was: nothing of this failed start is saved.
    stateDir?.release();
    throw error;
  }
  if (speed > 0) clock.setSpeed(speed);

  const saveState = (): void => {
    if (!stateDir) throw new Error('this local cloud runs without a state directory (stateDir)');
    stateDir.save(clock.now(), snapshotServices(services));
  };
  let saver: NodeJS.Timeout | undefined;
  if (stateDir && saveIntervalMs > 0) {
    saver = setInterval(() => {
      try {
        saveState();
      } catch (error) {
        console.error(`local cloud: could not save the state to ${stateDir.dir}`, error);
      }
    }, saveIntervalMs);
    saver.unref();
  }
  ready = true;

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
    sns: services.sns,
    deployment,
    deploymentSummary,
    dynamodb: dynamoEndpoint === undefined ? undefined : { endpoint: dynamoEndpoint, pid: dynamoLocal?.pid },
    env,
    clientConfig: { endpoint, region, credentials: { ...DEFAULT_CREDENTIALS } },
    state: stateDir ? { dir: stateDir.dir, restoredFrom: saved?.savedAt } : undefined,
    saveState,
    stop: () => {
      stopping ??= (async () => {
        clearInterval(saver);
        unsubscribe();
        services.sfn.close();
        clock.stop();
        let saveError: unknown;
        try {
          // Invocations the stopped executions and deliveries left running finish against a live edge.
          await runtime?.drain();
          // After the drain, so the functions' last writes are in; before the scanner lets go of its
          // pending scans, so they are saved.
          if (stateDir) saveState();
        } catch (error) {
          saveError = error;
        }
        services.inspector2.scanner.dispose();
        await edge.close();
        // Only the DynamoDB Local this cloud started; one passed in by endpoint belongs to its owner.
        await dynamoLocal?.stop();
        stateDir?.release();
        if (saveError !== undefined) throw saveError;
      })();
      return stopping;
    },
  };
};
