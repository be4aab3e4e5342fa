import { randomUUID } from 'node:crypto';
import { buildIdFor } from '@ami-lifecycle/build-service';
import { type BuildRequestedDetail, buildRequested, type DetailOf } from '@ami-lifecycle/contracts';
import {
  type CatalogPort,
  type Clock,
  type EventPublisher,
  type FamilyConfig,
  parsePolicy,
  ValidationError,
} from '@ami-lifecycle/core';
import { type AmictlCommand, CliUsageError, parseAmictlArgs, USAGE } from './args';

/** What amictl works with; `main.ts` wires AWS (or the local cloud's endpoints), tests their own. */
export interface AmictlDeps {
  catalog: CatalogPort;
  events: EventPublisher<{ [T in 'Build Requested']: DetailOf<T> }>;
  clock: Clock;
  readFile: (path: string) => string;
  /** Who is acting, when `--by` does not say: the user name of the shell. */
  user: string | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** 0: done; 1: the input was refused (a bad policy, an unknown family), nothing changed; 2: bad usage. */
export type ExitCode = 0 | 1 | 2;

export const runAmictl = async (argv: readonly string[], deps: AmictlDeps): Promise<ExitCode> => {
  let command: AmictlCommand;
  try {
    command = parseAmictlArgs(argv);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    deps.err(`amictl: ${error.message}`);
    deps.err(USAGE);
    return 2;
  }
  try {
    switch (command.command) {
      case 'help':
        deps.out(USAGE);
        return 0;
      case 'config-validate': {
        const policy = readPolicy(command.file, deps);
        const names = Object.keys(policy.families);
        deps.out(`${command.file}: valid, ${names.length} families (${names.join(', ')})`);
        return 0;
      }
      case 'config-apply':
        return await applyPolicy(command.file, command.by ?? deps.user ?? 'amictl', deps);
      case 'build':
        return await requestBuild(command, deps);
    }
  } catch (error) {
    if (error instanceof ValidationError || error instanceof RefusedError) {
      deps.err(`amictl: ${error.message}`);
      return 1;
    }
    throw error;
  }
};

/** The command's input was understood but refused; nothing was changed. */
class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

const readPolicy = (file: string, deps: Pick<AmictlDeps, 'readFile'>) => {
  let text: string;
  try {
    text = deps.readFile(file);
  } catch (error) {
    throw new RefusedError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parsePolicy(text, file);
};

/**
 * Validates the whole file first (a bad file stores nothing), then stores each family whose config
 * changed as its next version; an unchanged family keeps its version, so applying twice is a no-op.
 */
const applyPolicy = async (file: string, by: string, deps: AmictlDeps): Promise<ExitCode> => {
  const policy = readPolicy(file, deps);
  const at = deps.clock.now().toISOString();
  for (const config of Object.values(policy.families) as FamilyConfig[]) {
    const current = await deps.catalog.getFamilyConfig(config.name);
    if (current !== undefined && JSON.stringify(current.config) === JSON.stringify(config)) {
      deps.out(`${config.name}: unchanged (version ${current.version})`);
      continue;
    }
    const stored = await deps.catalog.putFamilyConfig(config.name, config, {
      expectedCurrent: current?.version ?? null,
      at,
      by,
    });
    deps.out(`${config.name}: stored as version ${stored.version}`);
  }
  return 0;
};

const requestBuild = async (
  command: Extract<AmictlCommand, { command: 'build' }>,
  deps: AmictlDeps,
): Promise<ExitCode> => {
  if ((await deps.catalog.getFamilyConfig(command.family)) === undefined) {
    throw new RefusedError(`family ${command.family} has no stored config; run amictl config apply first`);
  }
  const key = command.key ?? `amictl-${randomUUID()}`;
  const parsed = buildRequested.schema.safeParse({
    schemaVersion: 1,
    family: command.family,
    correlationId: randomUUID(),
    idempotencyKey: key,
    occurredAt: deps.clock.now().toISOString(),
    reason: command.reason,
    requestedBy: command.by ?? deps.user ?? 'amictl',
    force: command.force,
  });
  if (!parsed.success) {
    throw new RefusedError(
      `Build Requested would be invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(detail)'}: ${i.message}`).join('; ')}`,
    );
  }
  const detail: BuildRequestedDetail = parsed.data;
  const { eventId } = await deps.events.publish('Build Requested', detail);
  deps.out(
    `Build Requested for ${detail.family} (event ${eventId}, idempotency key ${key}, build id ${buildIdFor(detail.family, key)})`,
  );
  return 0;
};
