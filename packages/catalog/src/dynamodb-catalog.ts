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
  parseConfigInput,
  parseFamily,
  parseInput,
  parseOrganizationConfigInput,
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
  ConfigVersionConflictError,
  CorruptItemError,
  HoldAlreadyExistsError,
  HoldNotFoundError,
  ImageAlreadyExistsError,
  ImageNotFoundError,
  type ImageStamp,
  organizationConfigConflict,
  PlanAlreadyExistsError,
  QueryBoundExceededError,
  StaleImageError,
  TransitionConflictError,
  UnprocessedItemsError,
} from './errors';
import {
  type AmiPointer,
  amiPointerToItem,
  assembleInventoryParts,
  assemblePlan,
  auditToItem,
  batchOutcomeToItem,
  channelToItems,
  configToItems,
  holdToItem,
  type Item,
  imageToItem,
  inventoryPartToItems,
  itemToAmiPointer,
  itemToAudit,
  itemToBatchOutcome,
  itemToChannel,
  itemToConfig,
  itemToHold,
  itemToImage,
  itemToOrganizationConfig,
  itemToPlanSummary,
  itemToRefreshDecision,
  organizationConfigToItems,
  planToItems,
  refreshDecisionToItem,
} from './items';
import {
  channelKey,
  configKey,
  currentConfigKey,
  currentOrganizationConfigKey,
  holdTableKey,
  imageTableKey,
  organizationConfigKey,
  PLAN_SUMMARY_SK,
  planPk,
  refreshDecisionTableKey,
  type TableKey,
} from './keys';
import { compareBytes, decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageLimit } from './pagination';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One item of a transaction and, if it has a condition, what its failure means to the caller. */
interface Step {
  item: TransactItem;
  onConditionFailed?: (cause: unknown) => Promise<Error>;
}
type ConflictHandler = NonNullable<Step['onConditionFailed']>;

export interface DynamoDbCatalogOptions {
  tableName: string;
  /** Defaults to the module-scope client, so a Lambda builds it once per container. */
  client?: DynamoDBDocumentClient;
  /**
   * Bounds retries of what DynamoDB may refuse transiently: transactions cancelled by a concurrent one
   * (`TransactionConflict`) and unprocessed batch items. Delays are full-jitter exponential.
   */
  retry?: { maxAttempts?: number; baseDelayMs?: number };
}

/** Pages a whole-result query may read before the catalog refuses it as unbounded. */
const MAX_QUERY_PAGES = 1_000;
const BATCH_WRITE_SIZE = 25;

const pause = (ms: number) =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
const stamp = (image: Image): ImageStamp => ({ state: image.state, stateVersion: image.stateVersion });
const errorName = (error: unknown): string | undefined => (error instanceof Error ? error.name : undefined);

/**
 * The catalog over one DynamoDB table (design 6). Every multi-item change is one transaction whose
 * failed conditions become the named errors of this package; every item read is parsed with the core
 * schemas. See `keys.ts` for the layout. Reads by key and table queries are strongly consistent; the
 * index queries (by state, region, AMI id, hold target, active holds, plan list, family list, refresh
 * decisions) are eventually consistent, as DynamoDB indexes are; the images behind region and AMI id
 * pointers are then read consistently.
 */
export class DynamoDbCatalog implements CatalogPort {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(opts: DynamoDbCatalogOptions) {
    this.tableName = opts.tableName;
    this.client = opts.client ?? defaultDocumentClient();
    this.maxAttempts = opts.retry?.maxAttempts ?? 5;
    this.baseDelayMs = opts.retry?.baseDelayMs ?? 25;
  }

  // ---- family configs ---------------------------------------------------------------------------------

  async putFamilyConfig(
    family: string,
    config: unknown,
    opts: { expectedCurrent: number | null; at: string; by: string },
  ): Promise<StoredFamilyConfig> {
    const input = parseConfigInput(family, config, opts);
    const { expectedCurrent } = input.opts;
    const stored: StoredFamilyConfig = {
      family,
      version: (expectedCurrent ?? 0) + 1,
      config: JSON.parse(input.configJson) as unknown,
      storedAt: input.opts.at,
      storedBy: input.opts.by,
    };
    const items = configToItems(stored);
    const conflict = async (cause: unknown) =>
      new ConfigVersionConflictError(family, expectedCurrent, await this.currentConfigVersion(family), {
        cause,
      });
    await this.transact(
      [
        { item: { Put: this.putNew(items.version) }, onConditionFailed: conflict },
        { item: { Put: this.putCurrent(items.current, expectedCurrent) }, onConditionFailed: conflict },
      ],
      conflict,
    );
    return stored;
  }

  async getFamilyConfig(family: string, version?: number): Promise<StoredFamilyConfig | undefined> {
    const item = await this.get(
      version === undefined ? currentConfigKey(family) : configKey(family, version),
    );
    return item && itemToConfig(item);
  }

  listFamilyConfigVersions(family: string, page?: PageRequest): Promise<Page<StoredFamilyConfig>> {
    return this.queryPage(patterns.familyConfigVersions(family), page, itemToConfig);
  }

  /** From GSI1, so eventually consistent: a config applied a moment ago may still show its former version. */
  listFamilyConfigs(page?: PageRequest): Promise<Page<StoredFamilyConfig>> {
    return this.queryPage(patterns.familyConfigs(), page, itemToConfig);
  }

  // ---- organisation config -------------------------------------------------------------------------------

  /** Versioned as a family's config is, in one transaction with the same conflict rule. */
  async putOrganizationConfig(
    config: OrganizationConfig,
    opts: { expectedCurrent: number | null; at: string; by: string },
  ): Promise<StoredOrganizationConfig> {
    const input = parseOrganizationConfigInput(config, opts);
    const { expectedCurrent } = input.opts;
    const stored: StoredOrganizationConfig = {
      version: (expectedCurrent ?? 0) + 1,
      config: JSON.parse(input.configJson) as unknown,
      storedAt: input.opts.at,
      storedBy: input.opts.by,
    };
    const items = organizationConfigToItems(stored);
    const conflict = async (cause: unknown) =>
      organizationConfigConflict(expectedCurrent, await this.currentOrganizationConfigVersion(), { cause });
    await this.transact(
      [
        { item: { Put: this.putNew(items.version) }, onConditionFailed: conflict },
        { item: { Put: this.putCurrent(items.current, expectedCurrent) }, onConditionFailed: conflict },
      ],
      conflict,
    );
    return stored;
  }

  async getOrganizationConfig(version?: number): Promise<StoredOrganizationConfig | undefined> {
    const item = await this.get(
      version === undefined ? currentOrganizationConfigKey() : organizationConfigKey(version),
    );
    return item && itemToOrganizationConfig(item);
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

  private async currentConfigVersion(family: string): Promise<number | null> {
    return (await this.getFamilyConfig(family))?.version ?? null;
  }

  private async currentOrganizationConfigVersion(): Promise<number | null> {
    return (await this.getOrganizationConfig())?.version ?? null;
  }

  private async channelRevision(family: string, name: string): Promise<number | null> {
    return (await this.getChannel(family, name))?.revision ?? null;
  }

  private putNew(item: Item) {
    return { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' };
  }

  /** The `CONFIG#current` item of a config, written only over the version the caller read (or none). */
  private putCurrent(item: Item, expectedCurrent: number | null) {
    return {
      TableName: this.tableName,
      Item: item,
      ...(expectedCurrent === null
        ? { ConditionExpression: 'attribute_not_exists(PK)' }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedCurrent },
          }),
    };
  }

  private async get(key: TableKey): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item;
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
  private async transact(steps: Step[], onContention: ConflictHandler): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: steps.map((s) => s.item) }));
        return;
      } catch (error) {
        if (errorName(error) !== 'TransactionCanceledException') throw error;
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
