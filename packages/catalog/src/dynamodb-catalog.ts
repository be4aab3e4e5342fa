import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type AuditContext,
  type AuditRecord,
  assertTransition,
  type BatchOutcome,
  type CatalogPort,
  type Channel,
  type Hold,
  type HoldTarget,
  holdSchema,
  holdTargetSchema,
  type Image,
  type InventoryPart,
  imageSchema,
  type LifecycleState,
  lifecycleStateSchema,
  type OrganizationConfig,
  type Page,
  type PageRequest,
  type RecordedRefreshDecision,
  type RefreshDecision,
  type RetentionPlan,
  refreshDecisionSchema,
  type StoredFamilyConfig,
  type StoredOrganizationConfig,
  type TransitionRequest,
} from '@ami-lifecycle/core';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type AccessPattern, patterns } from './access-patterns';
import {
  changedAmiIds,
  channelAudit,
  checkPlan,
  checkTransitionRequest,
  createAudit,
  expectedRevisionSchema,
  holdReleaseSchema,
  nextChannel,
  nextImage,
  type PlanListing,
  parseAuditContext,
  parseFamily,
  parseInput,
  parseStateVersion,
  parseTimestamp,
  parseUpdateAudit,
  planListing,
  transitionAudit,
  updateAudit,
} from './changes';
import { defaultDocumentClient } from './document-client';
import {
  ChannelConflictError,
  ChannelTargetNotPublishedError,
  ConcurrentConfigApplyError,
  CorruptItemError,
  HoldAlreadyExistsError,
  HoldNotFoundError,
  ImageAlreadyExistsError,
  ImageNotFoundError,
  type ImageStamp,
  PlanAlreadyExistsError,
  QueryBoundExceededError,
  StaleImageError,
  TransitionConflictError,
  UnprocessedItemsError,
} from './errors';
import { MAX_TRANSACTION_BYTES, MAX_TRANSACTION_ITEMS } from './item-size';
import {
  type AmiPointer,
  amiPointerToItem,
  assembleInventoryParts,
  assemblePlan,
  auditToItem,
  batchOutcomeToItem,
  channelToItems,
  holdToItem,
  type Item,
  imageToItem,
  inventoryPartToItems,
  itemToAmiPointer,
  itemToAudit,
  itemToBatchOutcome,
  itemToChannel,
  itemToHold,
  itemToImage,
  itemToPlanSummary,
  itemToRefreshDecision,
  type PolicyHead,
  planToItems,
  refreshDecisionToItem,
} from './items';
import {
  channelKey,
  holdTableKey,
  imageTableKey,
  PLAN_SUMMARY_SK,
  planPk,
  policyHeadKey,
  refreshDecisionTableKey,
  type TableKey,
} from './keys';
import { compareBytes, decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageLimit } from './pagination';
import {
  type AppliedPolicyConfigs,
  type ApplyPlan,
  type ConfigItemSource,
  type CurrentView,
  collisionOf,
  expectationConflict,
  fenceHead,
  type HeadView,
  headViewOf,
  isAboveHead,
  itemId,
  type PolicyConfigChange,
  type PolicyConfigStore,
  planPolicyApply,
  readFamilyConfig,
  readFamilyConfigs,
  readFamilyConfigVersions,
  readHead,
  readHeadForWrite,
  readOrganizationConfig,
  type StagedVersion,
  viewKeyOf,
  wasMadeCurrent,
} from './policy-apply';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One item of a transaction and, if it has a condition, what its failure means to the caller. */
interface Step {
  item: TransactItem;
  onConditionFailed?: (cause: unknown) => Promise<Error>;
}
type ConflictHandler = NonNullable<Step['onConditionFailed']>;

/** A policy apply that met a change it does not care about (or fenced off a dead one): read and try again. */
class RetryApply extends Error {
  constructor(cause: unknown) {
    super('the policy head moved; the apply is retried', { cause });
  }
}

/** Bounds on the transactions of a policy apply. */
interface TransactionLimits {
  maxItems: number;
  maxBytes: number;
}

/**
 * Cuts a policy apply's version writes into transactions; each also carries the head (a check, or
 * the new head in the last), so each holds at most `maxItems - 1` writes and room for the head's bytes.
 */
const splitTransactions = <T extends { bytes: number }>(
  writes: readonly T[],
  headBytes: number,
  limits: TransactionLimits,
): T[][] => {
  const transactions: T[][] = [[]];
  let bytes = headBytes;
  for (const write of writes) {
    const current = transactions[transactions.length - 1] as T[];
    if (
      current.length > 0 &&
      (current.length + 2 > limits.maxItems || bytes + write.bytes > limits.maxBytes)
    ) {
      transactions.push([write]);
      bytes = headBytes + write.bytes;
    } else {
      current.push(write);
      bytes += write.bytes;
    }
  }
  return transactions;
};

export interface DynamoDbCatalogOptions {
  tableName: string;
  /** Defaults to the module-scope client, so a Lambda builds it once per container. */
  client?: DynamoDBDocumentClient;
  /**
   * Bounds retries of what DynamoDB may refuse transiently: transactions cancelled by a concurrent one
   * (`TransactionConflict`) and unprocessed batch items. Delays are full-jitter exponential.
   */
  retry?: { maxAttempts?: number; baseDelayMs?: number };
  /**
   * Bounds on one transaction of a policy apply: DynamoDB's own (100 actions, 4 MB) unless lower ones
   * are given, as a test does to spread a small policy over several transactions.
   */
  transactions?: { maxItems?: number; maxBytes?: number };
}

/** Pages a whole-result query may read before the catalog refuses it as unbounded. */
const MAX_QUERY_PAGES = 1_000;
const BATCH_WRITE_SIZE = 25;
/** Requests by key sent at once (the family list's reads, a failed apply's clean-up). */
const PARALLEL_REQUESTS = 25;

const pause = (ms: number) =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
const stamp = (image: Image): ImageStamp => ({ state: image.state, stateVersion: image.stateVersion });
const errorName = (error: unknown): string | undefined => (error instanceof Error ? error.name : undefined);

/**
 * The catalog over one DynamoDB table (design 6). Every multi-item change is one transaction whose
 * failed conditions become the named errors of this package, except a policy apply too large for one:
 * its versions take several and one conditioned head makes them current (`policy-apply.ts`). Every item
 * read is parsed with the core schemas. See `keys.ts` for the layout. Reads by key and table queries are
 * strongly consistent, and so is the family list (the policy head, then its families' items by key); the
 * index queries (by state, region, AMI id, hold target, active holds, plan list, refresh decisions) are
 * eventually consistent, as DynamoDB indexes are; the images behind region and AMI id pointers are then
 * read consistently.
 */
export class DynamoDbCatalog implements CatalogPort, PolicyConfigStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly transactionLimits: TransactionLimits;

  constructor(opts: DynamoDbCatalogOptions) {
    this.tableName = opts.tableName;
    this.client = opts.client ?? defaultDocumentClient();
    this.maxAttempts = opts.retry?.maxAttempts ?? 5;
    this.baseDelayMs = opts.retry?.baseDelayMs ?? 25;
    const maxItems = opts.transactions?.maxItems ?? MAX_TRANSACTION_ITEMS;
    if (!Number.isInteger(maxItems) || maxItems < 2 || maxItems > MAX_TRANSACTION_ITEMS) {
      throw new RangeError(`transactions.maxItems must be an integer from 2 to ${MAX_TRANSACTION_ITEMS}`);
    }
    // A little under DynamoDB's 4 MB: the conditions and keys of the actions travel in the request too.
    this.transactionLimits = {
      maxItems,
      maxBytes: Math.min(
        opts.transactions?.maxBytes ?? MAX_TRANSACTION_BYTES,
        MAX_TRANSACTION_BYTES - 64 * 1024,
      ),
    };
  }

  // ---- configs ------------------------------------------------------------------------------------------

  /** One family's config as the next version: a policy apply of that family alone (see `policy-apply.ts`). */
  async putFamilyConfig(
    family: string,
    config: unknown,
    opts: { expectedCurrent: number | null; at: string; by: string },
  ): Promise<StoredFamilyConfig> {
    const applied = await this.applyPolicyConfigs({
      families: [{ family, expectedCurrent: opts.expectedCurrent, config }],
      at: opts.at,
      by: opts.by,
    });
    return applied.families[0] as StoredFamilyConfig;
  }

  getFamilyConfig(family: string, version?: number): Promise<StoredFamilyConfig | undefined> {
    return readFamilyConfig(this.configSource, family, version);
  }

  listFamilyConfigVersions(family: string, page?: PageRequest): Promise<Page<StoredFamilyConfig>> {
    return readFamilyConfigVersions(this.configSource, family, page);
  }

  /** The families the policy head names, by name; their configs read consistently. */
  listFamilyConfigs(page?: PageRequest): Promise<Page<StoredFamilyConfig>> {
    return readFamilyConfigs(this.configSource, page);
  }

  /** The organisation config as the next version: a policy apply of it alone. */
  async putOrganizationConfig(
    config: OrganizationConfig,
    opts: { expectedCurrent: number | null; at: string; by: string },
  ): Promise<StoredOrganizationConfig> {
    const applied = await this.applyPolicyConfigs({
      organization: { expectedCurrent: opts.expectedCurrent, config },
      families: [],
      at: opts.at,
      by: opts.by,
    });
    return applied.organization as StoredOrganizationConfig;
  }

  getOrganizationConfig(version?: number): Promise<StoredOrganizationConfig | undefined> {
    return readOrganizationConfig(this.configSource, version);
  }

  /**
   * Stores a policy's configs whole or not at all (see `policy-apply.ts`): the new versions, then the
   * head that makes them current, in one transaction when they fit and in several otherwise, the head
   * last. A head moved by a change this apply does not care about is read again and the apply retried.
   */
  async applyPolicyConfigs(change: PolicyConfigChange): Promise<AppliedPolicyConfigs> {
    const applyId = randomUUID();
    for (let attempt = 1; ; attempt += 1) {
      const names = change.families.map((f) => f.family);
      const plan = planPolicyApply(await readHeadForWrite(this.configSource, names), change, applyId);
      if (plan.versions.length === 0) return plan.applied;
      if ((await this.writePlan(plan, change)) === 'written') return plan.applied;
      if (attempt >= this.maxAttempts) {
        throw new ConcurrentConfigApplyError(
          'the policy',
          `its head changed under each of ${this.maxAttempts} attempts`,
        );
      }
    }
  }

  // ---- images -------------------------------------------------------------------------------------------

  async createImage(image: Image, audit: AuditContext): Promise<void> {
    const parsed = parseInput(imageSchema, image, 'image');
    const record = createAudit(parsed, parseAuditContext(audit));
    const exists = async (cause: unknown) =>
      new ImageAlreadyExistsError(parsed.family, parsed.version, { cause });
    await this.transact(
      [
        { item: { Put: this.putNew(imageToItem(parsed)) }, onConditionFailed: exists },
        { item: { Put: this.putNew(auditToItem(record)) }, onConditionFailed: exists },
        ...this.pointerSteps(undefined, parsed),
      ],
      exists,
    );
  }

  async getImage(family: string, version: string): Promise<Image | undefined> {
    const item = await this.get(imageTableKey(family, version));
    return item && itemToImage(item);
  }

  async transitionImage(req: TransitionRequest): Promise<Image> {
    assertTransition(req.from, req.to);
    checkTransitionRequest(req);
    const { family, version, from, to, expectedStateVersion } = req;
    const conflict = (actual: ImageStamp, cause?: unknown) =>
      new TransitionConflictError(family, version, from, to, expectedStateVersion, actual, { cause });
    const current = await this.getImage(family, version);
    if (current === undefined) throw new ImageNotFoundError(family, version);
    if (current.state !== from || current.stateVersion !== expectedStateVersion) {
      throw conflict(stamp(current));
    }

    const next = nextImage(current, req.patch, { state: to, at: req.at });
    const channels = await Promise.all(
      (req.moveChannels ?? []).map(async (name) => {
        const before = await this.getChannel(family, name);
        const after = nextChannel(family, name, version, before, req.at, req.audit.actor);
        return this.channelSteps(before?.revision ?? null, after, channelAudit(next, after, req.audit));
      }),
    );
    const imageChanged = async (cause: unknown) => {
      const actual = await this.getImage(family, version);
      return actual === undefined
        ? new ImageNotFoundError(family, version, { cause })
        : conflict(stamp(actual), cause);
    };
    await this.transact(
      [
        this.imageUpdateStep(current, next, { state: from }, imageChanged),
        {
          item: { Put: this.putNew(auditToItem(transitionAudit(req, next))) },
          onConditionFailed: imageChanged,
        },
        ...channels.flat(),
        ...this.pointerSteps(current, next),
      ],
      imageChanged,
    );
    return next;
  }

  async updateImage(
    family: string,
    version: string,
    expectedStateVersion: number,
    patch: TransitionRequest['patch'],
    audit: AuditContext & { at: string; action: string },
  ): Promise<Image> {
    parseFamily(family);
    parseStateVersion(expectedStateVersion);
    parseUpdateAudit(audit);
    const stale = (actual: ImageStamp, cause?: unknown) =>
      new StaleImageError(family, version, { stateVersion: expectedStateVersion }, actual, { cause });
    const current = await this.getImage(family, version);
    if (current === undefined) throw new ImageNotFoundError(family, version);
    if (current.stateVersion !== expectedStateVersion) throw stale(stamp(current));

    const next = nextImage(current, patch, {});
    const record = updateAudit(next, audit);
    const imageChanged = async (cause: unknown) => {
      const actual = await this.getImage(family, version);
      return actual === undefined
        ? new ImageNotFoundError(family, version, { cause })
        : stale(stamp(actual), cause);
    };
    await this.transact(
      [
        this.imageUpdateStep(current, next, {}, imageChanged),
        { item: { Put: this.putNew(auditToItem(record)) }, onConditionFailed: imageChanged },
        ...this.pointerSteps(current, next),
      ],
      imageChanged,
    );
    return next;
  }

  listImagesByFamily(family: string, page?: PageRequest): Promise<Page<Image>> {
    return this.queryPage(patterns.familyImages(family), page, itemToImage);
  }

  listImagesByState(state: LifecycleState, page?: PageRequest): Promise<Page<Image>> {
    parseInput(lifecycleStateSchema, state, 'state');
    return this.queryPage(patterns.imagesByState(state), page, itemToImage);
  }

  async findImagesByAmiId(amiId: string): Promise<Image[]> {
    const pointers = (await this.queryAll(patterns.imagesByAmiId(amiId))).map(itemToAmiPointer);
    const images = await this.imagesOf(pointers);
    const unique = new Map(images.map((image) => [`${image.family}@${image.version}`, image]));
    return [...unique.values()].sort(
      (a, b) => compareBytes(a.family, b.family) || compareBytes(a.version, b.version),
    );
  }

  async listImagesByRegion(region: string, page?: PageRequest): Promise<Page<Image>> {
    const pointers = await this.queryPage(patterns.imagesByRegion(region), page, itemToAmiPointer);
    return { ...pointers, items: await this.imagesOf(pointers.items) };
  }

  listAudit(family: string, version: string, page?: PageRequest): Promise<Page<AuditRecord>> {
    return this.queryPage(patterns.audit(family, version), page, itemToAudit);
  }

  // ---- channels -------------------------------------------------------------------------------------------

  async getChannel(family: string, name: string): Promise<Channel | undefined> {
    const item = await this.get(channelKey(family, name));
    return item && itemToChannel(item);
  }

  async listChannels(family: string): Promise<Channel[]> {
    return (await this.queryAll(patterns.channels(family))).map(itemToChannel);
  }

  channelHistory(family: string, name: string, page?: PageRequest): Promise<Page<Channel>> {
    return this.queryPage(patterns.channelHistory(family, name), page, itemToChannel);
  }

  async setChannel(
    family: string,
    name: string,
    version: string,
    opts: { expectedRevision: number | null; at: string; audit: AuditContext },
  ): Promise<Channel> {
    parseFamily(family);
    const expectedRevision = parseInput(expectedRevisionSchema, opts.expectedRevision, 'expected revision');
    parseTimestamp(opts.at, 'channel move time');
    const audit = parseAuditContext(opts.audit);
    const image = await this.getImage(family, version);
    if (image?.state !== 'published') {
      throw new ChannelTargetNotPublishedError(family, name, version, image?.state);
    }
    const current = await this.getChannel(family, name);
    if ((current?.revision ?? null) !== expectedRevision) {
      throw new ChannelConflictError(family, name, expectedRevision, current?.revision ?? null);
    }
    const next = nextChannel(family, name, version, current, opts.at, audit.actor);
    const notPublished = async (cause: unknown) =>
      new ChannelTargetNotPublishedError(
        family,
        name,
        version,
        (await this.getImage(family, version))?.state,
        {
          cause,
        },
      );
    await this.transact(
      [
        {
          item: {
            ConditionCheck: {
              TableName: this.tableName,
              Key: imageTableKey(family, version),
              ConditionExpression: '#state = :published',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':published': 'published' },
            },
          },
          onConditionFailed: notPublished,
        },
        ...this.channelSteps(expectedRevision, next, channelAudit(image, next, audit)),
      ],
      async (cause) =>
        new ChannelConflictError(family, name, expectedRevision, await this.channelRevision(family, name), {
          cause,
        }),
    );
    return next;
  }

  // ---- holds ------------------------------------------------------------------------------------------------

  async putHold(hold: Hold): Promise<void> {
    const parsed = parseInput(holdSchema, hold, 'hold');
    try {
      await this.client.send(new PutCommand(this.putNew(holdToItem(parsed))));
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        throw new HoldAlreadyExistsError(parsed.id, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Releasing is idempotent: a hold released before is returned as it was (first release wins), so a
   * redelivered event cannot fail. The hold leaves its target's index and stays readable by id.
   */
  async releaseHold(id: string, at: string, by: string): Promise<Hold> {
    const input = parseInput(holdReleaseSchema, { id, at, by }, 'hold release');
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: holdTableKey(id),
          UpdateExpression: 'SET #releasedAt = :at, #releasedBy = :by REMOVE GSI1PK, GSI1SK, GSI2PK, GSI2SK',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#releasedAt)',
          ExpressionAttributeNames: { '#releasedAt': 'releasedAt', '#releasedBy': 'releasedBy' },
          ExpressionAttributeValues: { ':at': input.at, ':by': input.by },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return itemToHold(out.Attributes ?? {});
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      const current = await this.getHold(id);
      if (current === undefined) throw new HoldNotFoundError(id, { cause: error });
      return current;
    }
  }

  async getHold(id: string): Promise<Hold | undefined> {
    const item = await this.get(holdTableKey(id));
    return item && itemToHold(item);
  }

  /**
   * Holds in force (not released) on exactly this target: an image target does not include its family's
   * holds; ask for `{ kind: 'family' }` separately. Expiry is judged by the caller's clock.
   */
  async listHoldsForTarget(target: HoldTarget): Promise<Hold[]> {
    const parsed = parseInput(holdTargetSchema, target, 'hold target');
    return (await this.queryAll(patterns.holdsForTarget(parsed))).map(itemToHold);
  }

  /** From GSI2, so eventually consistent: a hold placed or released a moment ago may not show yet. */
  listActiveHolds(page?: PageRequest): Promise<Page<Hold>> {
    return this.queryPage(patterns.activeHolds(), page, itemToHold);
  }

  // ---- refresh decisions ------------------------------------------------------------------------------------

  /**
   * One conditional Put, no transaction: the decision is one item. A skip is written only where nothing
   * is on record; a request also replaces a skip (`#outcome = :skipped`), so of two concurrent requests
   * exactly one replaces it and the other reads the winner back. A failed condition means a decision is
   * on record that this one does not replace: it is read back consistently and answered as it is.
   */
  async recordRefreshDecision(decision: RefreshDecision): Promise<RecordedRefreshDecision> {
    const parsed = parseInput(refreshDecisionSchema, decision, 'refresh decision');
    const item = refreshDecisionToItem(parsed);
    const condition =
      parsed.outcome === 'requested'
        ? {
            ConditionExpression: 'attribute_not_exists(PK) OR #outcome = :skipped',
            ExpressionAttributeNames: { '#outcome': 'outcome' },
            ExpressionAttributeValues: { ':skipped': 'skipped' },
          }
        : { ConditionExpression: 'attribute_not_exists(PK)' };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition }));
        return { decision: itemToRefreshDecision(item), written: true };
      } catch (error) {
        if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
        const kept = await this.getRefreshDecision(parsed.family, parsed.triggerKey);
        if (kept !== undefined) return { decision: kept, written: false };
        // Gone between the Put and the read: only a delete outside the catalog does that. Try again.
        if (attempt >= this.maxAttempts) throw error;
      }
    }
  }

  async getRefreshDecision(family: string, triggerKey: string): Promise<RefreshDecision | undefined> {
    const item = await this.get(refreshDecisionTableKey(family, triggerKey));
    return item && itemToRefreshDecision(item);
  }

  /** From GSI2, so eventually consistent: a decision recorded a moment ago may not be listed yet. */
  listRefreshDecisions(family: string, page?: PageRequest): Promise<Page<RefreshDecision>> {
    return this.queryPage(patterns.refreshDecisions(family), page, itemToRefreshDecision);
  }

  // ---- plans ------------------------------------------------------------------------------------------------

  /**
   * Writes the decisions first and the summary last, with a condition: a plan is listed and readable
   * only once all of it is stored, and a sweep id is saved once.
   */
  async saveInventoryPart(part: InventoryPart): Promise<{ written: boolean }> {
    const { head, pieces } = inventoryPartToItems(part);
    // The pieces first, under their reading's own keys: the head, written last, makes them the region's.
    await this.batchWrite(pieces, `saving the ${part.region} inventory of ${part.sweepId}`);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: head,
          ConditionExpression: 'attribute_not_exists(PK) OR startedAt < :startedAt',
          ExpressionAttributeValues: { ':startedAt': head.startedAt },
        }),
      );
      return { written: true };
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return { written: false };
      throw error;
    }
  }

  async saveBatchOutcome(sweepId: string, batch: number, outcome: BatchOutcome): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: batchOutcomeToItem(sweepId, batch, outcome) }),
    );
  }

  async listBatchOutcomes(sweepId: string): Promise<{ batch: number; outcome: BatchOutcome }[]> {
    return (await this.queryAll(patterns.batchOutcomes(sweepId))).map(itemToBatchOutcome);
  }

  async getInventoryParts(sweepId: string): Promise<InventoryPart[]> {
    return assembleInventoryParts(await this.queryAll(patterns.inventoryItems(sweepId)));
  }

  async savePlan(plan: RetentionPlan): Promise<void> {
    const parsed = checkPlan(plan);
    const items = planToItems(parsed);
    if (await this.get({ PK: planPk(parsed.sweepId), SK: PLAN_SUMMARY_SK })) {
      throw new PlanAlreadyExistsError(parsed.sweepId);
    }
    await this.batchWrite(items.decisions, `saving plan ${parsed.sweepId}`);
    try {
      await this.client.send(new PutCommand(this.putNew(items.summary)));
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        throw new PlanAlreadyExistsError(parsed.sweepId, { cause: error });
      }
      throw error;
    }
  }

  async getPlan(sweepId: string): Promise<RetentionPlan | undefined> {
    const items = await this.queryAll(patterns.planItems(sweepId));
    const summary = items.find((item) => item.SK === PLAN_SUMMARY_SK);
    if (summary === undefined) return undefined;
    return assemblePlan(
      summary,
      items.filter((item) => item !== summary),
    );
  }

  listPlans(page?: PageRequest): Promise<Page<PlanListing>> {
    return this.queryPage(patterns.plans(), page, (item) => planListing(itemToPlanSummary(item)));
  }

  // ---- plumbing ---------------------------------------------------------------------------------------------

  private async channelRevision(family: string, name: string): Promise<number | null> {
    return (await this.getChannel(family, name))?.revision ?? null;
  }

  private putNew(item: Item) {
    return { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' };
  }

  private async get(key: TableKey): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** The catalog as the config readers of `policy-apply.ts` see it. */
  private readonly configSource: ConfigItemSource = {
    get: (key) => this.get(key),
    getMany: (keys) => this.getMany(keys),
    page: (pattern, page) => this.queryPage(pattern, page, (item) => item),
    all: (pattern) => this.queryAll(pattern),
  };

  /**
   * Items by key, read consistently, `PARALLEL_REQUESTS` at a time. GetItem, not BatchGetItem: every function that reads
   * configs may already get items, and a page of the family list is at most 100 keys.
   */
  private async getMany(keys: readonly TableKey[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    for (let i = 0; i < keys.length; i += PARALLEL_REQUESTS) {
      const chunk = keys.slice(i, i + PARALLEL_REQUESTS);
      const items = await Promise.all(chunk.map((key) => this.get(key)));
      items.forEach((item, j) => {
        const key = chunk[j];
        if (item !== undefined && key !== undefined) found.set(itemId(key), item);
      });
    }
    return found;
  }

  /** The condition that the head is still the one a plan was made from. */
  private headCondition(base: HeadView) {
    return base.stored === undefined
      ? { ConditionExpression: 'attribute_not_exists(PK)' }
      : {
          ConditionExpression: '#revision = :base',
          ExpressionAttributeNames: { '#revision': 'revision' },
          ExpressionAttributeValues: { ':base': base.revision },
        };
  }

  /**
   * Writes a plan: every transaction checks the head (the last one replaces it), so a conflict stops
   * the apply at the first transaction after it. `retry` when the head moved without touching what
   * this apply expects, or a dead apply's staging was fenced off. On any failure the versions staged by
   * the apply are deleted again (see `afterFailure`).
   */
  private async writePlan(plan: ApplyPlan, change: PolicyConfigChange): Promise<'written' | 'retry'> {
    const condition = this.headCondition(plan.base);
    const headMoved: ConflictHandler = async (cause) =>
      expectationConflict(await readHeadForWrite(this.configSource), change) ?? new RetryApply(cause);
    const collided =
      (version: StagedVersion): ConflictHandler =>
      async (cause) => {
        const [existing, view] = await Promise.all([this.get(version.key), this.get(viewKeyOf(version))]);
        const decision = collisionOf(plan, version, existing, view, change.at);
        // The head moves on by one revision, unchanged otherwise; if it moved already, so much the better.
        if (decision === 'fence') await this.fence(plan, change);
        return decision === 'fence' || decision === 'retry' ? new RetryApply(cause) : decision;
      };
    // Over a version this apply may write over (`isOverwritable`): a staging for an older head, or, once
    // there is a head, a version from a tool older than the head, above what the head names.
    const overwritable = `attribute_not_exists(PK) OR #policyRevision <= :base${
      plan.base.stored === undefined ? '' : ' OR attribute_not_exists(#policyRevision)'
    }`;
    const steps = plan.versions.map((version) => ({
      version,
      bytes: version.bytes,
      step: {
        item: {
          Put: {
            TableName: this.tableName,
            Item: version.item,
            ConditionExpression: overwritable,
            ExpressionAttributeNames: { '#policyRevision': 'policyRevision' },
            ExpressionAttributeValues: { ':base': plan.base.revision },
          },
        },
        onConditionFailed: collided(version),
      } satisfies Step,
    }));
    const transactions = splitTransactions(steps, plan.headBytes, this.transactionLimits);
    // The views go with the head as far as its transaction has room; the rest follow once it committed.
    const final = transactions[transactions.length - 1] as typeof steps;
    let room = this.transactionLimits.maxItems - 1 - final.length;
    let bytes = plan.headBytes + final.reduce((sum, t) => sum + t.bytes, 0);
    const withHead: CurrentView[] = [];
    const after: CurrentView[] = [];
    for (const view of plan.views) {
      if (after.length === 0 && room > 0 && bytes + view.bytes <= this.transactionLimits.maxBytes) {
        withHead.push(view);
        room -= 1;
        bytes += view.bytes;
      } else {
        after.push(view);
      }
    }
    // Every version of a transaction once it is sent, committed or not: the clean-up deletes only what
    // carries this apply's id, so one never written costs a request, and one whose reply was lost goes.
    const staged: StagedVersion[] = [];
    let outcomeUnknown = false;
    try {
      for (const [i, transaction] of transactions.entries()) {
        const last = i === transactions.length - 1;
        const head: Step = {
          item: last
            ? { Put: { TableName: this.tableName, Item: plan.head, ...condition } }
            : { ConditionCheck: { TableName: this.tableName, Key: policyHeadKey(), ...condition } },
          onConditionFailed: headMoved,
        };
        // With the head, a view needs no condition of its own: while the head is the one this apply
        // read, no later apply has written a view, and one from a tool older than the head is replaced.
        const views: Step[] = last
          ? withHead.map((view) => ({ item: { Put: { TableName: this.tableName, Item: view.item } } }))
          : [];
        staged.push(...transaction.map((t) => t.version));
        // The head first: when it moved, that is the reason to report, whatever else failed with it.
        await this.transact([head, ...transaction.map((t) => t.step), ...views], headMoved, () => {
          outcomeUnknown = true;
        });
      }
    } catch (error) {
      return this.afterFailure(plan, change, { staged, after, outcomeUnknown }, error);
    }
    await this.rollViewsForward(after);
    return 'written';
  }

  /**
   * What a failed apply leaves. When the failed transaction was refused (cancelled), nothing of it took
   * effect, and the versions staged before it, still above the head, are deleted. When its outcome is
   * unknown (a timeout, a lost reply), it may still commit later, so the head is first moved on by one
   * revision (`fenceHead`): once it is, the transaction's condition can never hold, and deleting is safe.
   * If the head had moved already, the transaction can no longer commit but may have committed: the
   * apply was stored if its versions were made current (the head is its own, or names versions it
   * wrote), and failed otherwise, its staged versions deleted. If the head can be neither moved nor
   * read, the staged versions stay, invisible to readers and overwritable by a later apply.
   */
  private async afterFailure(
    plan: ApplyPlan,
    change: PolicyConfigChange,
    state: { staged: readonly StagedVersion[]; after: readonly CurrentView[]; outcomeUnknown: boolean },
    error: unknown,
  ): Promise<'written' | 'retry'> {
    const fail = (): 'retry' => {
      if (error instanceof RetryApply) return 'retry';
      throw error;
    };
    if (state.outcomeUnknown) {
      let fenced: 'fenced' | 'moved';
      try {
        fenced = await this.fence(plan, change);
      } catch {
        return fail();
      }
      if (fenced === 'fenced') {
        await this.unstage(state.staged, plan.applyId);
        return fail();
      }
    }
    let head: PolicyHead | undefined;
    let found: Map<string, Item>;
    try {
      head = await readHead(this.configSource);
      found = state.outcomeUnknown ? await this.getMany(plan.versions.map((v) => v.key)) : new Map();
    } catch (readError) {
      // What took effect cannot be told: the staged versions stay, invisible until written over.
      throw error instanceof RetryApply ? readError : error;
    }
    if (wasMadeCurrent(plan, head, found)) {
      await this.rollViewsForward(state.after);
      return 'written';
    }
    const now = head === undefined ? undefined : headViewOf(head);
    await this.unstage(
      state.staged.filter((v) => now === undefined || isAboveHead(now, v)),
      plan.applyId,
    );
    return fail();
  }

  /**
   * Moves the head on by one revision, unchanged otherwise, on the condition that it is still the one
   * `plan` read: `fenced`, or `moved` when it was not. Throws when that cannot be told.
   */
  private async fence(plan: ApplyPlan, change: PolicyConfigChange): Promise<'fenced' | 'moved'> {
    const put = new PutCommand({
      TableName: this.tableName,
      Item: fenceHead(plan, change),
      ...this.headCondition(plan.base),
    });
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(put);
        return 'fenced';
      } catch (error) {
        if (errorName(error) === 'ConditionalCheckFailedException') return 'moved';
        // A transaction still holding the head (perhaps the very one whose outcome is unknown).
        if (errorName(error) !== 'TransactionConflictException' || attempt >= this.maxAttempts) throw error;
        await pause(this.backoff(attempt));
      }
    }
  }

  /**
   * A view's write after its head: never over a newer view a later apply wrote, always over one from a
   * tool older than the head (no staging), which may copy a version that was never current.
   */
  private putView(view: CurrentView) {
    return {
      TableName: this.tableName,
      Item: view.item,
      ConditionExpression:
        'attribute_not_exists(PK) OR #version < :version OR attribute_not_exists(#policyRevision)',
      ExpressionAttributeNames: { '#version': 'version', '#policyRevision': 'policyRevision' },
      ExpressionAttributeValues: { ':version': view.version },
    };
  }

  /**
   * Writes the views that did not fit with the head, once the head made their versions current. Best
   * effort: until a view is written, readers see it lag the head and read the version item instead.
   */
  private async rollViewsForward(views: readonly CurrentView[]): Promise<void> {
    for (let i = 0; i < views.length; i += PARALLEL_REQUESTS) {
      await Promise.all(
        views
          .slice(i, i + PARALLEL_REQUESTS)
          .map((view) => this.client.send(new PutCommand(this.putView(view))).catch(() => undefined)),
      );
    }
  }

  /**
   * Deletes what this apply staged and never made current (the condition keeps another apply's
   * versions); best effort: what stays is invisible, and a later apply writes over it.
   */
  private async unstage(versions: readonly StagedVersion[], applyId: string): Promise<void> {
    for (let i = 0; i < versions.length; i += PARALLEL_REQUESTS) {
      await Promise.all(
        versions.slice(i, i + PARALLEL_REQUESTS).map((version) =>
          this.client
            .send(
              new DeleteCommand({
                TableName: this.tableName,
                Key: version.key,
                ConditionExpression: '#applyId = :applyId',
                ExpressionAttributeNames: { '#applyId': 'applyId' },
                ExpressionAttributeValues: { ':applyId': applyId },
              }),
            )
            .catch(() => undefined),
        ),
      );
    }
  }

  /**
   * The image write as an Update of the fields that changed (not a Put), conditioned on the state and
   * `stateVersion` the change was computed from: the lock is what makes computing it outside safe.
   */
  private imageUpdateStep(
    current: Image,
    next: Image,
    expect: { state?: LifecycleState },
    onConditionFailed: ConflictHandler,
  ): Step {
    const before = imageToItem(current);
    const after = imageToItem(next);
    const names: Record<string, string> = { '#stateVersion': 'stateVersion' };
    const values: Record<string, unknown> = { ':expectedStateVersion': current.stateVersion };
    const sets: string[] = [];
    const removes: string[] = [];
    Object.keys({ ...before, ...after }).forEach((attribute, i) => {
      if (
        attribute === 'PK' ||
        attribute === 'SK' ||
        isDeepStrictEqual(before[attribute], after[attribute])
      ) {
        return;
      }
      names[`#a${i}`] = attribute;
      if (after[attribute] === undefined) {
        removes.push(`#a${i}`);
      } else {
        values[`:a${i}`] = after[attribute];
        sets.push(`#a${i} = :a${i}`);
      }
    });
    let condition = '#stateVersion = :expectedStateVersion';
    if (expect.state !== undefined) {
      names['#state'] = 'state';
      values[':expectedState'] = expect.state;
      condition = `#state = :expectedState AND ${condition}`;
    }
    return {
      item: {
        Update: {
          TableName: this.tableName,
          Key: imageTableKey(current.family, current.version),
          UpdateExpression: [
            sets.length > 0 ? `SET ${sets.join(', ')}` : '',
            removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
          ]
            .filter((clause) => clause !== '')
            .join(' '),
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
      onConditionFailed,
    };
  }

  /** Pointer items for the regions whose AMI id is new or changed; a region's pointer is overwritten. */
  private pointerSteps(before: Image | undefined, after: Image): Step[] {
    return changedAmiIds(before, after).map(([region, amiId]) => ({
      item: { Put: { TableName: this.tableName, Item: amiPointerToItem(after, region, amiId) } },
    }));
  }

  /** Moving a channel: the pointer (on the revision read), a history row and an audit record. */
  private channelSteps(expectedRevision: number | null, next: Channel, record: AuditRecord): Step[] {
    const { family, name } = next;
    const moved = async (cause: unknown) =>
      new ChannelConflictError(family, name, expectedRevision, await this.channelRevision(family, name), {
        cause,
      });
    const items = channelToItems(next);
    return [
      {
        item: {
          Put: {
            TableName: this.tableName,
            Item: items.current,
            ...(expectedRevision === null
              ? { ConditionExpression: 'attribute_not_exists(PK)' }
              : {
                  ConditionExpression: '#revision = :expected',
                  ExpressionAttributeNames: { '#revision': 'revision' },
                  ExpressionAttributeValues: { ':expected': expectedRevision },
                }),
          },
        },
        onConditionFailed: moved,
      },
      { item: { Put: this.putNew(items.history) }, onConditionFailed: moved },
      {
        item: { Put: this.putNew(auditToItem(record, { name, revision: next.revision })) },
        onConditionFailed: moved,
      },
    ];
  }

  /**
   * Runs one transaction. A failed condition becomes the error its step names (read back to say what
   * the item holds now). A cancellation for a concurrent transaction is retried, bounded: the conditions
   * make the retry safe, and the loser of a race then fails its condition like any stale writer.
   */
  private async transact(
    steps: Step[],
    onContention: ConflictHandler,
    onOutcomeUnknown?: () => void,
  ): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: steps.map((s) => s.item) }));
        return;
      } catch (error) {
        if (errorName(error) !== 'TransactionCanceledException') {
          // Not a refusal: the transaction may have committed, or may still.
          onOutcomeUnknown?.();
          throw error;
        }
        const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
        const failed = steps[reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed')];
        if (failed !== undefined) {
          throw failed.onConditionFailed ? await failed.onConditionFailed(error) : error;
        }
        if (!reasons.some((r) => r.Code === 'TransactionConflict')) throw error;
        if (attempt >= this.maxAttempts) throw await onContention(error);
        await pause(this.backoff(attempt));
      }
    }
  }

  private backoff(attempt: number): number {
    return Math.random() * this.baseDelayMs * 2 ** (attempt - 1);
  }

  private queryInput(pattern: AccessPattern) {
    const prefixed = pattern.sortPrefix !== undefined;
    return {
      TableName: this.tableName,
      ...(pattern.index === undefined ? { ConsistentRead: true } : { IndexName: pattern.index }),
      KeyConditionExpression: prefixed ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
      ExpressionAttributeNames: {
        '#pk': pattern.partition.attribute,
        ...(prefixed ? { '#sk': pattern.sortAttribute } : {}),
      },
      ExpressionAttributeValues: {
        ':pk': pattern.partition.value,
        ...(prefixed ? { ':prefix': pattern.sortPrefix } : {}),
      },
      ScanIndexForward: !pattern.descending,
    };
  }

  /**
   * One page. It asks for one item more than the page, so a cursor is returned only when more items
   * follow (DynamoDB alone would hand out a cursor to an empty page).
   */
  private async queryPage<T>(
    pattern: AccessPattern,
    page: PageRequest | undefined,
    map: (item: Item) => T,
  ): Promise<Page<T>> {
    const limit = pageLimit(page);
    let start: Record<string, unknown> | undefined =
      page?.cursor === undefined ? undefined : decodeCursor(pattern, page.cursor);
    const items: Item[] = [];
    // Without a filter every response holds at least one item, so limit + 1 rounds always suffice.
    for (let round = 0; round <= MAX_PAGE_SIZE && items.length <= limit; round += 1) {
      const out = await this.client.send(
        new QueryCommand({
          ...this.queryInput(pattern),
          Limit: limit + 1 - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
      if (start === undefined) break;
    }
    const taken = items.slice(0, limit);
    const last = taken.at(-1);
    const more = items.length > limit || start !== undefined;
    return {
      items: taken.map(map),
      ...(more && last !== undefined ? { cursor: encodeCursor(pattern, last) } : {}),
    };
  }

  /** Every item of a query; for results that are small by nature (channels, holds of a target, a plan). */
  private async queryAll(pattern: AccessPattern): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    for (let round = 0; round < MAX_QUERY_PAGES; round += 1) {
      const out = await this.client.send(
        new QueryCommand({ ...this.queryInput(pattern), ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
      if (start === undefined) return items;
    }
    throw new QueryBoundExceededError(
      `${pattern.partition.attribute} = ${pattern.partition.value}`,
      MAX_QUERY_PAGES,
    );
  }

  /** The images of pointer items, in the pointers' order, read consistently from the table. */
  private async imagesOf(pointers: readonly AmiPointer[]): Promise<Image[]> {
    const keys = new Map<string, TableKey>();
    for (const p of pointers) {
      const key = imageTableKey(p.family, p.version);
      keys.set(`${key.PK}|${key.SK}`, key);
    }
    const found = new Map<string, Image>();
    const all = [...keys.values()];
    for (let i = 0; i < all.length; i += MAX_PAGE_SIZE) {
      let pending: Record<string, unknown>[] = all.slice(i, i + MAX_PAGE_SIZE).map((k) => ({ ...k }));
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        if (attempt > this.maxAttempts) throw new UnprocessedItemsError('reading images', pending.length);
        if (attempt > 1) await pause(this.backoff(attempt - 1));
        const out = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const image = itemToImage(item);
          found.set(`${item.PK}|${item.SK}`, image);
        }
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return pointers.map((p) => {
      const key = imageTableKey(p.family, p.version);
      const image = found.get(`${key.PK}|${key.SK}`);
      if (image === undefined) {
        throw new CorruptItemError(key, [
          { path: '', message: `an AMI pointer names this image but it is missing` },
        ]);
      }
      return image;
    });
  }

  /** BatchWrite in chunks of 25, resending unprocessed items with backoff, bounded. */
  private async batchWrite(items: readonly Item[], what: string): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_SIZE) {
      let pending: { PutRequest: { Item: Item } }[] = items
        .slice(i, i + BATCH_WRITE_SIZE)
        .map((item) => ({ PutRequest: { Item: item } }));
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        if (attempt > this.maxAttempts) throw new UnprocessedItemsError(what, pending.length);
        if (attempt > 1) await pause(this.backoff(attempt - 1));
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = (out.UnprocessedItems?.[this.tableName] ?? []).flatMap((request) =>
          request.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: request.PutRequest.Item } }],
        );
      }
    }
  }
}
