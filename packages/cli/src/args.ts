import { parseArgs } from 'node:util';

export const USAGE = `usage: npm run amictl -- <command>

  config validate <file>             check a policy file; every problem is named by path and line
  config apply <file> [--by NAME]    validate, then store each family's config as its next version
  build <family> [--force] [--reason R] [--by NAME] [--key K]
                                     put Build Requested on the bus (reason: manual, schedule,
                                     parent-published, vulnerable, stale-base; default manual)

The catalog table and bus come from CATALOG_TABLE and EVENT_BUS_NAME (default ami-lifecycle-local);
AWS clients read AWS_REGION and AWS_ENDPOINT_URL as usual, so the same commands work against the
local cloud (npm run local-cloud prints the variables) and AWS.`;

/** A command line that does not say what to do; the message names what is wrong. */
export class CliUsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliUsageError';
  }
}

export const BUILD_REASONS = ['manual', 'schedule', 'parent-published', 'vulnerable', 'stale-base'] as const;

export type AmictlCommand =
  | { command: 'help' }
  | { command: 'config-validate'; file: string }
  | { command: 'config-apply'; file: string; by: string | undefined }
  | {
      command: 'build';
      family: string;
      force: boolean;
      reason: (typeof BUILD_REASONS)[number];
      by: string | undefined;
      key: string | undefined;
    };

/** Parses and checks the words; every mistake is a `CliUsageError` naming it. */
export const parseAmictlArgs = (argv: readonly string[]): AmictlCommand => {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return { command: 'help' };
  const [verb, ...rest] = positionals;
  const only = (allowed: readonly (keyof typeof OPTIONS)[]) => {
    for (const name of Object.keys(values) as (keyof typeof OPTIONS)[]) {
      if (!allowed.includes(name))
        throw new CliUsageError(`--${name} does not go with "${positionals.join(' ')}"`);
    }
  };
  if (verb === 'config') {
    const [sub, file, ...extra] = rest;
    if (sub !== 'validate' && sub !== 'apply') {
      throw new CliUsageError(
        `config takes validate or apply, got ${sub === undefined ? 'nothing' : `"${sub}"`}`,
      );
    }
    if (file === undefined || file.trim() === '')
      throw new CliUsageError(`config ${sub} needs a policy file`);
    if (extra.length > 0)
      throw new CliUsageError(`config ${sub} takes one file, got also "${extra.join(' ')}"`);
    if (sub === 'validate') {
      only([]);
      return { command: 'config-validate', file };
    }
    only(['by']);
    return { command: 'config-apply', file, by: nonEmpty('--by', values.by) };
  }
  if (verb === 'build') {
    const [family, ...extra] = rest;
    if (family === undefined) throw new CliUsageError('build needs a family name');
    if (extra.length > 0) throw new CliUsageError(`build takes one family, got also "${extra.join(' ')}"`);
    only(['force', 'reason', 'by', 'key']);
    const reason = values.reason ?? 'manual';
    if (!(BUILD_REASONS as readonly string[]).includes(reason)) {
      throw new CliUsageError(`--reason must be one of ${BUILD_REASONS.join(', ')}, got "${reason}"`);
    }
    return {
      command: 'build',
      family,
      force: values.force === true,
      reason: reason as (typeof BUILD_REASONS)[number],
      by: nonEmpty('--by', values.by),
      key: nonEmpty('--key', values.key),
    };
  }
  throw new CliUsageError(`unknown command "${verb}": use config validate, config apply or build`);
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  force: { type: 'boolean' },
  reason: { type: 'string' },
  by: { type: 'string' },
  key: { type: 'string' },
} as const;

const nonEmpty = (flag: string, value: string | undefined): string | undefined => {
  if (value !== undefined && value.trim() === '') throw new CliUsageError(`${flag} must not be empty`);
  return value;
};
