import { randomUUID } from 'node:crypto';
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
  StaleImageError,
  TransitionConflictError,
} from './errors';
import {
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
  itemToPolicyHead,
  itemToRefreshDecision,
  planToItems,
  refreshDecisionToItem,
} from './items';
import {
  auditKey,
  channelKey,
  holdTableKey,
  imageTableKey,
  inventoryPartKey,
  KEY_ATTRIBUTES,
  PLAN_SUMMARY_SK,
  planPk,
  policyHeadKey,
  refreshDecisionTableKey,
  type TableKey,
} from './keys';
import { compareBytes, pageInMemory, sortEntries } from './pagination';
import {
  type AppliedPolicyConfigs,
  type ApplyPlan,
  type ConfigItemSource,
  collisionOf,
  expectationConflict,
  fenceHead,
  headViewOf,
  isOverwritable,
  itemId,
  type PolicyConfigChange,
  type PolicyConfigStore,
  planPolicyApply,
  readFamilyConfig,
  readFamilyConfigs,
  readFamilyConfigVersions,
  readHeadForWrite,
  readOrganizationConfig,
  viewKeyOf,
} from './policy-apply';

/** As `DynamoDbCatalog`'s default `retry.maxAttempts`. */
const MAX_APPLY_ATTEMPTS = 5;
const stamp = (image: Image): ImageStamp => ({ state: image.state, stateVersion: image.stateVersion });
const id = (key: TableKey): string => `${key.PK}\u0000${key.SK}`;

/**
 * The in-memory twin of `DynamoDbCatalog` for unit tests and fast local runs. It keeps the very items the
 * DynamoDB adapter would write (same keys, same mapping), so the orders, cursors and errors are the
 * same; each call checks every condition before it writes anything, and no call awaits in between, so
 * a call is atomic as a transaction is. Everything is copied in and out.
 */
export class InMemoryCatalog implements CatalogPort, PolicyConfigStore {
  private readonly items = new Map<string, Item>();

  // ---- configs ------------------------------------------------------------------------------------------

  /** One family's config as the next version: a policy apply of that family alone. */
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
   * The same items and outcomes as `DynamoDbCatalog.applyPolicyConfigs`, written at once: the checks
   * its transactions make (the head unchanged, no version in the way) are made right before the write,
   * with nothing awaited in between.
   */
  async applyPolicyConfigs(change: PolicyConfigChange): Promise<AppliedPolicyConfigs> {
    const applyId = randomUUID();
    for (let attempt = 1; ; attempt += 1) {
      const names = change.families.map((f) => f.family);
      const plan = planPolicyApply(await readHeadForWrite(this.configSource, names), change, applyId);
      if (plan.versions.length === 0) return plan.applied;
      if (this.commit(plan, change) === 'written') return structuredClone(plan.applied);
      if (attempt >= MAX_APPLY_ATTEMPTS) {
        throw new ConcurrentConfigApplyError(
          'the policy',
          `its head changed under each of ${MAX_APPLY_ATTEMPTS} attempts`,
        );
      }
    }
  }

  // ---- images -------------------------------------------------------------------------------------------

  async createImage(image: Image, audit: AuditContext): Promise<void> {
    const parsed = parseInput(imageSchema, image, 'image');
    const record = createAudit(parsed, parseAuditContext(audit));
    if (this.read(imageTableKey(parsed.family, parsed.version)) || this.read(auditKey(record))) {
      throw new ImageAlreadyExistsError(parsed.family, parsed.version);
    }
    this.write(imageToItem(parsed), auditToItem(record), ...this.pointers(undefined, parsed));
  }

  async getImage(family: string, version: string): Promise<Image | undefined> {
    return this.image(family, version);
  }

  async transitionImage(req: TransitionRequest): Promise<Image> {
    assertTransition(req.from, req.to);
    checkTransitionRequest(req);
    const { family, version, from, to, expectedStateVersion } = req;
    const current = this.image(family, version);
    if (current === undefined) throw new ImageNotFoundError(family, version);
    if (current.state !== from || current.stateVersion !== expectedStateVersion) {
      throw new TransitionConflictError(family, version, from, to, expectedStateVersion, stamp(current));
    }
    const next = nextImage(current, req.patch, { state: to, at: req.at });
    const channelItems = (req.moveChannels ?? []).flatMap((name) => {
      const after = nextChannel(family, name, version, this.channel(family, name), req.at, req.audit.actor);
      return this.channelItems(after, channelAudit(next, after, req.audit));
    });
    this.write(
      imageToItem(next),
      auditToItem(transitionAudit(req, next)),
      ...channelItems,
      ...this.pointers(current, next),
    );
    return structuredClone(next);
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
    const current = this.image(family, version);
    if (current === undefined) throw new ImageNotFoundError(family, version);
    if (current.stateVersion !== expectedStateVersion) {
      throw new StaleImageError(family, version, { stateVersion: expectedStateVersion }, stamp(current));
    }
    const next = nextImage(current, patch, {});
    this.write(imageToItem(next), auditToItem(updateAudit(next, audit)), ...this.pointers(current, next));
    return structuredClone(next);
  }

  async listImagesByFamily(family: string, page?: PageRequest): Promise<Page<Image>> {
    return this.page(patterns.familyImages(family), page, itemToImage);
  }

  async listImagesByState(state: LifecycleState, page?: PageRequest): Promise<Page<Image>> {
    parseInput(lifecycleStateSchema, state, 'state');
    return this.page(patterns.imagesByState(state), page, itemToImage);
  }

  async findImagesByAmiId(amiId: string): Promise<Image[]> {
    const images = this.query(patterns.imagesByAmiId(amiId))
      .map(itemToAmiPointer)
      .map((p) => this.image(p.family, p.version) ?? danglingPointer(imageTableKey(p.family, p.version)));
    const unique = new Map(images.map((image) => [`${image.family}@${image.version}`, image]));
    return [...unique.values()].sort(
      (a, b) => compareBytes(a.family, b.family) || compareBytes(a.version, b.version),
    );
  }

  async listImagesByRegion(region: string, page?: PageRequest): Promise<Page<Image>> {
    return this.page(patterns.imagesByRegion(region), page, (item) => {
      const pointer = itemToAmiPointer(item);
      const key = imageTableKey(pointer.family, pointer.version);
      const image = this.image(pointer.family, pointer.version);
      if (image === undefined) throw danglingPointer(key);
      return image;
    });
  }

  async listAudit(family: string, version: string, page?: PageRequest): Promise<Page<AuditRecord>> {
    return this.page(patterns.audit(family, version), page, itemToAudit);
  }

  // ---- channels -------------------------------------------------------------------------------------------

  async getChannel(family: string, name: string): Promise<Channel | undefined> {
    return this.channel(family, name);
  }

  async listChannels(family: string): Promise<Channel[]> {
    return this.query(patterns.channels(family)).map(itemToChannel);
  }

  async channelHistory(family: string, name: string, page?: PageRequest): Promise<Page<Channel>> {
    return this.page(patterns.channelHistory(family, name), page, itemToChannel);
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
    const image = this.image(family, version);
    if (image?.state !== 'published') {
      throw new ChannelTargetNotPublishedError(family, name, version, image?.state);
    }
    const current = this.channel(family, name);
    if ((current?.revision ?? null) !== expectedRevision) {
      throw new ChannelConflictError(family, name, expectedRevision, current?.revision ?? null);
    }
    const next = nextChannel(family, name, version, current, opts.at, audit.actor);
    this.write(...this.channelItems(next, channelAudit(image, next, audit)));
    return structuredClone(next);
  }

  // ---- holds ------------------------------------------------------------------------------------------------

  async putHold(hold: Hold): Promise<void> {
    const parsed = parseInput(holdSchema, hold, 'hold');
    if (this.read(holdTableKey(parsed.id))) throw new HoldAlreadyExistsError(parsed.id);
    this.write(holdToItem(parsed));
  }

  /** Idempotent like the DynamoDB adapter: a released hold is returned as it was. */
  async releaseHold(holdId: string, at: string, by: string): Promise<Hold> {
    const input = parseInput(holdReleaseSchema, { id: holdId, at, by }, 'hold release');
    const item = this.read(holdTableKey(holdId));
    if (item === undefined) throw new HoldNotFoundError(holdId);
    const hold = itemToHold(item);
    if (hold.releasedAt !== undefined) return hold;
    const released = { ...hold, releasedAt: input.at };
    this.write(holdToItem(released, input.by));
    return structuredClone(released);
  }

  async getHold(holdId: string): Promise<Hold | undefined> {
    const item = this.read(holdTableKey(holdId));
    return item && itemToHold(item);
  }

  /** Same contract as the DynamoDB adapter: holds in force on exactly this target. */
  async listHoldsForTarget(target: HoldTarget): Promise<Hold[]> {
    const parsed = parseInput(holdTargetSchema, target, 'hold target');
    return this.query(patterns.holdsForTarget(parsed)).map(itemToHold);
  }

  async listActiveHolds(page?: PageRequest): Promise<Page<Hold>> {
    return this.page(patterns.activeHolds(), page, itemToHold);
  }

  // ---- refresh decisions ------------------------------------------------------------------------------------

  /** Same rules as the DynamoDB adapter: a request replaces a skip; anything else on record is kept. */
  async recordRefreshDecision(decision: RefreshDecision): Promise<RecordedRefreshDecision> {
    const parsed = parseInput(refreshDecisionSchema, decision, 'refresh decision');
    const item = refreshDecisionToItem(parsed);
    const stored = this.read(refreshDecisionTableKey(parsed.family, parsed.triggerKey));
    if (stored !== undefined) {
      const kept = itemToRefreshDecision(stored);
      if (kept.outcome === 'requested' || parsed.outcome === 'skipped') {
        return { decision: kept, written: false };
      }
    }
    this.write(item);
    return { decision: itemToRefreshDecision(item), written: true };
  }

  async getRefreshDecision(family: string, triggerKey: string): Promise<RefreshDecision | undefined> {
    const item = this.read(refreshDecisionTableKey(family, triggerKey));
    return item && itemToRefreshDecision(item);
  }

  async listRefreshDecisions(family: string, page?: PageRequest): Promise<Page<RefreshDecision>> {
    return this.page(patterns.refreshDecisions(family), page, itemToRefreshDecision);
  }

  // ---- inventory ----------------------------------------------------------------------------------------------

  async saveInventoryPart(part: InventoryPart): Promise<{ written: boolean }> {
    const { head, pieces } = inventoryPartToItems(part);
    const current = this.read(inventoryPartKey(part.sweepId, part.region));
    this.write(...pieces);
    // A reading that began no later than the stored one does not replace it (as the table's condition).
    if (current !== undefined && String(current.startedAt) >= String(head.startedAt))
      return { written: false };
    this.write(head);
    return { written: true };
  }

  async saveBatchOutcome(sweepId: string, batch: number, outcome: BatchOutcome): Promise<void> {
    this.write(batchOutcomeToItem(sweepId, batch, outcome));
  }

  async listBatchOutcomes(sweepId: string): Promise<{ batch: number; outcome: BatchOutcome }[]> {
    return this.query(patterns.batchOutcomes(sweepId)).map(itemToBatchOutcome);
  }

  async getInventoryParts(sweepId: string): Promise<InventoryPart[]> {
    return assembleInventoryParts(this.query(patterns.inventoryItems(sweepId)));
  }

  // ---- plans ------------------------------------------------------------------------------------------------

  async savePlan(plan: RetentionPlan): Promise<void> {
    const parsed = checkPlan(plan);
    if (this.read({ PK: planPk(parsed.sweepId), SK: PLAN_SUMMARY_SK })) {
      throw new PlanAlreadyExistsError(parsed.sweepId);
    }
    const items = planToItems(parsed);
    this.write(...items.decisions, items.summary);
  }

  async getPlan(sweepId: string): Promise<RetentionPlan | undefined> {
    const items = this.query(patterns.planItems(sweepId));
    const summary = items.find((item) => item.SK === PLAN_SUMMARY_SK);
    return (
      summary &&
      assemblePlan(
        summary,
        items.filter((item) => item !== summary),
      )
    );
  }

  async listPlans(page?: PageRequest): Promise<Page<PlanListing>> {
    return this.page(patterns.plans(), page, (item) => planListing(itemToPlanSummary(item)));
  }

  // ---- plumbing ---------------------------------------------------------------------------------------------

  /** The catalog as the config readers of `policy-apply.ts` see it. */
  private readonly configSource: ConfigItemSource = {
    get: async (key) => this.read(key),
    getMany: async (keys) =>
      new Map(
        keys.flatMap((key) => {
          const item = this.read(key);
          return item === undefined ? [] : [[itemId(key), item] as const];
        }),
      ),
    page: async (pattern, page) => this.page(pattern, page, (item) => item),
    all: async (pattern) => this.query(pattern),
  };

  /** Writes a plan if its head is still current and nothing stands where its versions go. */
  private commit(plan: ApplyPlan, change: PolicyConfigChange): 'written' | 'retry' {
    const headItem = this.read(policyHeadKey());
    const head = headItem && itemToPolicyHead(headItem);
    if (
      (head?.revision ?? 0) !== plan.base.revision ||
      (head === undefined) !== (plan.base.stored === undefined)
    ) {
      if (head === undefined) return 'retry';
      const conflict = expectationConflict(headViewOf(head), change);
      if (conflict !== undefined) throw conflict;
      return 'retry';
    }
    for (const version of plan.versions) {
      const existing = this.read(version.key);
      if (isOverwritable(plan, existing)) continue;
      const decision = collisionOf(plan, version, existing, this.read(viewKeyOf(version)), change.at);
      if (decision === 'fence') {
        this.write(fenceHead(plan, change));
        return 'retry';
      }
      if (decision !== 'retry') throw decision;
    }
    this.write(...plan.versions.map((v) => v.item), ...plan.views.map((v) => v.item), plan.head);
    return 'written';
  }

  /** Every item, copied, in key order: what a test compares to show that a call changed nothing. */
  dump(): Item[] {
    return [...this.items.entries()]
      .sort(([a], [b]) => compareBytes(a, b))
      .map(([, item]) => structuredClone(item));
  }

  private read(key: TableKey): Item | undefined {
    const item = this.items.get(id(key));
    return item && structuredClone(item);
  }

  private write(...items: Item[]): void {
    for (const item of items) this.items.set(id(item as unknown as TableKey), structuredClone(item));
  }

  private image(family: string, version: string): Image | undefined {
    const item = this.read(imageTableKey(family, version));
    return item && itemToImage(item);
  }

  private channel(family: string, name: string): Channel | undefined {
    const item = this.read(channelKey(family, name));
    return item && itemToChannel(item);
  }

  private pointers(before: Image | undefined, after: Image): Item[] {
    return changedAmiIds(before, after).map(([region, amiId]) => amiPointerToItem(after, region, amiId));
  }

  private channelItems(next: Channel, record: AuditRecord): Item[] {
    const items = channelToItems(next);
    return [items.current, items.history, auditToItem(record, { name: next.name, revision: next.revision })];
  }

  /** The items a query of `pattern` returns, unordered; `page` orders them as DynamoDB does. */
  private query(pattern: AccessPattern): Item[] {
    const matches: Item[] = [];
    for (const item of this.items.values()) {
      const sortKey = item[pattern.sortAttribute];
      if (item[pattern.partition.attribute] !== pattern.partition.value || typeof sortKey !== 'string') {
        continue;
      }
      if (pattern.sortPrefix !== undefined && !sortKey.startsWith(pattern.sortPrefix)) continue;
      matches.push(structuredClone(item));
    }
    return sortEntries(
      pattern,
      matches.map((item) => ({ key: keyAttributes(item), value: item })),
    ).map((entry) => entry.value);
  }

  private page<T>(pattern: AccessPattern, page: PageRequest | undefined, map: (item: Item) => T): Page<T> {
    const entries = this.query(pattern).map((item) => ({ key: keyAttributes(item), value: item }));
    const result = pageInMemory(pattern, entries, page);
    return { ...result, items: result.items.map(map) };
  }
}

const keyAttributes = (item: Item): Record<string, string> =>
  Object.fromEntries(KEY_ATTRIBUTES.flatMap((a) => (typeof item[a] === 'string' ? [[a, item[a]]] : [])));

const danglingPointer = (key: TableKey): never => {
  throw new CorruptItemError(key, [
    { path: '', message: 'an AMI pointer names this image but it is missing' },
  ]);
};
