import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, type Tags } from 'yaml';

/** A serverless.yml that cannot be deployed; `path` names where in the file. */
export class ServerlessConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`serverless.yml ${path}: ${message}`);
    this.name = 'ServerlessConfigError';
  }
}

// CloudFormation short-form intrinsics, read into their long form as CloudFormation itself does.
const intrinsic = (tag: string, fn: string, split?: (v: string) => unknown) => ({
  tag: `!${tag}`,
  resolve: (value: unknown) => ({ [fn]: split && typeof value === 'string' ? split(value) : value }),
});
const CFN_TAGS = [
  { tag: '!Ref', resolve: (v: unknown) => ({ Ref: v }) },
  intrinsic('GetAtt', 'Fn::GetAtt', (v) => {
    const dot = v.indexOf('.');
    return [v.slice(0, dot), v.slice(dot + 1)];
  }),
  ...[
    'Sub',
    'Join',
    'Select',
    'Split',
    'If',
    'Equals',
    'Not',
    'And',
    'Or',
    'ImportValue',
    'FindInMap',
    'GetAZs',
    'Base64',
    'Cidr',
  ].map((t) => intrinsic(t, `Fn::${t}`)),
];
// Each tag applies to scalars, sequences and maps alike.
const customTags: Tags = CFN_TAGS.flatMap((t) => [
  { tag: t.tag, resolve: (v: string) => t.resolve(v) },
  { tag: t.tag, collection: 'seq' as const, resolve: (v: { toJSON(): unknown }) => t.resolve(v.toJSON()) },
  { tag: t.tag, collection: 'map' as const, resolve: (v: { toJSON(): unknown }) => t.resolve(v.toJSON()) },
]) as Tags;

const readYaml = (file: string, path: string): unknown => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServerlessConfigError(path, `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { customTags });
  } catch (e) {
    throw new ServerlessConfigError(path, `${file} does not parse: ${(e as Error).message}`);
  }
};

export interface ResolveOptions {
  stage?: string;
  region?: string;
  accountId?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** `--param "<name>=<value>"`: what `${param:<name>}` reads before the file's `params`. */
  params?: Readonly<Record<string, string>>;
}

const VARS = /\$\{([^${}]+)\}/g;
// `${AWS::Region}` and `${LogicalId}` inside Fn::Sub belong to CloudFormation: Serverless leaves them.
const isCloudFormationRef = (expr: string) => /^AWS::\w+$/.test(expr) || /^[\w.]+$/.test(expr);
const WHOLE = /^\$\{([^${}]+)\}$/;

/**
 * Reads serverless.yml and resolves the variables the project uses (`self:`, `sls:stage`, `opt:`,
 * `param:`, `env:`, `aws:accountId|region`, `file(...)` with an optional `:key`), each with an optional
 * `, 'default'`, as Serverless Framework v3 does. A `param:` is the one given (`--param`), else the file's
 * `params.<stage>`, else its `params.default`. Unknown sources are errors naming the path.
 */
export const loadServerlessConfig = (file: string, opts: ResolveOptions = {}): Record<string, unknown> => {
  const root = readYaml(file, '(file)') as Record<string, unknown>;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new ServerlessConfigError('(root)', 'is not a mapping');
  }
  const baseDir = dirname(file);
  const options = { stage: opts.stage, region: opts.region } as Record<string, string | undefined>;

  const source = (expr: string, path: string, depth: number): unknown => {
    // `a, 'default'` / `a, b` — the first that resolves wins.
    const parts = splitTopLevel(expr);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!.trim();
      const last = i === parts.length - 1;
      const quoted = /^(['"])(.*)\1$/.exec(part);
      if (quoted) return quoted[2];
      if (/^-?\d+(\.\d+)?$/.test(part)) return Number(part);
      const value = lookup(part, path, depth);
      if (value !== undefined) return value;
      if (last) throw new ServerlessConfigError(path, `\${${expr}} resolves to nothing`);
    }
    return undefined;
  };

  const lookup = (ref: string, path: string, depth: number): unknown => {
    if (ref.startsWith('self:')) return get(root, ref.slice(5), path, depth);
    if (ref === 'sls:stage') return stage();
    if (ref.startsWith('opt:')) return options[ref.slice(4)];
    if (ref.startsWith('param:')) return param(ref.slice(6), path, depth);
    if (ref.startsWith('env:')) return (opts.env ?? process.env)[ref.slice(4)];
    if (ref === 'aws:accountId') return opts.accountId ?? '000000000000';
    if (ref === 'aws:region') return region();
    const f = /^file\(([^)]+)\)(?::(.+))?$/.exec(ref);
    if (f) {
      const target = resolve(baseDir, f[1]!.trim());
      const loaded = resolveDeep(readYaml(target, path), path, depth + 1);
      return f[2] ? dig(loaded, f[2], path) : loaded;
    }
    throw new ServerlessConfigError(path, `unsupported variable source in \${${ref}}`);
  };

  const param = (name: string, path: string, depth: number): unknown => {
    if (opts.params?.[name] !== undefined) return opts.params[name];
    for (const section of [stage(), 'default']) {
      const value = get(root, `params.${section}.${name}`, path, depth);
      if (value !== undefined) return value;
    }
    return undefined;
  };

  const stage = () =>
    (options.stage ??
      resolveValue(get(root, 'provider.stage', 'provider.stage', 0), 'provider.stage', 1) ??
      'dev') as string;
  const region = () =>
    (options.region ??
      resolveValue(get(root, 'provider.region', 'provider.region', 0), 'provider.region', 1) ??
      'us-east-1') as string;

  const get = (obj: unknown, dotted: string, path: string, depth: number): unknown => {
    const raw = dig(obj, dotted, path);
    return raw === undefined ? undefined : resolveDeep(raw, `${dotted}`, depth + 1);
  };

  const resolveValue = (value: unknown, path: string, depth: number): unknown => {
    if (depth > 20) throw new ServerlessConfigError(path, 'variables nest too deep (a cycle?)');
    if (typeof value !== 'string' || !value.includes('${')) return value;
    const whole = WHOLE.exec(value);
    if (whole && !isCloudFormationRef(whole[1]!))
      return resolveValue(source(whole[1]!, path, depth), path, depth + 1);
    return value.replace(VARS, (match, expr: string) => {
      if (isCloudFormationRef(expr)) return match;
      const v = resolveValue(source(expr, path, depth), path, depth + 1);
      if (typeof v === 'object' && v !== null) {
        throw new ServerlessConfigError(path, `\${${expr}} is an object and cannot be part of a string`);
      }
      return String(v);
    });
  };

  const resolveDeep = (value: unknown, path: string, depth: number): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => resolveDeep(v, `${path}[${i}]`, depth));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, resolveDeep(v, path ? `${path}.${k}` : k, depth)]),
      );
    }
    return resolveValue(value, path, depth);
  };

  options.stage = stage();
  options.region = region();
  return resolveDeep(root, '', 0) as Record<string, unknown>;
};

const dig = (obj: unknown, dotted: string, path: string): unknown => {
  let cur = obj;
  for (const key of dotted.split('.')) {
    if (cur === undefined || cur === null) return undefined;
    if (typeof cur !== 'object')
      throw new ServerlessConfigError(path, `cannot read "${key}" of a ${typeof cur}`);
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
};

/** Splits `a, 'b, c', d` on top-level commas, keeping quoted commas. */
const splitTopLevel = (s: string): string[] => {
  const out: string[] = [];
  let quote = '';
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
};
