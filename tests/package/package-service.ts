import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Artefact, CfnTemplate } from './template-checks';

export const ROOT = join(__dirname, '..', '..');
// The CLI `npm run package` runs: the `osls` bin npm links.
const OSLS = realpathSync(join(ROOT, 'node_modules', '.bin', 'osls'));
export const OFFLINE_GUARD = join(__dirname, 'offline-guard.cjs');

/**
 * What `npm run package` sets: no telemetry, and keys that are not credentials, so nothing the CLI or a
 * plugin might try could act on an account (and no instance metadata is asked for keys either).
 */
export const PACKAGE_ENV = {
  SLS_TELEMETRY_DISABLED: '1',
  AWS_ACCESS_KEY_ID: 'offline-packaging',
  AWS_SECRET_ACCESS_KEY: 'offline-packaging',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

export interface Packaged {
  dir: string;
  template: CfnTemplate;
  /** Connections and DNS lookups the offline guard refused: none, when packaging is offline. */
  networkAttempts: string[];
  seconds: number;
  output: string;
}

/**
 * `osls package --package <work>/package` on the project's serverless.yml, with `PACKAGE_ENV` and the
 * offline guard preloaded into every Node process of the run (its log: `<work>/network-attempts.log`).
 * Rejects with the CLI's output when it fails.
 */
export const packageService = async (work: string, stage: string): Promise<Packaged> => {
  const dir = join(work, 'package');
  const log = join(work, 'network-attempts.log');
  writeFileSync(log, '');
  const started = performance.now();
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...inherited } = process.env;
  const child = spawn(process.execPath, [OSLS, 'package', '--stage', stage, '--package', dir], {
    cwd: ROOT,
    env: {
      ...inherited,
      ...PACKAGE_ENV,
      NODE_OPTIONS: `--require ${OFFLINE_GUARD}`,
      OFFLINE_GUARD_LOG: log,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`osls package exited with ${code}:\n${output}`);
  return {
    dir,
    template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')),
    networkAttempts: readFileSync(log, 'utf8').split('\n').filter(Boolean),
    seconds: Math.round((performance.now() - started) / 1000),
    output,
  };
};

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeader: number;
}

/**
 * A zip's entries, from its central directory (the end-of-central-directory record, then one header per
 * entry). Archives over 4 GiB (ZIP64) are not read.
 */
const centralDirectory = (zip: Buffer): ZipEntry[] => {
  const EOCD = 0x06054b50;
  const ENTRY = 0x02014b50;
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== ENTRY) throw new Error(`not a zip: entry ${n} has no central header`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      localHeader: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
};

/** The names of a zip's entries. */
export const zipEntries = (zip: Buffer): string[] => centralDirectory(zip).map((e) => e.name);

/** One entry of a zip as text (stored or deflated, the two methods zips of code use). */
export const zipEntryText = (zip: Buffer, name: string): string => {
  const entry = centralDirectory(zip).find((e) => e.name === name);
  if (!entry) throw new Error(`the zip has no ${name}`);
  const at = entry.localHeader;
  const data = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const raw = zip.subarray(data, data + entry.compressedSize);
  if (entry.method === 0) return raw.toString('utf8');
  if (entry.method === 8) return inflateRawSync(raw).toString('utf8');
  throw new Error(`${name} is compressed with method ${entry.method}`);
};

/** Every zip of a package directory, by file name. */
export const readArtefacts = (dir: string): Map<string, Artefact> =>
  new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.zip'))
      .map((f) => {
        const path = join(dir, f);
        const bytes = statSync(path).size;
        return [f, { bytes, entries: bytes === 0 ? [] : zipEntries(readFileSync(path)) }];
      }),
  );

/**
 * Every module a bundle imports or requires, as esbuild parses its code (a `require` spelled out in an
 * error message's text is not one), each left unresolved.
 */
export const bundleImports = async (code: string): Promise<string[]> => {
  const imports = new Set<string>();
  await build({
    stdin: { contents: code, loader: 'js', sourcefile: 'bundle.js' },
    bundle: true,
    write: false,
    platform: 'node',
    logLevel: 'silent',
    plugins: [
      {
        name: 'list-imports',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            imports.add(args.path);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return [...imports];
};
