// The Lambda bundles: every function of services/*/functions.yml bundled as the deployment bundles it
// (esbuild: bundle, minify, node22, the AWS SDK inside), beside a floor bundled in the same run with the
// same options: `@aws-sdk/client-ec2` alone with one command. Size, and cold import time: the median of
// fresh `node` processes that require the bundle, minus the median of an empty `node`, interleaved so
// that the machine's noise falls on all of them alike.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
const SERVICES = ['build', 'inspect', 'publish', 'refresh', 'decommission'] as const;

/** Cold imports measured per bundle: fresh processes, the median taken. */
export const IMPORT_RUNS = 9;

export interface LambdaFunction {
  name: string;
  service: string;
  /** The handler's module, relative to the repository. */
  entry: string;
}

/** Every function of every service's functions.yml, with the module its `handler` names. */
export const lambdaFunctions = (): LambdaFunction[] =>
  SERVICES.flatMap((service) => {
    const file = join(ROOT, 'services', service, 'functions.yml');
    const functions = parse(readFileSync(file, 'utf8'), { logLevel: 'silent' }) as Record<
      string,
      { handler?: unknown }
    >;
    return Object.entries(functions).map(([name, fn]) => {
      if (typeof fn?.handler !== 'string') throw new Error(`${file}: function ${name} names no handler`);
      const module = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
      return { name, service, entry: `${module}.ts` };
    });
  });

/**
 * The options the deployment bundles with: serverless.yml's `custom.esbuild` where it says them, else
 * serverless-esbuild's defaults for a Node 22 function (bundle, CommonJS, platform node).
 */
export const bundleOptions = (): BuildOptions => {
  const config = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    custom?: { esbuild?: Record<string, unknown> };
  };
  const custom = config.custom?.esbuild ?? {};
  const pick = <T>(key: string, fallback: T): T =>
    custom[key] === undefined ? fallback : (custom[key] as T);
  return {
    bundle: true,
    minify: pick('minify', true),
    sourcemap: false,
    platform: 'node',
    target: pick('target', 'node22'),
    format: pick('format', 'cjs'),
    ...(custom.mainFields === undefined ? {} : { mainFields: custom.mainFields as string[] }),
    ...(custom.treeShaking === undefined ? {} : { treeShaking: custom.treeShaking as boolean }),
    external: pick<string[]>('exclude', []).filter((name) => name !== '*'),
    logLevel: 'silent',
  };
};

const FLOOR_SOURCE = `import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
const ec2 = new EC2Client({});
export const handler = async () => ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
`;

export interface Bundle {
  name: string;
  service: string;
  bytes: number;
  /** The bundle's bytes by where they come from (esbuild's `bytesInOutput` of each input). */
  inputs: Record<string, number>;
  file: string;
}

const origin = (path: string): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (m === null) return 'project';
  const pkg = m[1] as string;
  if (pkg.startsWith('@aws-sdk/client-')) return pkg;
  if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/') || pkg.startsWith('@aws-crypto/'))
    return 'sdk-core';
  if (pkg.startsWith('@ami-lifecycle/')) return 'project';
  return pkg;
};

const bundleOne = async (
  name: string,
  service: string,
  entry: string | NonNullable<BuildOptions['stdin']>,
  options: BuildOptions,
  dir: string,
): Promise<Bundle> => {
  const outdir = join(dir, name);
  mkdirSync(outdir, { recursive: true });
  const file = join(outdir, 'index.js');
  const result = await build({
    ...options,
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: entry }),
    outfile: file,
    metafile: true,
    absWorkingDir: ROOT,
  });
  const inputs: Record<string, number> = {};
  const output = Object.values(result.metafile.outputs)[0];
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const key = origin(path);
    inputs[key] = (inputs[key] ?? 0) + input.bytesInOutput;
  }
  return { name, service, bytes: statSync(file).size, inputs, file };
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/**
 * What a handler module reads when it is loaded: every variable the provider and the functions set, with a
 * value of the shape it has when deployed (an ARN, a queue URL, or the literal value where it has no
 * variables in it), and AWS_REGION as Lambda sets it.
 */
export const deployedEnvironment = (): Record<string, string> => {
  const env: Record<string, string> = { AWS_REGION: 'eu-west-1' };
  const add = (vars: Record<string, unknown> | undefined) => {
    for (const [name, value] of Object.entries(vars ?? {})) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      env[name] = /_ARN$/.test(name)
        ? `arn:aws:states:eu-west-1:123456789012:stateMachine:ami-lifecycle-bench-${name.toLowerCase()}`
        : /_URL$/.test(name)
          ? 'https://sqs.eu-west-1.amazonaws.com/123456789012/ami-lifecycle-bench-events-dlq'
          : !text.includes('${') && !text.includes('Fn::') && !text.includes('Ref')
            ? text
            : 'ami-lifecycle-bench';
    }
  };
  const config = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    provider?: { environment?: Record<string, unknown> };
  };
  add(config.provider?.environment);
  for (const service of SERVICES) {
    const file = join(ROOT, 'services', service, 'functions.yml');
    const functions = parse(readFileSync(file, 'utf8'), { logLevel: 'silent' }) as Record<
      string,
      { environment?: Record<string, unknown> }
    >;
    for (const fn of Object.values(functions)) add(fn.environment);
  }
  delete env.NODE_OPTIONS;
  return env;
};

/** Wall time of one fresh `node` process running `args`. */
const timeNode = (args: string[], env: Record<string, string>): number => {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return ms;
};

export interface BundleRow extends Bundle {
  importMs: number;
}

export interface BundlesResult {
  floor: BundleRow;
  functions: BundleRow[];
  emptyNodeMs: number;
  options: BuildOptions;
}

export const benchBundles = async (): Promise<BundlesResult> => {
  const dir = mkdtempSync(join(tmpdir(), 'ami-lifecycle-bundles-'));
  try {
    const options = bundleOptions();
    // The floor resolves the SDK from the repository's node_modules, as the handlers do.
    const floor = await bundleOne(
      'floor',
      'floor',
      { contents: FLOOR_SOURCE, resolveDir: ROOT, loader: 'ts' },
      options,
      dir,
    );
    const bundles: Bundle[] = [];
    for (const fn of lambdaFunctions())
      bundles.push(await bundleOne(fn.name, fn.service, fn.entry, options, dir));

    // Interleaved rounds: empty node, the floor, then every function, IMPORT_RUNS times over.
    const all = [floor, ...bundles];
    const times = new Map<Bundle, number[]>(all.map((b) => [b, []]));
    const empty: number[] = [];
    const env = deployedEnvironment();
    for (let round = 0; round < IMPORT_RUNS; round++) {
      empty.push(timeNode(['-e', ''], env));
      for (const b of all) times.get(b)?.push(timeNode(['-e', `require(${JSON.stringify(b.file)})`], env));
    }
    const emptyNodeMs = median(empty);
    const row = (b: Bundle): BundleRow => ({ ...b, importMs: median(times.get(b) ?? []) - emptyNodeMs });
    return { floor: row(floor), functions: bundles.map(row), emptyNodeMs, options };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export const BUNDLES_HEADING = '## Lambda bundles';

/** Targets against the floor of the same run. */
export const SIZE_TARGET = 1.2;
export const IMPORT_TARGET = 1.3;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export const renderBundlesSection = (r: BundlesResult, recorded: string): string[] => {
  const { floor } = r;
  const sizeRatio = (b: BundleRow) => b.bytes / floor.bytes;
  const importRatio = (b: BundleRow) => b.importMs / floor.importMs;
  const top = (b: BundleRow) =>
    Object.entries(b.inputs)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${Math.round((100 * v) / Object.values(b.inputs).reduce((s, x) => s + x, 0))}%`)
      .join(', ');
  const rows = [...r.functions].sort((a, b) => b.bytes - a.bytes);
  const sizeMet = rows.filter((b) => sizeRatio(b) <= SIZE_TARGET).length;
  const importMet = rows.filter((b) => importRatio(b) <= IMPORT_TARGET).length;
  const o = r.options;
  return [
    BUNDLES_HEADING,
    '',
    recorded,
    '',
    `Each function of \`services/*/functions.yml\` bundled with the deployment's options (esbuild ${[
      o.minify ? 'minify' : 'no minify',
      `target ${String(o.target)}`,
      `format ${String(o.format)}`,
      o.mainFields ? `mainFields ${o.mainFields.join(',')}` : 'default mainFields',
      o.external?.length ? `external ${o.external.join(',')}` : 'the AWS SDK bundled',
    ].join(
      ', ',
    )}), beside the floor: \`@aws-sdk/client-ec2\` alone with one command, bundled the same way in the same run (\`bench/bundles.ts\`). Cold import: the median of ${IMPORT_RUNS} fresh \`node\` processes requiring the bundle, minus the median of an empty \`node\` (${r.emptyNodeMs.toFixed(0)} ms here), all interleaved. Largest inputs: the share of the bundle's bytes each package (or the project's own code) fills.`,
    '',
    '| function | service | size | × floor | cold import | × floor | largest inputs |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
    `| **floor** | | ${kb(floor.bytes)} | 1.00 | ${floor.importMs.toFixed(0)} ms | 1.00 | ${top(floor)} |`,
    ...rows.map(
      (b) =>
        `| ${b.name} | ${b.service} | ${kb(b.bytes)} | ${sizeRatio(b).toFixed(2)} | ${b.importMs.toFixed(0)} ms | ${importRatio(b).toFixed(2)} | ${top(b)} |`,
    ),
    '',
    `Targets: every bundle at most ${SIZE_TARGET}× the floor's size (${sizeMet} of ${rows.length} met) and its cold import at most ${IMPORT_TARGET}× the floor's (${importMet} of ${rows.length} met).`,
    '',
  ];
};
