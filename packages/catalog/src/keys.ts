/**
 * The single-table keys of design 6, built and parsed here and nowhere else.
 *
 * | entity            | PK                          | SK                                   | GSI1 PK / SK                    | GSI2 PK / SK                             |
 * | ----------------- | --------------------------- | ------------------------------------ | ------------------------------- | ---------------------------------------- |
 * | policy head       | `POLICY`                    | `HEAD`                               |                                 |                                          |
 * | family config     | `FAMILY#<family>`           | `CONFIG#v<n, 10 digits>`             |                                 |                                          |
 * | current config    | `FAMILY#<family>`           | `CONFIG#current` (a view, checked against the head) | `FAMILIES` / `<family>` |                      |
 * | org config        | `ORG`                       | `CONFIG#v<n, 10 digits>`, `CONFIG#current` (a view) |                   |                                          |
 * | image             | `FAMILY#<family>`           | `IMAGE#<version>`                    |                                 | `STATE#<state>` / `<family>#<createdAt>#<version>`  |
 * | AMI pointer       | `FAMILY#<family>`           | `AMIREF#<version>#<region>`          | `AMI#<amiId>` / `REGION#<region>` | `REGION#<region>` / `<family>#<createdAt>#<version>` |
 * | channel           | `FAMILY#<family>`           | `CHANNEL#<name>`                     |                                 |                                          |
 * | channel history   | `FAMILY#<family>`           | `CHANHIST#<name>#<revision, 10 digits>` |                              |                                          |
 * | refresh decision  | `FAMILY#<family>`           | `REFRESH#<triggerKey>`               |                                 | `REFRESH#<family>` / `<decidedAt>#<triggerKey>` |
 * | hold              | `HOLD#<id>`                 | `HOLD`                               | `TARGET#<family or family@version>` / `HOLD#<id>` (unreleased only) | `HOLDS` / `<createdAt>#<id>` (unreleased only) |
 * | audit             | `AUDIT#<family>#<version>`  | `<at>#<seq, 10 digits>[#CHANNEL#<name>#<revision>]` |                  |                                          |
 * | plan              | `PLAN#<sweepId>`            | `SUMMARY`, `DECISION#<family>@<version>` | `PLANS` / `<generatedAt>#<sweepId>` (summary) |                      |
 * | batch outcome     | `SWEEP#<sweepId>`           | `BATCH#<n, 10 digits>`               |                                 |                                          |
 * | inventory part    | `INVENTORY#<sweepId>`       | `REGION#<region>`                    |                                 |                                          |
 * | inventory piece   | `INVENTORY#<sweepId>`       | `PIECE#<region>#<reading id>#<n, 10 digits>` |                      |                                          |
 *
 * Decisions, and why they depart from the letter of design 6:
 * - An image has one AMI id per region but an item carries one GSI1 key, so every region's AMI id gets
 *   its own small pointer item, written in the same transaction as the image change. The pointers also
 *   carry the region index (GSI2 `REGION#<region>`), so `listImagesByRegion` is a query too (no Scan).
 *   Pointers and channel history live under their own SK prefixes (`AMIREF#`, `CHANHIST#`) rather than
 *   under `IMAGE#<version>#...` / `CHANNEL#<name>#...`: then `begins_with(SK, 'IMAGE#')` and
 *   `begins_with(SK, 'CHANNEL#')` return exactly images and current channels, pages stay full, and
 *   listing channels does not read their whole history.
 * - Index sort keys end in a unique part (`#<version>`, `#<sweepId>`) so equal timestamps still give
 *   one deterministic order, and the in-memory twin can reproduce it exactly.
 * - Timestamps in keys are normalised to UTC `toISOString()` so that string order is time order
 *   whatever offset the caller used; the items keep the caller's text.
 * - Released holds drop their GSI1 and GSI2 keys (sparse indexes): listing a target's holds, or every
 *   active hold, returns the holds still in force, while `getHold` keeps the released record. GSI1 of a
 *   hold is its target, so the list of every hold in force is the `HOLDS` partition of GSI2, by creation
 *   time: one partition for the whole fleet, fine for the tens of holds legal keeps at a time. An expired
 *   hold keeps its keys until it is released: expiry is judged by the reader's clock.
 * - The organisation config (accounts, regions, organization, sweep guards) is versioned as a family's
 *   config is, under the partition `ORG`; it is in no index (it is read by key).
 * - Which config version is current is said by one item, the policy head (`POLICY` / `HEAD`): the
 *   current version of every family and of the organisation. A policy apply writes its new versions
 *   first and then replaces the head under a condition, so readers, who follow the head, see the whole
 *   policy or none of it, however many transactions the versions took (see `policy-apply.ts`).
 * - `CONFIG#current` is a view of the current version, written only once the head names that version,
 *   with that version's staging (`applyId`, `policyRevision`); a reader fetches it beside the head and
 *   uses it when the versions agree and it carries a staging, so a read stays one round trip. A family's
 *   view is listed in the `FAMILIES` partition of GSI1. Tables written before the head have only the
 *   views: they are read as they are while there is no head, and the first apply builds the head from
 *   them, each read consistently (GSI1 only lists their names).
 * - A version item records the head revision that made it current (`policyRevision`), and never changes
 *   once current. Every read is atomic on its own: a `listFamilyConfigs` cursor carries the revision its
 *   first page read, so every page of one listing is of that revision; the organisation config is read by
 *   another call, which may see a later revision.
 * - A sweep's inventory is one partition per sweep: a part per region (`REGION#<region>`, the reading's
 *   metadata, naming its reading) and the reading itself, compressed and cut into pieces under the item
 *   size, keyed by a reading id of its own (its start and random digits), so a retried reading never mixes
 *   with an earlier one, even one that began at the same instant. Both expire through `ttl`.
 * - A refresh decision is one item per family and trigger key (a later request replaces a skip in place).
 *   Its GSI2 partition `REFRESH#<family>` lists a family's decisions by `decidedAt`; the prefix cannot be
 *   mistaken for the `STATE#` and `REGION#` partitions of that index. Replacing a decision rewrites its
 *   sort key, so the list follows the decision on record.
 * - No key part may contain `#` (the separator), so every key parses back without ambiguity.
 */
import { InvalidKeyError } from './errors';

export const KEY_ATTRIBUTES = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK'] as const;
export type KeyAttribute = (typeof KEY_ATTRIBUTES)[number];
export type IndexName = 'GSI1' | 'GSI2';

export interface TableKey {
  PK: string;
  SK: string;
}
export interface Gsi1Key {
  GSI1PK: string;
  GSI1SK: string;
}
export interface Gsi2Key {
  GSI2PK: string;
  GSI2SK: string;
}

export const PREFIX = {
  family: 'FAMILY#',
  configVersion: 'CONFIG#v',
  image: 'IMAGE#',
  amiPointer: 'AMIREF#',
  channel: 'CHANNEL#',
  channelHistory: 'CHANHIST#',
  hold: 'HOLD#',
  holdTarget: 'TARGET#',
  audit: 'AUDIT#',
  plan: 'PLAN#',
  planDecision: 'DECISION#',
  inventory: 'INVENTORY#',
  sweep: 'SWEEP#',
  batch: 'BATCH#',
  inventoryPiece: 'PIECE#',
  state: 'STATE#',
  region: 'REGION#',
  ami: 'AMI#',
  refresh: 'REFRESH#',
} as const;
export const CONFIG_CURRENT_SK = 'CONFIG#current';
export const HOLD_SK = 'HOLD';
export const PLAN_SUMMARY_SK = 'SUMMARY';
export const PLANS_GSI1PK = 'PLANS';
export const FAMILIES_GSI1PK = 'FAMILIES';
export const HOLDS_GSI2PK = 'HOLDS';
export const ORG_PK = 'ORG';
export const POLICY_PK = 'POLICY';
export const POLICY_HEAD_SK = 'HEAD';

/** Widths of zero-padded numbers: 10 digits sort correctly up to 9,999,999,999. */
const NUMBER_WIDTH = 10;

const part = (value: string, what: string): string => {
  if (value.length === 0) throw new InvalidKeyError(`${what} must not be empty to be part of a key`);
  if (value.includes('#')) {
    throw new InvalidKeyError(`${what} '${value}' cannot be part of a key: '#' separates key parts`);
  }
  return value;
};

export const padNumber = (n: number, what: string): string => {
  if (!Number.isSafeInteger(n) || n < 0 || String(n).length > NUMBER_WIDTH) {
    throw new InvalidKeyError(`${what} ${n} must be an integer between 0 and ${'9'.repeat(NUMBER_WIDTH)}`);
  }
  return String(n).padStart(NUMBER_WIDTH, '0');
};

const parseNumber = (text: string, what: string): number => {
  if (!/^\d{10}$/.test(text)) {
    throw new InvalidKeyError(`${what} '${text}' is not a ${NUMBER_WIDTH}-digit number`);
  }
  return Number(text);
};

/** UTC `toISOString()` of a timestamp, so keys sort by time whatever offset the caller wrote. */
export const sortableTimestamp = (at: string): string => {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new InvalidKeyError(`timestamp '${at}' is not a date`);
  return new Date(ms).toISOString();
};

// ---- builders -------------------------------------------------------------------------------------

export const familyPk = (family: string): string => `${PREFIX.family}${part(family, 'family')}`;

export const configKey = (family: string, version: number): TableKey => ({
  PK: familyPk(family),
  SK: `${PREFIX.configVersion}${padNumber(version, 'config version')}`,
});

export const currentConfigKey = (family: string): TableKey => ({
  PK: familyPk(family),
  SK: CONFIG_CURRENT_SK,
});

/** The current config item also lists its family in the `FAMILIES` partition of GSI1. */
export const currentConfigKeys = (family: string): TableKey & Gsi1Key => ({
  ...currentConfigKey(family),
  GSI1PK: FAMILIES_GSI1PK,
  GSI1SK: part(family, 'family'),
});

export const organizationConfigKey = (version: number): TableKey => ({
  PK: ORG_PK,
  SK: `${PREFIX.configVersion}${padNumber(version, 'config version')}`,
});

export const currentOrganizationConfigKey = (): TableKey => ({ PK: ORG_PK, SK: CONFIG_CURRENT_SK });

/** The one item that names the current config version of every family and of the organisation. */
export const policyHeadKey = (): TableKey => ({ PK: POLICY_PK, SK: POLICY_HEAD_SK });

export const imageTableKey = (family: string, version: string): TableKey => ({
  PK: familyPk(family),
  SK: `${PREFIX.image}${part(version, 'version')}`,
});

const familyCreatedSk = (image: { family: string; version: string; createdAt: string }): string =>
  `${part(image.family, 'family')}#${sortableTimestamp(image.createdAt)}#${part(image.version, 'version')}`;

export const stateGsiPk = (state: string): string => `${PREFIX.state}${part(state, 'state')}`;
export const regionGsiPk = (region: string): string => `${PREFIX.region}${part(region, 'region')}`;
export const amiGsiPk = (amiId: string): string => `${PREFIX.ami}${part(amiId, 'AMI id')}`;

/** The keys of an image item: its table key and its place in the by-state index. */
export const imageKeys = (image: {
  family: string;
  version: string;
  state: string;
  createdAt: string;
}): TableKey & Gsi2Key => ({
  ...imageTableKey(image.family, image.version),
  GSI2PK: stateGsiPk(image.state),
  GSI2SK: familyCreatedSk(image),
});

/** The keys of the pointer item that makes one region's AMI id of an image findable. */
export const amiPointerKeys = (
  image: { family: string; version: string; createdAt: string },
  region: string,
  amiId: string,
): TableKey & Gsi1Key & Gsi2Key => ({
  PK: familyPk(image.family),
  SK: `${PREFIX.amiPointer}${part(image.version, 'version')}#${part(region, 'region')}`,
  GSI1PK: amiGsiPk(amiId),
  GSI1SK: `${PREFIX.region}${region}`,
  GSI2PK: regionGsiPk(region),
  GSI2SK: familyCreatedSk(image),
});

export const channelKey = (family: string, name: string): TableKey => ({
  PK: familyPk(family),
  SK: `${PREFIX.channel}${part(name, 'channel')}`,
});

export const channelHistoryPrefix = (name: string): string =>
  `${PREFIX.channelHistory}${part(name, 'channel')}#`;

export const channelHistoryKey = (family: string, name: string, revision: number): TableKey => ({
  PK: familyPk(family),
  SK: `${channelHistoryPrefix(name)}${padNumber(revision, 'channel revision')}`,
});

export const refreshDecisionTableKey = (family: string, triggerKey: string): TableKey => ({
  PK: familyPk(family),
  SK: `${PREFIX.refresh}${part(triggerKey, 'trigger key')}`,
});

export const refreshGsiPk = (family: string): string => `${PREFIX.refresh}${part(family, 'family')}`;

/** The keys of a refresh decision: its table key and its place, by decision time, in its family's list. */
export const refreshDecisionKeys = (decision: {
  family: string;
  triggerKey: string;
  decidedAt: string;
}): TableKey & Gsi2Key => ({
  ...refreshDecisionTableKey(decision.family, decision.triggerKey),
  GSI2PK: refreshGsiPk(decision.family),
  GSI2SK: `${sortableTimestamp(decision.decidedAt)}#${part(decision.triggerKey, 'trigger key')}`,
});

export const holdTableKey = (id: string): TableKey => ({
  PK: `${PREFIX.hold}${part(id, 'hold id')}`,
  SK: HOLD_SK,
});

export const holdTargetGsiPk = (
  target: { kind: 'family'; family: string } | { kind: 'image'; family: string; version: string },
): string =>
  target.kind === 'family'
    ? `${PREFIX.holdTarget}${part(target.family, 'family')}`
    : `${PREFIX.holdTarget}${part(target.family, 'family')}@${part(target.version, 'version')}`;

/**
 * A hold in force is listed under its target (GSI1) and among every active hold by creation time
 * (GSI2); a released one keeps only its table key.
 */
export const holdKeys = (hold: {
  id: string;
  target: Parameters<typeof holdTargetGsiPk>[0];
  createdAt: string;
  releasedAt?: string | undefined;
}): TableKey & Partial<Gsi1Key & Gsi2Key> =>
  hold.releasedAt === undefined
    ? {
        ...holdTableKey(hold.id),
        GSI1PK: holdTargetGsiPk(hold.target),
        GSI1SK: `${PREFIX.hold}${hold.id}`,
        GSI2PK: HOLDS_GSI2PK,
        GSI2SK: `${sortableTimestamp(hold.createdAt)}#${part(hold.id, 'hold id')}`,
      }
    : holdTableKey(hold.id);

export const auditPk = (family: string, version: string): string =>
  `${PREFIX.audit}${part(family, 'family')}#${part(version, 'version')}`;

/**
 * `seq` is the image's `stateVersion` after the change, unique per image because every audited image
 * change increments it under the lock. Channel moves do not change the image, so they add the
 * channel revision (unique per channel) to the key instead.
 */
export const auditKey = (
  record: { family: string; version: string; at: string; seq: number },
  channel?: { name: string; revision: number },
): TableKey => ({
  PK: auditPk(record.family, record.version),
  SK:
    `${sortableTimestamp(record.at)}#${padNumber(record.seq, 'audit seq')}` +
    (channel === undefined
      ? ''
      : `#${PREFIX.channel}${part(channel.name, 'channel')}#${padNumber(channel.revision, 'channel revision')}`),
});

export const planPk = (sweepId: string): string => `${PREFIX.plan}${part(sweepId, 'sweep id')}`;

export const planSummaryKeys = (plan: { sweepId: string; generatedAt: string }): TableKey & Gsi1Key => ({
  PK: planPk(plan.sweepId),
  SK: PLAN_SUMMARY_SK,
  GSI1PK: PLANS_GSI1PK,
  GSI1SK: `${sortableTimestamp(plan.generatedAt)}#${plan.sweepId}`,
});

export const planDecisionKey = (sweepId: string, image: { family: string; version: string }): TableKey => ({
  PK: planPk(sweepId),
  SK: `${PREFIX.planDecision}${part(image.family, 'family')}@${part(image.version, 'version')}`,
});

export const inventoryPk = (sweepId: string): string => `${PREFIX.inventory}${part(sweepId, 'sweep id')}`;

export const inventoryPartKey = (sweepId: string, region: string): TableKey => ({
  PK: inventoryPk(sweepId),
  SK: `${PREFIX.region}${part(region, 'region')}`,
});

/** A reading's id: its start (15 digits of milliseconds, until the year 33658) and 8 random hex digits. */
export const INVENTORY_READING_ID = /^\d{15}-[0-9a-f]{8}$/;

export const inventoryReadingId = (startedAt: string, random: string): string => {
  const id = `${String(Date.parse(sortableTimestamp(startedAt))).padStart(15, '0')}-${random}`;
  if (!INVENTORY_READING_ID.test(id)) throw new InvalidKeyError(`'${id}' is not an inventory reading id`);
  return id;
};

/** The sort key prefix of every piece of one reading. */
export const inventoryPiecePrefix = (region: string, reading: string): string =>
  `${PREFIX.inventoryPiece}${part(region, 'region')}#${part(reading, 'reading')}#`;

export const inventoryPieceKey = (
  sweepId: string,
  region: string,
  reading: string,
  index: number,
): TableKey => ({
  PK: inventoryPk(sweepId),
  SK: `${inventoryPiecePrefix(region, reading)}${padNumber(index, 'piece')}`,
});

export const sweepPk = (sweepId: string): string => `${PREFIX.sweep}${part(sweepId, 'sweep id')}`;

export const batchOutcomeKey = (sweepId: string, batch: number): TableKey => ({
  PK: sweepPk(sweepId),
  SK: `${PREFIX.batch}${padNumber(batch, 'batch')}`,
});

// ---- parser ---------------------------------------------------------------------------------------

export type ParsedKey =
  | { entity: 'policy-head' }
  | { entity: 'family-config'; family: string; version: number | 'current' }
  | { entity: 'organization-config'; version: number | 'current' }
  | { entity: 'image'; family: string; version: string }
  | { entity: 'ami-pointer'; family: string; version: string; region: string }
  | { entity: 'channel'; family: string; name: string }
  | { entity: 'channel-history'; family: string; name: string; revision: number }
  | { entity: 'refresh-decision'; family: string; triggerKey: string }
  | { entity: 'hold'; id: string }
  | {
      entity: 'audit';
      family: string;
      version: string;
      at: string;
      seq: number;
      channel?: { name: string; revision: number };
    }
  | { entity: 'plan-summary'; sweepId: string }
  | { entity: 'plan-decision'; sweepId: string; family: string; version: string }
  | { entity: 'inventory-part'; sweepId: string; region: string }
  | { entity: 'batch-outcome'; sweepId: string; batch: number }
  | { entity: 'inventory-piece'; sweepId: string; region: string; reading: string; index: number };
export type EntityName = ParsedKey['entity'];

const rest = (text: string, prefix: string): string | undefined =>
  text.startsWith(prefix) ? text.slice(prefix.length) : undefined;

/** Splits `text` into exactly `n` non-empty `#`-separated parts, or undefined. */
const split = (text: string, n: number): string[] | undefined => {
  const parts = text.split('#');
  return parts.length === n && parts.every((p) => p.length > 0) ? parts : undefined;
};

const parseFamilyItem = (family: string, sk: string): ParsedKey | undefined => {
  if (sk === CONFIG_CURRENT_SK) return { entity: 'family-config', family, version: 'current' };
  const configVersion = rest(sk, PREFIX.configVersion);
  if (configVersion !== undefined) {
    return { entity: 'family-config', family, version: parseNumber(configVersion, 'config version') };
  }
  const version = rest(sk, PREFIX.image);
  if (version !== undefined) return split(version, 1) && { entity: 'image', family, version };
  const pointer = rest(sk, PREFIX.amiPointer);
  if (pointer !== undefined) {
    const [v, region] = split(pointer, 2) ?? [];
    return v && region ? { entity: 'ami-pointer', family, version: v, region } : undefined;
  }
  const channel = rest(sk, PREFIX.channel);
  if (channel !== undefined) return split(channel, 1) && { entity: 'channel', family, name: channel };
  const history = rest(sk, PREFIX.channelHistory);
  if (history !== undefined) {
    const [name, revision] = split(history, 2) ?? [];
    return name && revision
      ? { entity: 'channel-history', family, name, revision: parseNumber(revision, 'channel revision') }
      : undefined;
  }
  const triggerKey = rest(sk, PREFIX.refresh);
  if (triggerKey !== undefined) {
    return split(triggerKey, 1) && { entity: 'refresh-decision', family, triggerKey };
  }
  return undefined;
};

const parseAuditSk = (family: string, version: string, sk: string): ParsedKey | undefined => {
  const parts = sk.split('#');
  const [at, seq, marker, name, revision] = parts;
  if (at === undefined || seq === undefined || Number.isNaN(Date.parse(at))) return undefined;
  const base = { entity: 'audit' as const, family, version, at, seq: parseNumber(seq, 'audit seq') };
  if (parts.length === 2) return base;
  if (parts.length === 5 && `${marker}#` === PREFIX.channel && name && revision) {
    return { ...base, channel: { name, revision: parseNumber(revision, 'channel revision') } };
  }
  return undefined;
};

/** Parses any table key of the catalog back into what it names; throws `InvalidKeyError` otherwise. */
export const parseKey = (key: TableKey): ParsedKey => {
  const { PK, SK } = key;
  const fail = (): never => {
    throw new InvalidKeyError(`'${PK}' / '${SK}' is not a key of the catalog table`);
  };
  let parsed: ParsedKey | undefined;
  const family = rest(PK, PREFIX.family);
  const hold = rest(PK, PREFIX.hold);
  const audit = rest(PK, PREFIX.audit);
  const plan = rest(PK, PREFIX.plan);
  const inventory = rest(PK, PREFIX.inventory);
  const sweep = rest(PK, PREFIX.sweep);
  if (family !== undefined) {
    parsed = split(family, 1) && parseFamilyItem(family, SK);
  } else if (PK === ORG_PK) {
    const version = rest(SK, PREFIX.configVersion);
    parsed =
      SK === CONFIG_CURRENT_SK
        ? { entity: 'organization-config', version: 'current' }
        : version === undefined
          ? undefined
          : { entity: 'organization-config', version: parseNumber(version, 'config version') };
  } else if (PK === POLICY_PK) {
    parsed = SK === POLICY_HEAD_SK ? { entity: 'policy-head' } : undefined;
  } else if (hold !== undefined) {
    parsed = split(hold, 1) && SK === HOLD_SK ? { entity: 'hold', id: hold } : undefined;
  } else if (audit !== undefined) {
    const [f, v] = split(audit, 2) ?? [];
    parsed = f && v ? parseAuditSk(f, v, SK) : undefined;
  } else if (plan !== undefined && split(plan, 1)) {
    if (SK === PLAN_SUMMARY_SK) {
      parsed = { entity: 'plan-summary', sweepId: plan };
    } else {
      const image = rest(SK, PREFIX.planDecision);
      const at = image?.indexOf('@') ?? -1;
      parsed =
        image !== undefined && at > 0 && at < image.length - 1 && split(image, 1)
          ? {
              entity: 'plan-decision',
              sweepId: plan,
              family: image.slice(0, at),
              version: image.slice(at + 1),
            }
          : undefined;
    }
  } else if (sweep !== undefined && split(sweep, 1)) {
    const batch = rest(SK, PREFIX.batch);
    parsed =
      batch === undefined
        ? undefined
        : { entity: 'batch-outcome', sweepId: sweep, batch: parseNumber(batch, 'batch') };
  } else if (inventory !== undefined && split(inventory, 1)) {
    parsed = parseInventorySk(inventory, SK);
  }
  return parsed ?? fail();
};

const parseInventorySk = (sweepId: string, sk: string): ParsedKey | undefined => {
  const region = rest(sk, PREFIX.region);
  if (region !== undefined) return split(region, 1) && { entity: 'inventory-part', sweepId, region };
  const [r, reading, index] = split(rest(sk, PREFIX.inventoryPiece) ?? '', 3) ?? [];
  return r && reading && index && INVENTORY_READING_ID.test(reading)
    ? { entity: 'inventory-piece', sweepId, region: r, reading, index: parseNumber(index, 'piece') }
    : undefined;
};
