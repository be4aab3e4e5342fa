/**
 * A policy's configs are stored whole or not at all.
 *
 * Each config version is an item of its own (`FAMILY#<family>` / `CONFIG#v<n>`, `ORG` / `CONFIG#v<n>`),
 * and one item, the policy head (`POLICY` / `HEAD`), names the current version of every family and of
 * the organisation. Readers follow the head: a version the head does not name (yet) is not current, and
 * is not listed among a family's versions either.
 *
 * Each config also keeps a view of its current version (`CONFIG#current`), written with the head when
 * the head's transaction has room and right after it otherwise, and never before its version is
 * current. A reader fetches the head and the view at once and uses the view when its version is the one
 * the head names and it carries that version's staging (a version never changes once current); when the
 * view lags, or was written by a tool from before the head, it reads the version item.
 *
 * An apply reads the head, checks every version the caller expects against it (a conflict with what it
 * read is refused before anything is written), writes the new versions and then the new head, with the
 * condition that the head is still the one it read. When everything fits in one DynamoDB transaction (100
 * actions, 4 MB of items) the versions and the head are that one transaction. A larger policy writes its
 * versions in several transactions, each also checking the head, and the head in the last: until that
 * last one commits, the new versions are staged, invisible to every reader. A change of the head after
 * the read stops the apply at its next transaction, which may be the last one: a conflict is then
 * reported after versions were staged, and they are deleted again. If any step fails, the versions the
 * apply staged are deleted again; when the outcome of a transaction is unknown (a timeout, a lost
 * reply), the head is first moved on by one revision, unchanged otherwise, so that transaction can no
 * longer commit late and make deleted versions current. Those a crashed apply leaves behind stay
 * invisible, and a later apply writes over them (see `STALE_APPLY_MS`).
 *
 * A version item records the head revision it was written for (`policyRevision`) and the apply that
 * wrote it (`applyId`). A staged version for a revision not above the head's may be written over: the
 * apply that staged it read an older head, so its own condition can never hold again. One staged for
 * the next revision belongs to an apply still running (or one that died); it is left alone, unless it is
 * older than `STALE_APPLY_MS`: then the head is moved on by one revision, unchanged otherwise, which
 * makes that apply's versions overwritable and its last transaction fail. A version above the head
 * without a staging was written by a tool from before the head (an older amictl); no reader sees it, and
 * the next apply of that config writes over it. Before the first head exists such a version is current
 * when its config's view names it (a conflict, reported with that version), and a leftover otherwise:
 * the apply then writes the first head, unchanged, and writes over it.
 *
 * Since a version item never changes once current and records the revision that made it current, a
 * listing of every family reads at one revision: its cursor carries the revision its first page read,
 * and a later page takes, for a family changed since, the latest version made current at or before it.
 */
import { randomUUID } from 'node:crypto';
import {
  type OrganizationConfig,
  organizationConfigOf,
  type Page,
  type PageRequest,
  type Policy,
  type StorageIssue,
  type StoredFamilyConfig,
  type StoredOrganizationConfig,
  ValidationError,
} from '@ami-lifecycle/core';
import { type AccessPattern, patterns } from './access-patterns';
import {
  MAX_CONFIG_AUTHOR_LENGTH,
  parseConfigInput,
  parseConfigOpts,
  parseFamily,
  parseOrganizationConfigInput,
} from './changes';
import {
  ConcurrentConfigApplyError,
  ConfigVersionConflictError,
  CorruptItemError,
  InvalidCursorError,
  ORGANIZATION_CONFIG,
  organizationConfigConflict,
} from './errors';
import { dynamoItemBytes, MAX_ITEM_BYTES } from './item-size';
import {
  familyConfigToItem,
  familyConfigViewToItem,
  type Item,
  itemStaging,
  itemToConfig,
  itemToOrganizationConfig,
  itemToPolicyHead,
  organizationConfigToItem,
  organizationConfigViewToItem,
  type PolicyHead,
  policyHeadToItem,
} from './items';
import {
  configKey,
  currentConfigKey,
  currentConfigKeys,
  currentOrganizationConfigKey,
  organizationConfigKey,
  policyHeadKey,
  type TableKey,
} from './keys';
import { decodeCursor, pageInMemory } from './pagination';

/**
 * A staged version younger than this belongs to an apply that may still be running and blocks another
 * apply of the same config; an older one is taken for the remains of an apply that died. An apply writes
 * its versions within seconds, so a quarter of an hour leaves a wide margin for slow clients.
 */
export const STALE_APPLY_MS = 15 * 60 * 1000;

/** What a policy apply stores and what it expects to find. */
export interface PolicyConfigChange {
  /**
   * The organisation config: its current version must be `expectedCurrent` (null: none yet), and with
   * `config` it is stored as the next one.
   */
  organization?: { expectedCurrent: number | null; config?: OrganizationConfig };
  /**
   * Every family of the policy, each checked the same way; those with a `config` are stored as their
   * next version, the others are only checked (a family changed meanwhile is a conflict too).
   */
  families: readonly { family: string; expectedCurrent: number | null; config?: unknown }[];
  at: string;
  by: string;
}

/** The versions an apply stored (none for a config it only checked). */
export interface AppliedPolicyConfigs {
  organization?: StoredOrganizationConfig;
  families: StoredFamilyConfig[];
}

/** Both catalogs store a policy this way; `amictl config apply` needs it besides the `CatalogPort`. */
export interface PolicyConfigStore {
  /**
   * Stores the policy's new config versions and makes them current together, or makes none current:
   * `ConfigVersionConflictError` when a config is not at the version expected, `ValidationError` when an
   * input is malformed or an item would exceed DynamoDB's item size, `ConcurrentConfigApplyError` when
   * another apply is storing versions of the same configs right now. A failure deletes what the apply
   * staged; after one whose outcome was unknown the head has moved on one revision, naming the same
   * versions.
   */
  applyPolicyConfigs(change: PolicyConfigChange): Promise<AppliedPolicyConfigs>;
}

/** The head as an apply starts from it; without a stored head, built from the pre-head current items. */
export interface HeadView {
  stored?: PolicyHead;
  /** 0 without a stored head. */
  revision: number;
  families: Readonly<Record<string, number>>;
  organization?: number;
}

/** One new config version of an apply. */
export interface StagedVersion {
  /** The family, or `ORGANIZATION_CONFIG` for the organisation config. */
  owner: string;
  version: number;
  expectedCurrent: number | null;
  key: TableKey;
  item: Item;
  bytes: number;
}

/** The current-config view of a config an apply stores, written once its version is current. */
export interface CurrentView {
  owner: string;
  version: number;
  key: TableKey;
  item: Item;
  bytes: number;
}

export interface ApplyPlan {
  base: HeadView;
  applyId: string;
  versions: StagedVersion[];
  /** The views of the new versions: with the head when they fit in its transaction, else right after. */
  views: CurrentView[];
  /** The head that makes the versions current. */
  head: Item;
  headBytes: number;
  applied: AppliedPolicyConfigs;
}

/** A config's version in a head's map (own properties only: family names are plain words). */
const versionIn = (versions: Readonly<Record<string, number>>, name: string): number | undefined =>
  Object.hasOwn(versions, name) ? versions[name] : undefined;

const currentOf = (view: HeadView, owner: string): number | undefined =>
  owner === ORGANIZATION_CONFIG ? view.organization : versionIn(view.families, owner);

const LIMIT = `DynamoDB's item size limit of 400 KB (${MAX_ITEM_BYTES} bytes, attribute names and values counted as DynamoDB counts them)`;

const tooLarge = (what: string, bytes: number): string =>
  `${what} would be stored as a DynamoDB item of ${bytes} bytes, over ${LIMIT}`;

/**
 * Checks an apply against the head it read and lays out its items. Throws before anything is written:
 * `ValidationError` for a malformed input or an item over DynamoDB's size limit (every such config
 * named), `ConfigVersionConflictError` for the first config not at its expected version.
 */
export const planPolicyApply = (base: HeadView, change: PolicyConfigChange, applyId: string): ApplyPlan => {
  const { at, by } = parseConfigOpts({ expectedCurrent: null, at: change.at, by: change.by });
  const staging = { policyRevision: base.revision + 1, applyId };
  const seen = new Set<string>();
  const versions: StagedVersion[] = [];
  const applied: AppliedPolicyConfigs = { families: [] };

  const org = change.organization;
  if (org !== undefined) {
    const { expectedCurrent } = parseConfigOpts({ expectedCurrent: org.expectedCurrent, at, by });
    if (org.config !== undefined) {
      const input = parseOrganizationConfigInput(org.config, { expectedCurrent, at, by });
      const stored: StoredOrganizationConfig = {
        version: (expectedCurrent ?? 0) + 1,
        config: JSON.parse(input.configJson) as unknown,
        storedAt: at,
        storedBy: by,
      };
      const item = organizationConfigToItem(stored, staging);
      versions.push({
        owner: ORGANIZATION_CONFIG,
        version: stored.version,
        expectedCurrent,
        key: organizationConfigKey(stored.version),
        item,
        bytes: dynamoItemBytes(item),
      });
      applied.organization = stored;
    }
  }
  for (const entry of change.families) {
    const family = parseFamily(entry.family);
    if (seen.has(family)) {
      throw new ValidationError('policy apply', [{ path: `families.${family}`, message: 'is given twice' }]);
    }
    seen.add(family);
    const { expectedCurrent } = parseConfigOpts({ expectedCurrent: entry.expectedCurrent, at, by });
    if (entry.config === undefined) continue;
    const input = parseConfigInput(family, entry.config, { expectedCurrent, at, by });
    const stored: StoredFamilyConfig = {
      family,
      version: (expectedCurrent ?? 0) + 1,
      config: JSON.parse(input.configJson) as unknown,
      storedAt: at,
      storedBy: by,
    };
    const item = familyConfigToItem(stored, staging);
    versions.push({
      owner: family,
      version: stored.version,
      expectedCurrent,
      key: configKey(family, stored.version),
      item,
      bytes: dynamoItemBytes(item),
    });
    applied.families.push(stored);
  }

  const views: CurrentView[] = [
    ...(applied.organization === undefined
      ? []
      : [
          {
            owner: ORGANIZATION_CONFIG,
            version: applied.organization.version,
            item: organizationConfigViewToItem(applied.organization, staging),
          },
        ]),
    ...applied.families.map((stored) => ({
      owner: stored.family,
      version: stored.version,
      item: familyConfigViewToItem(stored, staging),
    })),
  ].map((view) => ({
    ...view,
    key: { PK: String(view.item.PK), SK: String(view.item.SK) },
    bytes: dynamoItemBytes(view.item),
  }));
  const families = { ...base.families };
  for (const stored of applied.families) families[stored.family] = stored.version;
  const head = policyHeadToItem({
    revision: staging.policyRevision,
    families: Object.fromEntries(Object.entries(families).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    organization: applied.organization?.version ?? base.organization,
    appliedAt: at,
    appliedBy: by,
    applyId,
  });
  const headBytes = dynamoItemBytes(head);
  const viewBytes = new Map(views.map((v) => [v.owner, v.bytes]));
  const oversized = versions
    .map((v) => ({ ...v, bytes: Math.max(v.bytes, viewBytes.get(v.owner) ?? 0) }))
    .filter((v) => v.bytes > MAX_ITEM_BYTES)
    .map((v) =>
      v.owner === ORGANIZATION_CONFIG
        ? { path: 'organization', message: tooLarge('the organisation config', v.bytes) }
        : { path: `families.${v.owner}`, message: tooLarge(`family ${v.owner}'s config`, v.bytes) },
    );
  if (headBytes > MAX_ITEM_BYTES) {
    oversized.push({ path: 'families', message: tooLarge('the policy head (every family)', headBytes) });
  }
  if (oversized.length > 0) throw new ValidationError('policy apply', oversized);

  const conflict = expectationConflict(base, change);
  if (conflict !== undefined) throw conflict;
  return { base, applyId, versions, views, head, headBytes, applied };
};

/** The first config of `change` that `view` does not hold at the version the caller expects. */
export const expectationConflict = (
  view: HeadView,
  change: PolicyConfigChange,
): ConfigVersionConflictError | undefined => {
  const org = change.organization;
  if (org !== undefined && (view.organization ?? null) !== org.expectedCurrent) {
    return organizationConfigConflict(org.expectedCurrent, view.organization ?? null);
  }
  for (const { family, expectedCurrent } of change.families) {
    const actual = versionIn(view.families, family) ?? null;
    if (actual !== expectedCurrent) return new ConfigVersionConflictError(family, expectedCurrent, actual);
  }
  return undefined;
};

/** Whether an item at a version's key may be written over by `plan` (the condition its write carries). */
export const isOverwritable = (plan: ApplyPlan, existing: Item | undefined): boolean => {
  if (existing === undefined) return true;
  const staging = itemStaging(existing);
  // Without a staging: a tool from before the head wrote it above the head; no reader sees it.
  if (staging === undefined) return plan.base.stored !== undefined;
  return staging.policyRevision <= plan.base.revision;
};

/** The key of the current-config view of a config an apply stores. */
export const viewKeyOf = (version: StagedVersion): TableKey =>
  version.owner === ORGANIZATION_CONFIG ? currentOrganizationConfigKey() : currentConfigKey(version.owner);

/**
 * What an item found where an apply wanted to write a version means: `retry` (gone, or overwritable
 * now), `fence` (a stale staging of an apply that died, or a leftover from before the head: move the
 * head on, then retry), or the error to refuse with (another apply is storing it right now; or, before
 * the first head, a version current since the apply read it). `view` is the config's current-config
 * view, read consistently.
 */
export const collisionOf = (
  plan: ApplyPlan,
  version: StagedVersion,
  existing: Item | undefined,
  view: Item | undefined,
  at: string,
): 'retry' | 'fence' | Error => {
  if (isOverwritable(plan, existing) || existing === undefined) return 'retry';
  const staging = itemStaging(existing);
  const read = version.owner === ORGANIZATION_CONFIG ? itemToOrganizationConfig : itemToConfig;
  const stored = read(existing);
  const subject = version.owner === ORGANIZATION_CONFIG ? 'the organization' : `family ${version.owner}`;
  if (staging === undefined) {
    // Before the first head: the version is current if the view names it (written since the apply read
    // the views), and a leftover no reader sees otherwise.
    const current = view === undefined ? null : read(view).version;
    if (current === version.expectedCurrent) return 'fence';
    return version.owner === ORGANIZATION_CONFIG
      ? organizationConfigConflict(version.expectedCurrent, current)
      : new ConfigVersionConflictError(version.owner, version.expectedCurrent, current);
  }
  if (staging.policyRevision <= plan.base.revision) return 'retry';
  if (Date.parse(at) - Date.parse(stored.storedAt) >= STALE_APPLY_MS) return 'fence';
  return new ConcurrentConfigApplyError(
    subject,
    `version ${stored.version} staged at ${stored.storedAt} by ${stored.storedBy}`,
  );
};

/**
 * The head that only moves the revision on: an apply that read the former one can no longer finish. It
 * has an id of its own: it makes none of the fencing apply's versions current.
 */
export const fenceHead = (plan: ApplyPlan, change: PolicyConfigChange): Item =>
  policyHeadToItem({
    revision: plan.base.revision + 1,
    families: { ...plan.base.families },
    organization: plan.base.organization,
    appliedAt: change.at,
    appliedBy: change.by,
    applyId: randomUUID(),
  });

/** Whether a staged version of `plan` is still above what `head` makes current (so never current). */
export const isAboveHead = (head: HeadView, version: StagedVersion): boolean =>
  version.version > (currentOf(head, version.owner) ?? 0);

/**
 * Whether `plan`'s head was written, judged from a later head (which another apply may have moved on
 * since) and the items found at the plan's version keys: a version item this plan wrote (its apply and
 * revision) at or below what the head makes current was made current by this plan's head, since another
 * apply makes a version current only by writing it itself.
 */
export const wasMadeCurrent = (
  plan: ApplyPlan,
  head: PolicyHead | undefined,
  found: ReadonlyMap<string, Item>,
): boolean => {
  if (head === undefined) return false;
  if (head.applyId === plan.applyId) return true;
  const now = headViewOf(head);
  return plan.versions.some((version) => {
    const item = found.get(itemId(version.key));
    const staging = item && itemStaging(item);
    return (
      staging?.applyId === plan.applyId &&
      staging.policyRevision === plan.base.revision + 1 &&
      !isAboveHead(now, version)
    );
  });
};

// ---- sizes, for `config validate` ---------------------------------------------------------------------

/** The longest bookkeeping an apply may add: the widest version numbers, timestamp and author. */
const WIDEST = {
  version: 9_999_999_999,
  staging: { policyRevision: 9_999_999_999, applyId: '00000000-0000-0000-0000-000000000000' },
  storedAt: '2026-01-01T00:00:00.000000000+00:00',
  storedBy: 'x'.repeat(MAX_CONFIG_AUTHOR_LENGTH),
};

/** The size of the item a family's config is stored as, with the longest bookkeeping an apply adds. */
export const familyConfigItemBytes = (family: string, config: unknown): number => {
  const stored = {
    family,
    version: WIDEST.version,
    config,
    storedAt: WIDEST.storedAt,
    storedBy: WIDEST.storedBy,
  };
  return Math.max(
    dynamoItemBytes(familyConfigToItem(stored, WIDEST.staging)),
    dynamoItemBytes(familyConfigViewToItem(stored, WIDEST.staging)),
  );
};

/**
 * What of a valid policy the catalog could not store, judged before any apply: each family config, the
 * organisation config and the policy head (over this policy's families) measured as the stored items
 * would be, with the widest version numbers, timestamp and author an apply may add. An item over
 * DynamoDB's 400 KB is named with its size and the limit.
 */
export const policyStorageIssues = (policy: Policy): StorageIssue[] => {
  const issues: StorageIssue[] = [];
  for (const [name, config] of Object.entries(policy.families)) {
    const bytes = familyConfigItemBytes(name, config);
    if (bytes > MAX_ITEM_BYTES) {
      issues.push({ path: ['families', name], message: tooLarge(`family ${name}'s config`, bytes) });
    }
  }
  const org = {
    version: WIDEST.version,
    config: organizationConfigOf(policy),
    storedAt: WIDEST.storedAt,
    storedBy: WIDEST.storedBy,
  };
  const orgBytes = Math.max(
    dynamoItemBytes(organizationConfigToItem(org, WIDEST.staging)),
    dynamoItemBytes(organizationConfigViewToItem(org, WIDEST.staging)),
  );
  if (orgBytes > MAX_ITEM_BYTES) {
    issues.push({
      path: [],
      message: tooLarge('the organisation config (organization, accounts, regions, sweep)', orgBytes),
    });
  }
  const headBytes = dynamoItemBytes(
    policyHeadToItem({
      revision: WIDEST.version,
      families: Object.fromEntries(Object.keys(policy.families).map((name) => [name, WIDEST.version])),
      organization: WIDEST.version,
      appliedAt: WIDEST.storedAt,
      appliedBy: WIDEST.storedBy,
      applyId: WIDEST.staging.applyId,
    }),
  );
  if (headBytes > MAX_ITEM_BYTES) {
    issues.push({ path: ['families'], message: tooLarge('the policy head (every family)', headBytes) });
  }
  return issues;
};

// ---- reads, shared by both catalogs -------------------------------------------------------------------

/** What the readers need of a catalog: consistent reads by key and table or index queries. */
export interface ConfigItemSource {
  get(key: TableKey): Promise<Item | undefined>;
  /** The items of `keys` that exist, by `itemId`. */
  getMany(keys: readonly TableKey[]): Promise<Map<string, Item>>;
  page(pattern: AccessPattern, page: PageRequest | undefined): Promise<Page<Item>>;
  all(pattern: AccessPattern): Promise<Item[]>;
}

export const itemId = (key: TableKey): string => `${key.PK}\u0000${key.SK}`;

const missing = (key: TableKey): CorruptItemError =>
  new CorruptItemError(key, [
    { path: '', message: 'the policy head names this config version but it is missing' },
  ]);

export const readHead = async (source: ConfigItemSource): Promise<PolicyHead | undefined> => {
  const item = await source.get(policyHeadKey());
  return item && itemToPolicyHead(item);
};

export const headViewOf = (head: PolicyHead): HeadView => ({
  stored: head,
  revision: head.revision,
  families: head.families,
  organization: head.organization,
});

/**
 * The head an apply starts from. Without a stored one (a new table, or one written before the head),
 * the current versions are those of the `CONFIG#current` items, each read consistently, of the
 * families the `FAMILIES` list names and of `families` (those the apply names, which a list that has
 * not caught up yet may miss); the first apply writes the head.
 */
export const readHeadForWrite = async (
  source: ConfigItemSource,
  families: readonly string[] = [],
): Promise<HeadView> => {
  const head = await readHead(source);
  if (head !== undefined) return headViewOf(head);
  const listed = (await source.all(patterns.familyConfigs())).map((item) => itemToConfig(item).family);
  const names = [...new Set([...listed, ...families.filter(isFamilyName)])];
  const keys = names.map((name) => currentConfigKey(name));
  const [found, org] = await Promise.all([source.getMany(keys), source.get(currentOrganizationConfigKey())]);
  const current = keys.flatMap((key) => {
    const item = found.get(itemId(key));
    return item === undefined ? [] : [itemToConfig(item)];
  });
  return {
    revision: 0,
    families: Object.fromEntries(current.map((c) => [c.family, c.version])),
    organization: org && itemToOrganizationConfig(org).version,
  };
};

/** Whether a name an apply was given is a family's (a malformed one is refused by the plan, with the rest). */
const isFamilyName = (name: string): boolean => {
  try {
    parseFamily(name);
    return true;
  } catch {
    return false;
  }
};

/** A page of versions without those above `visible` (staged, never current); they sort last. */
const visiblePage = <T extends { version: number }>(
  raw: Page<Item>,
  visible: number,
  map: (item: Item) => T,
): Page<T> => {
  const items = raw.items.map(map).filter((c) => c.version <= visible);
  const last = items.at(-1);
  const more =
    raw.cursor !== undefined &&
    items.length === raw.items.length &&
    last !== undefined &&
    last.version < visible;
  return more ? { items, cursor: raw.cursor } : { items };
};

/** A config version by key; without a head, a staged one (it has a staging) is not a version yet. */
const preHeadVersion = <T>(item: Item | undefined, map: (item: Item) => T): T | undefined =>
  item === undefined || itemStaging(item) !== undefined ? undefined : map(item);

/**
 * Whether an item read beside the head may serve a read: a version item asked for, or a view written by
 * an apply (with its version's staging); a view from a tool older than the head may copy a version that
 * was never current.
 */
const usable = (found: Item | undefined, version: number | undefined): found is Item =>
  found !== undefined && (version !== undefined || itemStaging(found) !== undefined);

/**
 * The head and an item read together (one round trip): the current-config view, or the version asked
 * for, which is only used if the head makes it visible.
 */
const headAnd = async (
  source: ConfigItemSource,
  key: TableKey,
): Promise<[PolicyHead | undefined, Item | undefined]> => {
  const [headItem, item] = await Promise.all([source.get(policyHeadKey()), source.get(key)]);
  return [headItem && itemToPolicyHead(headItem), item];
};

export const readFamilyConfig = async (
  source: ConfigItemSource,
  family: string,
  version?: number,
): Promise<StoredFamilyConfig | undefined> => {
  const [head, found] = await headAnd(
    source,
    version === undefined ? currentConfigKey(family) : configKey(family, version),
  );
  if (head === undefined) return preHeadVersion(found, itemToConfig);
  const current = versionIn(head.families, family);
  if (current === undefined || (version !== undefined && version > current)) return undefined;
  // The view (or the version asked for) when it is the one the head names; the version item otherwise.
  const read = usable(found, version) ? itemToConfig(found) : undefined;
  if (read !== undefined && read.version === (version ?? current)) return read;
  const key = configKey(family, version ?? current);
  const item = await source.get(key);
  if (item === undefined) {
    if (version !== undefined && version < 1) return undefined;
    throw missing(key);
  }
  return itemToConfig(item);
};

export const readFamilyConfigVersions = async (
  source: ConfigItemSource,
  family: string,
  page?: PageRequest,
): Promise<Page<StoredFamilyConfig>> => {
  const head = await readHead(source);
  const visible =
    head === undefined
      ? ((await readFamilyConfig(source, family))?.version ?? 0)
      : (versionIn(head.families, family) ?? 0);
  return visiblePage(await source.page(patterns.familyConfigVersions(family), page), visible, itemToConfig);
};

/**
 * A cursor of the family listing: the position in the `FAMILIES` listing (a cursor of that index) and
 * the policy revision the listing's first page read (0: before the head).
 */
interface FamilyListCursor {
  revision: number;
  after: string;
}

const encodeFamilyListCursor = (cursor: FamilyListCursor): string =>
  Buffer.from(JSON.stringify({ revision: cursor.revision, after: cursor.after }), 'utf8').toString(
    'base64url',
  );

const decodeFamilyListCursor = (pattern: AccessPattern, cursor: string): FamilyListCursor => {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError('not a base64url string');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError('not a cursor this catalog handed out', { cause: error });
  }
  const record = (typeof decoded === 'object' && decoded !== null ? decoded : {}) as Record<string, unknown>;
  const { revision, after } = record;
  if (
    Object.keys(record).length !== 2 ||
    typeof revision !== 'number' ||
    !Number.isSafeInteger(revision) ||
    revision < 0 ||
    typeof after !== 'string'
  ) {
    throw new InvalidCursorError('it was handed out for another query');
  }
  decodeCursor(pattern, after);
  return { revision, after };
};

/** The revision that made a version item current: 0 for one written before the head. */
const revisionOf = (item: Item): number => itemStaging(item)?.policyRevision ?? 0;

/**
 * The version of `family` current at `revision`, when the head names a later one: the latest version
 * below it made current at or before `revision` (every version at or below the head's was made current,
 * by the revision it records); `undefined` when the family had no version then.
 */
const versionAtRevision = async (
  source: ConfigItemSource,
  family: string,
  below: number,
  revision: number,
): Promise<StoredFamilyConfig | undefined> => {
  const items = await source.all(patterns.familyConfigVersions(family));
  const then = items
    .map((item) => ({ item, version: itemToConfig(item).version }))
    .filter(({ item, version }) => version < below && revisionOf(item) <= revision)
    .sort((a, b) => b.version - a.version)[0];
  return then && itemToConfig(then.item);
};

/**
 * The current config of every family, by family name, with the cursors of the `FAMILIES` listing. A
 * listing reads at one policy revision: that of its first page, which its cursors carry; a later page
 * shows each family as it was at that revision, and leaves out one added since.
 */
export const readFamilyConfigs = async (
  source: ConfigItemSource,
  page?: PageRequest,
): Promise<Page<StoredFamilyConfig>> => {
  const pattern = patterns.familyConfigs();
  const from = page?.cursor === undefined ? undefined : decodeFamilyListCursor(pattern, page.cursor);
  const request: PageRequest = {
    ...(page?.limit === undefined ? {} : { limit: page.limit }),
    ...(from === undefined ? {} : { cursor: from.after }),
  };
  const head = await readHead(source);
  const revision = from?.revision ?? head?.revision ?? 0;
  if (revision > (head?.revision ?? 0)) {
    throw new InvalidCursorError(`it names policy revision ${revision}, which this catalog never had`);
  }
  const withCursor = <T>(items: T[], after: string | undefined): Page<T> =>
    after === undefined ? { items } : { items, cursor: encodeFamilyListCursor({ revision, after }) };
  if (head === undefined) {
    const raw = await source.page(pattern, request);
    return withCursor(raw.items.map(itemToConfig), raw.cursor);
  }
  const names = pageInMemory(
    pattern,
    Object.keys(head.families).map((name) => ({ key: { ...currentConfigKeys(name) }, value: name })),
    request,
  );
  const keys = names.items.map((name) => configKey(name, versionIn(head.families, name) ?? 0));
  const found = await source.getMany(keys);
  const items: StoredFamilyConfig[] = [];
  for (const [i, key] of keys.entries()) {
    const item = found.get(itemId(key));
    if (item === undefined) throw missing(key);
    const stored = itemToConfig(item);
    if (revisionOf(item) <= revision) {
      items.push(stored);
    } else {
      const then = await versionAtRevision(source, names.items[i] as string, stored.version, revision);
      if (then !== undefined) items.push(then);
    }
  }
  return withCursor(items, names.cursor);
};

export const readOrganizationConfig = async (
  source: ConfigItemSource,
  version?: number,
): Promise<StoredOrganizationConfig | undefined> => {
  const [head, found] = await headAnd(
    source,
    version === undefined ? currentOrganizationConfigKey() : organizationConfigKey(version),
  );
  if (head === undefined) return preHeadVersion(found, itemToOrganizationConfig);
  const current = head.organization;
  if (current === undefined || (version !== undefined && version > current)) return undefined;
  const read = usable(found, version) ? itemToOrganizationConfig(found) : undefined;
  if (read !== undefined && read.version === (version ?? current)) return read;
  const key = organizationConfigKey(version ?? current);
  const item = await source.get(key);
  if (item === undefined) {
    if (version !== undefined && version < 1) return undefined;
    throw missing(key);
  }
  return itemToOrganizationConfig(item);
};
