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
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
const SERVICES = ['build', 'inspect', 'publish', 'refresh', 'decommission', 'notify'] as const;

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

/** serverless-esbuild's own options in `custom.esbuild`, which it takes out before calling esbuild. */
const PLUGIN_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
] as const;

/**
 * The options the deployment bundles with, as serverless-esbuild hands them to esbuild: serverless.yml's
 * `custom.esbuild` without the plugin's own options (`exclude` joins `external`), over the plugin's
 * defaults for a Node 22 function (bundle, CommonJS, platform node). Source maps are left out: the
 * bundle's code is what is measured, and the map is a file of its own.
 */
export const bundleOptions = (): BuildOptions => {
  const config = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    custom?: { esbuild?: Record<string, unknown> };
  };
  const custom: Record<string, unknown> = { ...(config.custom?.esbuild ?? {}) };
  const exclude = (custom.exclude as string[] | undefined) ?? ['aws-sdk'];
  for (const key of PLUGIN_OPTIONS) delete custom[key];
  return {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    ...(custom as BuildOptions),
    sourcemap: false,
    external: [
      ...((custom.external as string[] | undefined) ?? []),
      ...(exclude.includes('*') ? [] : exclude),
    ],
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
  /** Where the bundle was written; undefined when it was built in memory. */
  file?: string;
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

const inputsOf = (output: Metafile['outputs'][string] | undefined): Record<string, number> => {
  const inputs: Record<string, number> = {};
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const key = origin(path);
    inputs[key] = (inputs[key] ?? 0) + input.bytesInOutput;
  }
  return inputs;
};

export interface Bundles {
  floor: Bundle;
  functions: Bundle[];
}

/**
 * The floor and every function, bundled with the deployment's options: the functions in one esbuild build
 * of many entry points (each its own bundle, as serverless-esbuild makes them one by one, but every module
 * parsed once), the floor beside it. Written under `outdir` when one is given, else kept in memory.
 */
export const bundleAll = async (outdir?: string): Promise<Bundles> => {
  const options = bundleOptions();
  const functions = lambdaFunctions();
  const dir = outdir ?? join(tmpdir(), 'ami-lifecycle-bundles');
  const write = outdir !== undefined;
  if (write) mkdirSync(dir, { recursive: true });
  const [floorBuild, functionsBuild] = await Promise.all([
    build({
      ...options,
      // The floor resolves the SDK from the repository's node_modules, as the handlers do.
      stdin: { contents: FLOOR_SOURCE, resolveDir: ROOT, loader: 'ts' },
      outfile: join(dir, 'floor.js'),
      metafile: true,
      write,
      absWorkingDir: ROOT,
    }),
    build({
      ...options,
      entryPoints: Object.fromEntries(functions.map((fn) => [fn.name, fn.entry])),
      outdir: dir,
      metafile: true,
      write,
      absWorkingDir: ROOT,
    }),
  ]);
  const bundle = (
    name: string,
    service: string,
    file: string,
    result: { metafile: Metafile; outputFiles?: { path: string; contents: Uint8Array }[] },
  ): Bundle => {
    const [, output] =
      Object.entries(result.metafile.outputs).find(([path]) => join(ROOT, path) === file) ?? [];
    if (output === undefined) throw new Error(`esbuild wrote no ${file}`);
    const bytes = write
      ? statSync(file).size
      : (result.outputFiles?.find((o) => o.path === file)?.contents.length ?? output.bytes);
    return { name, service, bytes, inputs: inputsOf(output), ...(write ? { file } : {}) };
  };
  return {
    floor: bundle('floor', 'floor', join(dir, 'floor.js'), floorBuild),
    functions: functions.map((fn) => bundle(fn.name, fn.service, join(dir, `${fn.name}.js`), functionsBuild)),
  };
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
    const { floor, functions: bundles } = await bundleAll(dir);

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
    return { floor: row(floor), functions: bundles.map(row), emptyNodeMs, options: bundleOptions() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export const BUNDLES_HEADING = '## Lambda bundles';

/** Targets against the floor of the same run. */
export const SIZE_TARGET = 1.2;
export const IMPORT_TARGET = 1.3;

/**
 * What a function's bundle is held to (times the floor's size) while it cannot meet `SIZE_TARGET`: its
 * size when the budget was set, plus 0.03 rounded up to 0.05, so that `tests/bundles.test.ts` fails on
 * growth. Only functions that call EC2 are here; every other one is held to the target itself.
 *
 * Why a function with EC2 cannot come down to 1.2 times a bundle of EC2 alone with one command: the
 * kit's own stack, EC2 with zod (`import * as z`, about 105 KiB of it), Powertools' logger and metrics
 * and middy, already makes 1024 KiB, 1.20 times the floor, before the catalog's DynamoDB client (65 KiB),
 * each further EC2 command's serialisers (the largest functions send six to nine) or any of the
 * project's code (about 120 KiB in the largest). What was over it besides, and is gone: zod's locales
 * (`import { z } from 'zod'` keeps zod's whole namespace, some 350 KiB), clients a function never calls
 * (adapters defaulted to one factory that named all six), and modules kept for side effects they do not
 * have (`"sideEffects": false` in the workspace packages).
 */
export const SIZE_BUDGETS: Readonly<Record<string, number>> = {
  reconcileBuilds: 1.65,
  decommissionPlan: 1.65,
  onImageStateChange: 1.65,
  decommissionApply: 1.65,
  decommissionInventory: 1.65,
  decommissionComplete: 1.6,
  startBuild: 1.6,
  decommissionPrepare: 1.6,
  createBuildImage: 1.6,
  publishCopy: 1.55,
  publishShare: 1.55,
  publishParameters: 1.55,
  publishRecordFailure: 1.55,
  publishCheckCopies: 1.55,
  runComponent: 1.55,
  inspectReconcile: 1.55,
  failBuild: 1.5,
  inspectStart: 1.45,
  stopBuilder: 1.45,
  inspectCheckCoverage: 1.35,
  inspectTerminate: 1.3,
  checkBuilder: 1.3,
};

/** What `tests/bundles.test.ts` holds a function's bundle to, times the floor's size. */
export const sizeBudget = (name: string): number => SIZE_BUDGETS[name] ?? SIZE_TARGET;

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
  const withinBudget = rows.filter((b) => sizeRatio(b) <= sizeBudget(b.name)).length;
  const o = r.options;
  return [
    BUNDLES_HEADING,
    '',
    recorded,
    '',
    `Each function of \`services/*/functions.yml\` bundled with the deployment's options (esbuild ${[
      o.minify ? 'minify' : 'no minify',
      o.keepNames ? 'keepNames' : 'names minified',
      `target ${String(o.target)}`,
      `format ${String(o.format)}`,
      o.mainFields ? `mainFields ${o.mainFields.join(',')}` : 'default mainFields',
      o.conditions ? `conditions ${o.conditions.join(',')}` : 'default conditions',
      o.external?.length ? `external ${o.external.join(',')}` : 'the AWS SDK bundled',
    ].join(
      ', ',
    )}), beside the floor: \`@aws-sdk/client-ec2\` alone with one command, bundled the same way in the same run (\`bench/bundles.ts\`). Cold import: the median of ${IMPORT_RUNS} fresh \`node\` processes requiring the bundle, minus the median of an empty \`node\` (${r.emptyNodeMs.toFixed(0)} ms here), all interleaved. Largest inputs: the share of the bundle's bytes each package (or the project's own code) fills. Budget: the size \`tests/bundles.test.ts\` holds the function to, the target or, where it cannot be met yet, what \`SIZE_BUDGETS\` says and why.`,
    '',
    '| function | service | size | × floor | budget | cold import | × floor | largest inputs |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    `| **floor** | | ${kb(floor.bytes)} | 1.00 | | ${floor.importMs.toFixed(0)} ms | 1.00 | ${top(floor)} |`,
    ...rows.map(
      (b) =>
        `| ${b.name} | ${b.service} | ${kb(b.bytes)} | ${sizeRatio(b).toFixed(2)} | ${sizeBudget(b.name).toFixed(2)} | ${b.importMs.toFixed(0)} ms | ${importRatio(b).toFixed(2)} | ${top(b)} |`,
    ),
    '',
    `Targets: every bundle at most ${SIZE_TARGET}× the floor's size (${sizeMet} of ${rows.length} met; ${withinBudget} of ${rows.length} within their budget) and its cold import at most ${IMPORT_TARGET}× the floor's (${importMet} of ${rows.length} met).`,
    '',
  ];
};
