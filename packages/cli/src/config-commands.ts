import { isDeepStrictEqual } from 'node:util';
import { type PolicyConfigChange, type PolicyConfigStore, policyStorageIssues } from '@ami-lifecycle/catalog';
import {
  type CatalogPort,
  type Clock,
  expiredWaivers,
  type FamilyConfig,
  type OrganizationConfig,
  organizationConfigOf,
  type Policy,
  parsePolicy,
  type StoredFamilyConfig,
  type StoredOrganizationConfig,
  ValidationError,
} from '@ami-lifecycle/core';
import { RefusedError } from './errors';
import { allPages, json, paint, type Tone } from './output';

export interface ConfigDeps {
  catalog: CatalogPort & PolicyConfigStore;
  clock: Clock;
  readFile: (path: string) => string;
  out: (line: string) => void;
  err: (line: string) => void;
  color?: boolean | undefined;
}

/** `config validate --json`. */
export interface ConfigValidationView {
  file: string;
  valid: boolean;
  /** The families of a valid file, in file order; empty for an invalid one. */
  families: string[];
  /** Every problem, each named by its path (`families.golden-al2023.build.instanceType`, empty for the file). */
  problems: { path: string; message: string }[];
  /** Waivers that have already expired: they excuse nothing, and do not make the file invalid. */
  warnings: string[];
}

/** One field a `config diff` found changed, by its path inside the config (`build.instanceType`). */
export interface FieldChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** The stored value; absent for an added field. */
  old?: unknown;
  /** The file's value; absent for a removed field. */
  new?: unknown;
}

/** `config diff --json`: what `config apply` of the file would store, family by family. */
export interface ConfigDiffView {
  file: string;
  /** Whether `config apply` would store anything. */
  changes: boolean;
  organization: {
    status: 'added' | 'changed' | 'unchanged';
    storedVersion: number | null;
    fields: FieldChange[];
  };
  /** The file's families in file order, then the removed ones by name. */
  families: {
    name: string;
    /** `removed`: stored, but not in the file; `config apply` leaves its stored config as it is. */
    status: 'added' | 'changed' | 'unchanged' | 'removed';
    storedVersion: number | null;
    fields: FieldChange[];
  }[];
}

/** The warnings of a parsed policy: its waivers that already expired. */
const warningsOf = (policy: Policy, file: string, now: Date): string[] =>
  expiredWaivers(policy, now).map(
    (w) => `${file}: the waiver ${w.id} of ${w.family} expired at ${w.expiresAt} and excuses nothing`,
  );

/**
 * Reads and validates the policy file, waivers judged against now; each expired waiver is a warning.
 * What the catalog could not store (an item over DynamoDB's 400 KB, measured as it will be stored) is
 * refused here too, so `config validate` passes only what `config apply` can store.
 */
export const readPolicy = (file: string, deps: Pick<ConfigDeps, 'readFile' | 'clock' | 'err'>): Policy => {
  const { policy, warnings } = parseFile(file, deps);
  for (const warning of warnings) deps.err(`warning: ${warning}`);
  return policy;
};

const parseFile = (file: string, deps: Pick<ConfigDeps, 'readFile' | 'clock'>) => {
  let text: string;
  try {
    text = deps.readFile(file);
  } catch (error) {
    throw new RefusedError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const now = deps.clock.now();
  const policy = parsePolicy(text, file, { now, storable: policyStorageIssues });
  return { policy, warnings: warningsOf(policy, file, now) };
};

/**
 * `config validate`: `<file>: valid, N families (...)`, or the problems (exit 1 through the caller's
 * error handling). With `--json`, one object whether valid or not; answers whether the file is valid.
 */
export const validatePolicy = (
  options: { file: string; json: boolean },
  deps: Pick<ConfigDeps, 'readFile' | 'clock' | 'out' | 'err' | 'color'>,
): boolean => {
  const { file } = options;
  if (!options.json) {
    const policy = readPolicy(file, deps);
    const names = Object.keys(policy.families);
    deps.out(
      `${file}: ${paint(deps.color ?? false)('good', 'valid')}, ${names.length} families (${names.join(', ')})`,
    );
    return true;
  }
  let view: ConfigValidationView;
  try {
    const { policy, warnings } = parseFile(file, deps);
    view = { file, valid: true, families: Object.keys(policy.families), problems: [], warnings };
  } catch (error) {
    const problems =
      error instanceof ValidationError
        ? error.issues.map((i) => ({ path: i.path, message: i.message }))
        : error instanceof RefusedError
          ? [{ path: '', message: error.message }]
          : undefined;
    if (problems === undefined) throw error;
    view = { file, valid: false, families: [], problems, warnings: [] };
  }
  deps.out(json(view));
  return view.valid;
};

/** What an apply of the policy would store: each config with its stored version and whether it changed. */
interface ApplyPlan {
  organization: {
    config: OrganizationConfig;
    current: StoredOrganizationConfig | undefined;
    changed: boolean;
  };
  families: { config: FamilyConfig; current: StoredFamilyConfig | undefined; changed: boolean }[];
}

/**
 * Compares the policy with the catalog as `config apply` does: the organisation config by value, each
 * family's config by its JSON (an unchanged config keeps its version).
 */
const planApply = async (policy: Policy, catalog: CatalogPort): Promise<ApplyPlan> => {
  const organization = organizationConfigOf(policy);
  const currentOrganization = await catalog.getOrganizationConfig();
  const families = await Promise.all(
    (Object.values(policy.families) as FamilyConfig[]).map(async (config) => {
      const current = await catalog.getFamilyConfig(config.name);
      const changed = current === undefined || JSON.stringify(current.config) !== JSON.stringify(config);
      return { config, current, changed };
    }),
  );
  return {
    organization: {
      config: organization,
      current: currentOrganization,
      changed:
        currentOrganization === undefined || !isDeepStrictEqual(currentOrganization.config, organization),
    },
    families,
  };
};

/**
 * `config apply`: validates the whole file first (a bad file stores nothing), then stores the
 * organisation config and each family whose config changed as its next version, all at once or nothing
 * (one policy apply of the catalog): every config, changed or not, must still be at the version read
 * here, or the apply is refused before anything is written. An unchanged config keeps its version, so
 * applying twice is a no-op.
 */
export const applyPolicy = async (file: string, by: string, deps: ConfigDeps): Promise<void> => {
  const policy = readPolicy(file, deps);
  const at = deps.clock.now().toISOString();
  const plan = await planApply(policy, deps.catalog);
  const change: PolicyConfigChange = {
    organization: {
      expectedCurrent: plan.organization.current?.version ?? null,
      ...(plan.organization.changed ? { config: plan.organization.config } : {}),
    },
    families: plan.families.map(({ config, current, changed }) => ({
      family: config.name,
      expectedCurrent: current?.version ?? null,
      ...(changed ? { config } : {}),
    })),
    at,
    by,
  };
  const stored =
    plan.organization.changed || plan.families.some((f) => f.changed)
      ? await deps.catalog.applyPolicyConfigs(change)
      : { families: [] };
  deps.out(
    stored.organization === undefined
      ? `organization config: unchanged (version ${plan.organization.current?.version})`
      : `organization config: stored as version ${stored.organization.version}`,
  );
  for (const { config, current } of plan.families) {
    const version = stored.families.find((f) => f.family === config.name)?.version;
    deps.out(
      version === undefined
        ? `${config.name}: unchanged (version ${current?.version})`
        : `${config.name}: stored as version ${version}`,
    );
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every field that differs between the stored config and the file's, by path (`build.components.1.name`,
 * array elements by index), in the file's key order. A key whose value is undefined counts as absent, as
 * in the stored JSON.
 */
export const fieldChanges = (stored: unknown, next: unknown, path = ''): FieldChange[] => {
  if (isDeepStrictEqual(stored, next)) return [];
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (isRecord(stored) && isRecord(next)) {
    const keys = [...new Set([...Object.keys(next), ...Object.keys(stored)])];
    return keys.flatMap((key) => {
      const [a, b] = [stored[key], next[key]];
      if (a === undefined && b === undefined) return [];
      if (a === undefined) return [{ path: at(key), change: 'added' as const, new: b }];
      if (b === undefined) return [{ path: at(key), change: 'removed' as const, old: a }];
      return fieldChanges(a, b, at(key));
    });
  }
  if (Array.isArray(stored) && Array.isArray(next)) {
    return Array.from({ length: Math.max(stored.length, next.length) }, (_, i) => {
      if (i >= stored.length) return [{ path: at(i), change: 'added' as const, new: next[i] }];
      if (i >= next.length) return [{ path: at(i), change: 'removed' as const, old: stored[i] }];
      return fieldChanges(stored[i], next[i], at(i));
    }).flat();
  }
  return [{ path: path || '(root)', change: 'changed', old: stored, new: next }];
};

/** A value as one line: JSON, cut at 100 characters. */
const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
};

const fieldLine = (f: FieldChange): string =>
  f.change === 'added'
    ? `    ${f.path}: (absent) -> ${shown(f.new)}`
    : f.change === 'removed'
      ? `    ${f.path}: ${shown(f.old)} -> (absent)`
      : `    ${f.path}: ${shown(f.old)} -> ${shown(f.new)}`;

const STATUS_TONE: Record<ConfigDiffView['families'][number]['status'], Tone | undefined> = {
  added: 'good',
  changed: 'busy',
  unchanged: undefined,
  removed: 'bad',
};

/**
 * `config diff`: what `config apply` of the file would change, without writing: the organisation config
 * and each family added, changed (every changed field with its old and new value) or unchanged, and the
 * stored families the file no longer names, which an apply leaves as they are.
 */
export const diffPolicy = async (
  options: { file: string; json: boolean },
  deps: ConfigDeps,
): Promise<void> => {
  const { file } = options;
  const policy = readPolicy(file, deps);
  const plan = await planApply(policy, deps.catalog);
  const named = new Set(Object.keys(policy.families));
  const stored = await allPages('the stored families', (page) => deps.catalog.listFamilyConfigs(page));
  const removed = stored.filter((s) => !named.has(s.family)).sort((a, b) => a.family.localeCompare(b.family));
  const org = plan.organization;
  const view: ConfigDiffView = {
    file,
    changes: org.changed || plan.families.some((f) => f.changed),
    organization: {
      status: org.current === undefined ? 'added' : org.changed ? 'changed' : 'unchanged',
      storedVersion: org.current?.version ?? null,
      fields: org.current === undefined || !org.changed ? [] : fieldChanges(org.current.config, org.config),
    },
    families: [
      ...plan.families.map(({ config, current, changed }) => ({
        name: config.name,
        status:
          current === undefined
            ? ('added' as const)
            : changed
              ? ('changed' as const)
              : ('unchanged' as const),
        storedVersion: current?.version ?? null,
        fields: current === undefined || !changed ? [] : fieldChanges(current.config, config),
      })),
      ...removed.map((s) => ({
        name: s.family,
        status: 'removed' as const,
        storedVersion: s.version,
        fields: [],
      })),
    ],
  };
  if (options.json) {
    deps.out(json(view));
    return;
  }
  const color = paint(deps.color ?? false);
  const describe = (
    subject: string,
    entry: { status: keyof typeof STATUS_TONE; storedVersion: number | null; fields: FieldChange[] },
  ): string[] => {
    const status = color(STATUS_TONE[entry.status], entry.status.padEnd(9));
    switch (entry.status) {
      case 'added':
        return [`${status} ${subject}: not stored yet; apply stores it as version 1`];
      case 'unchanged':
        return [`${status} ${subject} (version ${entry.storedVersion})`];
      case 'removed':
        return [
          `${status} ${subject} (stored version ${entry.storedVersion}): not in the file; apply leaves its ` +
            'stored config as it is (it never deletes a family), and its images stay managed',
        ];
      case 'changed':
        return [
          `${status} ${subject}: version ${entry.storedVersion} -> ${(entry.storedVersion ?? 0) + 1}, ` +
            (entry.fields.length === 0
              ? 'the same values in another order (apply stores it again)'
              : `${entry.fields.length} field${entry.fields.length === 1 ? '' : 's'}:`),
          ...entry.fields.map(fieldLine),
        ];
    }
  };
  for (const line of describe('organization config', view.organization)) deps.out(line);
  for (const family of view.families) for (const line of describe(family.name, family)) deps.out(line);
  const count = (status: string) => view.families.filter((f) => f.status === status).length;
  deps.out(
    view.changes
      ? `${count('added')} added, ${count('changed')} changed, ${count('unchanged')} unchanged, ` +
          `${count('removed')} removed (kept as stored)` +
          `${view.organization.status === 'unchanged' ? '' : `; the organization config ${view.organization.status === 'added' ? 'is new' : 'changed'}`}`
      : `no changes: config apply would store nothing${removed.length > 0 ? ` (${removed.length} stored famil${removed.length === 1 ? 'y' : 'ies'} not in the file, kept as stored)` : ''}`,
  );
};
