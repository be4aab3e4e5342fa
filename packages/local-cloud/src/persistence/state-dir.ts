import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The files of `--state-dir DIR`: the cloud's state across restarts.
 *
 * - `local-cloud.json`, the manifest: format and version, the simulated time, and the file of each
 *   emulator;
 * - one JSON file per emulator, named after it and the save that wrote it (`ec2-000012.json`,
 *   `ssm-000003.json`, ...), each `{format, version, service, save, data}`;
 * - `dynamodb/`: DynamoDB Local's own files (`-dbPath`);
 * - `.lock` while a cloud uses the directory.
 *
 * A save writes the files whose data changed under new names, then the manifest (to a temporary name,
 * renamed over the old one), then removes the files the manifest no longer names. A crash at any point
 * leaves a manifest that names complete files of one save. A file that cannot be read, is not this
 * format, is of another version or is not the one the manifest names is refused with a
 * `StateFileError` naming it, and nothing in the directory is changed.
 */

export const STATE_FORMAT = 'ami-lifecycle-local-cloud-state';
/** Raised whenever what a file holds changes shape; a directory of another version is refused. */
export const STATE_VERSION = 1;
export const MANIFEST_FILE = 'local-cloud.json';
export const LOCK_FILE = '.lock';
export const DYNAMODB_DIR = 'dynamodb';

/** The emulators whose state is saved, and the names their files start with. */
export const SERVICE_FILES = {
  ec2: 'ec2',
  ssm: 'ssm',
  events: 'events',
  sqs: 'sqs',
  sns: 'sns',
  sfn: 'stepfunctions',
  inspector2: 'inspector2',
} as const;
export type SavedService = keyof typeof SERVICE_FILES;

const fileName = (service: SavedService, save: number) =>
  `${SERVICE_FILES[service]}-${String(save).padStart(6, '0')}.json`;
const FILE_NAME = /^(ec2|ssm|events|sqs|sns|stepfunctions|inspector2)-(\d{6,})\.json$/;

/** A state file the cloud refuses to start from; `file` is its full path. */
export class StateFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`state file ${file}: ${reason}`);
    this.name = 'StateFileError';
  }
}

/** The directory is used by a cloud that still runs. */
export class StateDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `state directory ${dir} is in use by the local cloud of process ${pid} (${join(dir, LOCK_FILE)}); ` +
        'stop that one, or give another --state-dir',
    );
    this.name = 'StateDirInUseError';
  }
}

interface Manifest {
  format: typeof STATE_FORMAT;
  version: number;
  /** Real time of the save. */
  savedAt: string;
  /** The simulated clock at the save: where the next start continues. */
  clock: string;
  /** The number of the latest save, and each service's file. */
  save: number;
  files: Partial<Record<SavedService, string>>;
}

export interface LoadedState {
  clock: Date;
  savedAt: string;
  services: Partial<Record<SavedService, unknown>>;
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Writes `text` to `path` and flushes it to the disk. */
const writeFlushed = (path: string, text: string): void => {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

const readJson = (path: string): Record<string, unknown> => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new StateFileError(path, `cannot be read: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new StateFileError(path, `is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new StateFileError(path, 'is not a JSON object');
  }
  return parsed as Record<string, unknown>;
};

const checkFormat = (path: string, file: Record<string, unknown>): void => {
  if (file.format !== STATE_FORMAT) {
    throw new StateFileError(path, `is not a local cloud state file (format ${JSON.stringify(file.format)})`);
  }
  if (file.version !== STATE_VERSION) {
    throw new StateFileError(
      path,
      `is of state version ${JSON.stringify(file.version)}; this local cloud reads version ${STATE_VERSION} only. ` +
        'Start with another --state-dir (or remove this one) to begin afresh',
    );
  }
};

/** A state directory in use by this process: locked on `open`, until `release`. */
export class StateDir {
  private lastSave = 0;
  /** The simulated time the manifest on disk holds. */
  private lastClock: string | undefined;
  private readonly written = new Map<SavedService, { file: string; text: string }>();
  private released = false;

  private constructor(readonly dir: string) {}

  /**
   * Takes the directory (created if missing) for this process. Throws `StateDirInUseError` when a cloud
   * that still runs holds it; a lock left by one that died is taken over.
   */
  static open(dir: string): StateDir {
    const abs = resolve(dir);
    mkdirSync(abs, { recursive: true });
    const lock = join(abs, LOCK_FILE);
    const mine = JSON.stringify({ pid: process.pid, since: new Date().toISOString() });
    try {
      writeFileSync(lock, mine, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = Number.NaN;
      try {
        holder = Number((JSON.parse(readFileSync(lock, 'utf8')) as { pid?: unknown }).pid);
      } catch {
        // An unreadable lock was left half-written by a process that died: take it over.
      }
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder))
        throw new StateDirInUseError(abs, holder);
      writeFileSync(lock, mine);
    }
    return new StateDir(abs);
  }

  /** The path of the file a service's state was loaded from or last saved to, if any. */
  fileOf(service: SavedService): string | undefined {
    const written = this.written.get(service);
    return written && join(this.dir, written.file);
  }

  /** DynamoDB Local's `-dbPath`, created on first use. */
  dynamoDbPath(): string {
    const path = join(this.dir, DYNAMODB_DIR);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /**
   * What the last save left, or undefined for a directory no cloud has saved to yet. Throws a
   * `StateFileError` naming the first file that cannot be used; changes nothing either way.
   */
  load(): LoadedState | undefined {
    const manifestPath = join(this.dir, MANIFEST_FILE);
    if (!existsSync(manifestPath)) {
      const stray = readdirSync(this.dir).find((f) => FILE_NAME.test(f));
      if (stray !== undefined) {
        throw new StateFileError(
          join(this.dir, stray),
          `is there without ${MANIFEST_FILE}, which names the files of a save`,
        );
      }
      return undefined;
    }
    const manifest = readJson(manifestPath);
    checkFormat(manifestPath, manifest);
    const clock = new Date(String(manifest.clock));
    if (typeof manifest.clock !== 'string' || Number.isNaN(clock.getTime())) {
      throw new StateFileError(manifestPath, 'has no valid "clock" (the simulated time of the save)');
    }
    const files = manifest.files;
    if (files === null || typeof files !== 'object' || Array.isArray(files)) {
      throw new StateFileError(manifestPath, 'has no "files" object');
    }
    if (typeof manifest.save !== 'number') throw new StateFileError(manifestPath, 'has no "save" number');
    const services: Partial<Record<SavedService, unknown>> = {};
    for (const [service, name] of Object.entries(files as Record<string, unknown>)) {
      if (!Object.hasOwn(SERVICE_FILES, service)) {
        throw new StateFileError(manifestPath, `names a service this local cloud does not save: ${service}`);
      }
      const m = typeof name === 'string' ? FILE_NAME.exec(name) : null;
      if (!m || m[1] !== SERVICE_FILES[service as SavedService]) {
        throw new StateFileError(manifestPath, `names ${JSON.stringify(name)} as the file of ${service}`);
      }
      const path = join(this.dir, name as string);
      if (!existsSync(path)) throw new StateFileError(path, `is missing (${MANIFEST_FILE} names it)`);
      const file = readJson(path);
      checkFormat(path, file);
      if (file.service !== service || file.save !== Number(m[2])) {
        throw new StateFileError(
          path,
          `holds ${JSON.stringify(file.service)} of save ${JSON.stringify(file.save)}, not what its name says`,
        );
      }
      if (!('data' in file)) throw new StateFileError(path, 'has no "data"');
      services[service as SavedService] = file.data;
      this.written.set(service as SavedService, { file: name as string, text: JSON.stringify(file.data) });
    }
    this.lastSave = manifest.save;
    this.lastClock = clock.toISOString();
    return { clock, savedAt: String(manifest.savedAt), services };
  }

  /**
   * Writes the service files whose data changed since the last save, then the manifest (with the clock),
   * then removes the files of earlier saves; writes nothing when nothing changed, the time included.
   * Answers the number of service files written.
   */
  save(clock: Date, services: Partial<Record<SavedService, unknown>>): number {
    if (this.released) throw new Error(`state directory ${this.dir} was released`);
    const save = this.lastSave + 1;
    const files: Partial<Record<SavedService, string>> = {};
    const wrote: [SavedService, { file: string; text: string }][] = [];
    for (const [service, data] of Object.entries(services) as [SavedService, unknown][]) {
      const text = JSON.stringify(data);
      const previous = this.written.get(service);
      if (previous?.text === text) {
        files[service] = previous.file;
        continue;
      }
      const file = fileName(service, save);
      const envelope = { format: STATE_FORMAT, version: STATE_VERSION, service, save, data };
      writeFlushed(join(this.dir, file), `${JSON.stringify(envelope)}\n`);
      files[service] = file;
      wrote.push([service, { file, text }]);
    }
    if (wrote.length === 0 && clock.toISOString() === this.lastClock) return 0;
    const manifest: Manifest = {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      savedAt: new Date().toISOString(),
      clock: clock.toISOString(),
      save,
      files,
    };
    const manifestPath = join(this.dir, MANIFEST_FILE);
    writeFlushed(`${manifestPath}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(`${manifestPath}.tmp`, manifestPath);
    this.lastSave = save;
    this.lastClock = manifest.clock;
    for (const [service, written] of wrote) this.written.set(service, written);
    // Files of earlier saves (and of a save a crash cut short) are no longer named by the manifest.
    const kept = new Set(Object.values(files));
    for (const f of readdirSync(this.dir))
      if (FILE_NAME.test(f) && !kept.has(f)) rmSync(join(this.dir, f), { force: true });
    return wrote.length;
  }

  /** Gives the directory up (removes the lock). Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    rmSync(join(this.dir, LOCK_FILE), { force: true });
  }
}
