import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AuditRecord,
  auditRecordSchema,
  type BatchOutcome,
  batchOutcomeSchema,
  type Channel,
  channelSchema,
  type Hold,
  holdSchema,
  type Image,
  type InventoryPart,
  imageDecisionSchema,
  imageSchema,
  inventoryPartSchema,
  isoTimestampSchema,
  type RefreshDecision,
  type RetentionPlan,
  refreshDecisionSchema,
  retentionPlanSchema,
  type StoredFamilyConfig,
  type StoredOrganizationConfig,
} from '@ami-lifecycle/core';
import * as z from 'zod';
import { parseInput } from './changes';
import { CorruptItemError } from './errors';
import {
  amiPointerKeys,
  auditKey,
  batchOutcomeKey,
  channelHistoryKey,
  channelKey,
  configKey,
  currentConfigKeys,
  currentOrganizationConfigKey,
  holdKeys,
  INVENTORY_READING_ID,
  imageKeys,
  inventoryPartKey,
  inventoryPieceKey,
  inventoryPiecePrefix,
  inventoryReadingId,
  KEY_ATTRIBUTES,
  organizationConfigKey,
  planDecisionKey,
  planSummaryKeys,
  policyHeadKey,
  refreshDecisionKeys,
  type TableKey,
} from './keys';

/**
 * Items are the domain object's fields plus their keys and an `entity` tag. Reading strips those and
 * parses the rest with the core schema, so a malformed item is named rather than passed on.
 */
export type Item = Record<string, unknown>;

const META_ATTRIBUTES = new Set<string>([...KEY_ATTRIBUTES, 'entity']);

/** lib-dynamodb refuses `undefined` unless the client was built to drop it; we never depend on that. */
export const withoutUndefined = <T>(value: T): T => {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    ) as T;
  }
  return value;
};

const keyOf = (item: Item): TableKey => ({
  PK: typeof item.PK === 'string' ? item.PK : '(missing PK)',
  SK: typeof item.SK === 'string' ? item.SK : '(missing SK)',
});

const issuesOf = (error: z.ZodError) =>
  error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));

/** Parses `item` without its meta attributes (and `extra` ones) with `schema`, or throws `CorruptItemError`. */
export const parseItem = <S extends z.ZodType>(
  schema: S,
  item: Item,
  extra: readonly string[] = [],
): z.infer<S> => {
  const body = Object.fromEntries(
    Object.entries(item).filter(([k]) => !META_ATTRIBUTES.has(k) && !extra.includes(k)),
  );
  const result = schema.safeParse(body);
  if (!result.success) throw new CorruptItemError(keyOf(item), issuesOf(result.error));
  return result.data;
};

/** Keys derived from an item's fields must equal the stored ones, or indexes would lie about it. */
const assertKeys = (item: Item, expected: Record<string, string | undefined>): void => {
  const issues = KEY_ATTRIBUTES.filter((a) => item[a] !== expected[a]).map((a) => ({
    path: a,
    message: `expected ${expected[a] ?? '(absent)'}, found ${String(item[a] ?? '(absent)')}`,
  }));
  if (issues.length > 0) throw new CorruptItemError(keyOf(item), issues);
};

// ---- images -----------------------------------------------------------------------------------------

export const imageToItem = (image: Image): Item => ({
  ...withoutUndefined(image),
  ...imageKeys(image),
  entity: 'image',
});

export const itemToImage = (item: Item): Image => {
  const image = parseItem(imageSchema, item);
  assertKeys(item, { ...imageKeys(image) });
  return image;
};

const amiPointerSchema = z.strictObject({
  family: z.string().min(1),
  version: z.string().min(1),
  region: z.string().min(1),
  amiId: z.string().min(1),
});
export type AmiPointer = z.infer<typeof amiPointerSchema>;

export const amiPointerToItem = (image: Image, region: string, amiId: string): Item => ({
  ...amiPointerKeys(image, region, amiId),
  entity: 'ami-pointer',
  family: image.family,
  version: image.version,
  region,
  amiId,
});

export const itemToAmiPointer = (item: Item): AmiPointer => parseItem(amiPointerSchema, item);

// ---- configs ------------------------------------------------------------------------------------------

/** Config is policy as code (JSON-shaped); it is stored as JSON text so it round-trips exactly. */
const configItemSchema = z.strictObject({
  family: z.string().min(1),
  version: z.number().int().positive(),
  configJson: z.string(),
  storedAt: isoTimestampSchema,
  storedBy: z.string().min(1),
});

/**
 * Who wrote a config version: the apply (`applyId`, random per apply) and the policy revision it was
 * written for (the head's revision it read, plus one). A version becomes current only when the head
 * names it; until then it is staged, and readers never see it.
 */
export interface ConfigStaging {
  policyRevision: number;
  applyId: string;
}
const STAGING_ATTRIBUTES = ['policyRevision', 'applyId'] as const;

const stagingSchema = z.object({
  policyRevision: z.number().int().positive(),
  applyId: z.string().min(1),
});

/** The staging of a config version item; `undefined` for one written before the policy head existed. */
export const itemStaging = (item: Item): ConfigStaging | undefined => {
  if (item.policyRevision === undefined && item.applyId === undefined) return undefined;
  const parsed = stagingSchema.safeParse({ policyRevision: item.policyRevision, applyId: item.applyId });
  if (!parsed.success) throw new CorruptItemError(keyOf(item), issuesOf(parsed.error));
  return parsed.data;
};

/** One version of a family's config, as the item under `CONFIG#v<n>`. */
export const familyConfigToItem = (stored: StoredFamilyConfig, staging: ConfigStaging): Item => ({
  entity: 'family-config',
  family: stored.family,
  version: stored.version,
  configJson: JSON.stringify(stored.config),
  storedAt: stored.storedAt,
  storedBy: stored.storedBy,
  ...staging,
  ...configKey(stored.family, stored.version),
});

/**
 * The current-config view of a family (`CONFIG#current`, listed in GSI1 `FAMILIES`): a copy of the
 * version the policy head names, with that version's staging, written only once that version is current.
 * Readers fetch it beside the head and use it when the versions agree and it carries a staging (a version
 * never changes once current), so a read is one round trip; a view that lags the head is not used, nor
 * one without a staging (written by a tool from before the head: it may copy a version never current).
 */
export const familyConfigViewToItem = (stored: StoredFamilyConfig, staging: ConfigStaging): Item => ({
  entity: 'family-config',
  family: stored.family,
  version: stored.version,
  configJson: JSON.stringify(stored.config),
  storedAt: stored.storedAt,
  storedBy: stored.storedBy,
  ...staging,
  ...currentConfigKeys(stored.family),
});

export const itemToConfig = (item: Item): StoredFamilyConfig => {
  const { configJson, ...rest } = parseItem(configItemSchema, item, STAGING_ATTRIBUTES);
  try {
    return { ...rest, config: JSON.parse(configJson) as unknown };
  } catch (error) {
    throw new CorruptItemError(keyOf(item), [{ path: 'configJson', message: 'is not JSON' }], {
      cause: error,
    });
  }
};

const organizationConfigItemSchema = configItemSchema.omit({ family: true });

/** One version of the organisation config, stored like a family's: JSON text under `ORG` / `CONFIG#v<n>`. */
export const organizationConfigToItem = (stored: StoredOrganizationConfig, staging: ConfigStaging): Item => ({
  entity: 'organization-config',
  version: stored.version,
  configJson: JSON.stringify(stored.config),
  storedAt: stored.storedAt,
  storedBy: stored.storedBy,
  ...staging,
  ...organizationConfigKey(stored.version),
});

/** The organisation's current-config view (`ORG` / `CONFIG#current`), as a family's. */
export const organizationConfigViewToItem = (
  stored: StoredOrganizationConfig,
  staging: ConfigStaging,
): Item => ({
  entity: 'organization-config',
  version: stored.version,
  configJson: JSON.stringify(stored.config),
  storedAt: stored.storedAt,
  storedBy: stored.storedBy,
  ...staging,
  ...currentOrganizationConfigKey(),
});

export const itemToOrganizationConfig = (item: Item): StoredOrganizationConfig => {
  const { configJson, ...rest } = parseItem(organizationConfigItemSchema, item, STAGING_ATTRIBUTES);
  try {
    return { ...rest, config: JSON.parse(configJson) as unknown };
  } catch (error) {
    throw new CorruptItemError(keyOf(item), [{ path: 'configJson', message: 'is not JSON' }], {
      cause: error,
    });
  }
};

/**
 * The policy head: the current config version of every family and of the organisation, the revision
 * (one more on every change of the head) and the apply that wrote it.
 */
const policyHeadSchema = z.strictObject({
  revision: z.number().int().positive(),
  families: z.record(z.string().min(1), z.number().int().positive()),
  organization: z.number().int().positive().optional(),
  appliedAt: isoTimestampSchema,
  appliedBy: z.string().min(1),
  applyId: z.string().min(1),
});
export type PolicyHead = z.infer<typeof policyHeadSchema>;

export const policyHeadToItem = (head: PolicyHead): Item => ({
  ...withoutUndefined(head),
  ...policyHeadKey(),
  entity: 'policy-head',
});

export const itemToPolicyHead = (item: Item): PolicyHead => {
  const head = parseItem(policyHeadSchema, item);
  assertKeys(item, { ...policyHeadKey() });
  return head;
};

// ---- channels ----------------------------------------------------------------------------------------

export const channelToItems = (channel: Channel): { current: Item; history: Item } => ({
  current: { ...channel, ...channelKey(channel.family, channel.name), entity: 'channel' },
  history: {
    ...channel,
    ...channelHistoryKey(channel.family, channel.name, channel.revision),
    entity: 'channel-history',
  },
});

export const itemToChannel = (item: Item): Channel => parseItem(channelSchema, item);

// ---- refresh decisions ---------------------------------------------------------------------------------

export const refreshDecisionToItem = (decision: RefreshDecision): Item => ({
  ...withoutUndefined(decision),
  ...refreshDecisionKeys(decision),
  entity: 'refresh-decision',
});

export const itemToRefreshDecision = (item: Item): RefreshDecision => {
  const decision = parseItem(refreshDecisionSchema, item);
  assertKeys(item, { ...refreshDecisionKeys(decision) });
  return decision;
};

// ---- holds ---------------------------------------------------------------------------------------------

/** `releasedBy` has no field in core's hold schema yet; the item keeps it for the record. */
export const holdToItem = (hold: Hold, releasedBy?: string): Item =>
  withoutUndefined({ ...hold, ...holdKeys(hold), entity: 'hold', releasedBy });

export const itemToHold = (item: Item): Hold => {
  const hold = parseItem(holdSchema, item, ['releasedBy']);
  assertKeys(item, { ...holdKeys(hold) });
  return hold;
};

// ---- audit ---------------------------------------------------------------------------------------------

export const auditToItem = (record: AuditRecord, channel?: { name: string; revision: number }): Item => ({
  ...withoutUndefined(record),
  ...auditKey(record, channel),
  entity: 'audit',
});

export const itemToAudit = (item: Item): AuditRecord => parseItem(auditRecordSchema, item);

// ---- plans ---------------------------------------------------------------------------------------------

const planSummarySchema = retentionPlanSchema.omit({ decisions: true, actions: true }).extend({
  decisionCount: z.number().int().nonnegative(),
  actionCount: z.number().int().nonnegative(),
});
export type PlanSummary = z.infer<typeof planSummarySchema>;

const planDecisionItemSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  decision: imageDecisionSchema,
  actionIndex: z.number().int().nonnegative().optional(),
  action: imageDecisionSchema.optional(),
});
export type PlanDecisionItem = z.infer<typeof planDecisionItemSchema>;

/**
 * A plan is one summary item plus one item per decision (a plan of thousands of images would not fit in
 * one 400 KB item). An action rides on the item of its image's decision, with its own position. The diff
 * stays on the summary: it lists what changed since the last sweep, a small part of the decisions.
 */
export const planToItems = (plan: RetentionPlan): { summary: Item; decisions: Item[] } => {
  const { decisions, actions, ...rest } = plan;
  const actionByImage = new Map(
    actions.map((action, actionIndex) => [`${action.family}@${action.version}`, { action, actionIndex }]),
  );
  return {
    summary: {
      ...withoutUndefined(rest),
      decisionCount: decisions.length,
      actionCount: actions.length,
      ...planSummaryKeys(plan),
      entity: 'plan-summary',
    },
    decisions: decisions.map((decision, index) => ({
      ...withoutUndefined({
        index,
        decision,
        ...actionByImage.get(`${decision.family}@${decision.version}`),
      }),
      ...planDecisionKey(plan.sweepId, decision),
      entity: 'plan-decision',
    })),
  };
};

export const itemToPlanSummary = (item: Item): PlanSummary => parseItem(planSummarySchema, item);

export const itemToPlanDecision = (item: Item): PlanDecisionItem => parseItem(planDecisionItemSchema, item);

/** Puts a plan back together from its items, checking that none went missing. */
export const assemblePlan = (summaryItem: Item, decisionItems: readonly Item[]): RetentionPlan => {
  const { decisionCount, actionCount, ...summary } = itemToPlanSummary(summaryItem);
  const parts = decisionItems.map(itemToPlanDecision);
  const decisions = [...parts].sort((a, b) => a.index - b.index);
  const actions = parts
    .flatMap((p) => (p.action === undefined ? [] : [{ action: p.action, at: p.actionIndex ?? -1 }]))
    .sort((a, b) => a.at - b.at);
  const issues = [
    ...(decisions.length === decisionCount && decisions.every((d, i) => d.index === i)
      ? []
      : [
          {
            path: 'decisionCount',
            message: `expected decisions 0..${decisionCount - 1}, found ${decisions.length}`,
          },
        ]),
    ...(actions.length === actionCount && actions.every((a, i) => a.at === i)
      ? []
      : [
          { path: 'actionCount', message: `expected actions 0..${actionCount - 1}, found ${actions.length}` },
        ]),
  ];
  if (issues.length > 0) throw new CorruptItemError(keyOf(summaryItem), issues);
  return { ...summary, decisions: decisions.map((d) => d.decision), actions: actions.map((a) => a.action) };
};

// ---- batch outcomes ------------------------------------------------------------------------------------

export const batchOutcomeToItem = (sweepId: string, batch: number, outcome: BatchOutcome): Item => ({
  ...withoutUndefined(parseInput(batchOutcomeSchema, outcome, 'batch outcome')),
  ...batchOutcomeKey(sweepId, batch),
  entity: 'batch-outcome',
  batch,
  ttl: sweepDataTtl(),
});

export const itemToBatchOutcome = (item: Item): { batch: number; outcome: BatchOutcome } => ({
  batch: parseItem(z.object({ batch: z.number().int().nonnegative() }).loose(), item).batch,
  outcome: parseItem(batchOutcomeSchema, item, ['batch', 'ttl']),
});

// ---- inventory -----------------------------------------------------------------------------------------

/** Compressed bytes per piece: well under DynamoDB's 400 KB item, keys and metadata included. */
export const INVENTORY_PIECE_BYTES = 300_000;
/** A sweep's inventory is kept this long for `retention show` and support, then expires through TTL. */
export const INVENTORY_TTL_DAYS = 35;

const inventoryHeadSchema = inventoryPartSchema
  .pick({ sweepId: true, region: true, startedAt: true, finishedAt: true })
  .extend({
    /** The reading whose pieces are this region's: see `inventoryReadingId`. */
    reading: z.string().regex(INVENTORY_READING_ID),
    pieces: z.number().int().positive(),
    bytes: z.number().int().nonnegative(),
    facts: z.number().int().nonnegative(),
  });
export type InventoryHead = z.infer<typeof inventoryHeadSchema>;

const inventoryPieceSchema = z.strictObject({ data: z.instanceof(Uint8Array) });

/**
 * A region's inventory as items: a head naming the reading (when it began and ended, how many pieces)
 * and the reading itself, gzipped JSON cut into pieces. Tens of thousands of facts are megabytes of JSON;
 * compressed they are a few pieces, and the head is written last, so a reader sees a whole reading or the
 * one before it.
 */
export const inventoryPartToItems = (part: InventoryPart): { head: Item; pieces: Item[] } => {
  const parsed = parseInput(inventoryPartSchema, part, 'inventory part');
  const { facts, untracked, missing, unknown } = parsed;
  const reading = inventoryReadingId(parsed.startedAt, randomBytes(4).toString('hex'));
  // Never empty: gzip output has a header, so there is always a first piece.
  const bytes = gzipSync(Buffer.from(JSON.stringify({ facts, untracked, missing, unknown })));
  const pieces: Item[] = [];
  for (let at = 0, index = 0; at < bytes.length; at += INVENTORY_PIECE_BYTES, index += 1) {
    pieces.push({
      ...inventoryPieceKey(parsed.sweepId, parsed.region, reading, index),
      entity: 'inventory-piece',
      data: new Uint8Array(bytes.subarray(at, at + INVENTORY_PIECE_BYTES)),
      ttl: sweepDataTtl(),
    });
  }
  const head: InventoryHead = {
    sweepId: parsed.sweepId,
    region: parsed.region,
    // UTC, so that the store's "an earlier reading never replaces a later one" compares as time.
    startedAt: new Date(Date.parse(parsed.startedAt)).toISOString(),
    finishedAt: parsed.finishedAt,
    reading,
    pieces: pieces.length,
    bytes: bytes.length,
    facts: facts.length,
  };
  return {
    head: {
      ...head,
      ...inventoryPartKey(parsed.sweepId, parsed.region),
      entity: 'inventory-part',
      ttl: sweepDataTtl(),
    },
    pieces,
  };
};

/**
 * When a sweep's stored data expires: `INVENTORY_TTL_DAYS` after it is written, by the machine's clock,
 * which is the one DynamoDB's TTL compares with (a simulated sweep date may lie in the past).
 */
const sweepDataTtl = (): number => Math.floor(Date.now() / 1000) + INVENTORY_TTL_DAYS * 86_400;

const itemToInventoryHead = (item: Item): InventoryHead => parseItem(inventoryHeadSchema, item, ['ttl']);

/** Every region's part of a sweep's inventory from the items of its partition, by region. */
export const assembleInventoryParts = (items: readonly Item[]): InventoryPart[] =>
  items
    .filter((item) => item.entity === 'inventory-part')
    .map((head) => assembleInventoryPart(head, items))
    .sort((a, b) => a.region.localeCompare(b.region));

/**
 * A region's inventory back from its head and the pieces of its reading (pieces of other readings are
 * ignored); a missing piece or a body that does not parse is named by the head's key.
 */
export const assembleInventoryPart = (headItem: Item, pieceItems: readonly Item[]): InventoryPart => {
  const head = itemToInventoryHead(headItem);
  const prefix = inventoryPiecePrefix(head.region, head.reading);
  const mine = pieceItems
    .filter((p) => typeof p.SK === 'string' && p.SK.startsWith(prefix))
    .sort((a, b) => String(a.SK).localeCompare(String(b.SK)));
  if (mine.length !== head.pieces) {
    throw new CorruptItemError(keyOf(headItem), [
      { path: 'pieces', message: `expected ${head.pieces} pieces of the reading, found ${mine.length}` },
    ]);
  }
  const bytes = Buffer.concat(mine.map((p) => parseItem(inventoryPieceSchema, p, ['ttl']).data));
  let body: unknown;
  try {
    body = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch (error) {
    throw new CorruptItemError(keyOf(headItem), [
      { path: 'pieces', message: `the reading does not decompress: ${(error as Error).message}` },
    ]);
  }
  const result = inventoryPartSchema.safeParse({
    ...(body as object),
    sweepId: head.sweepId,
    region: head.region,
    startedAt: head.startedAt,
    finishedAt: head.finishedAt,
  });
  if (!result.success) throw new CorruptItemError(keyOf(headItem), issuesOf(result.error));
  return result.data;
};
