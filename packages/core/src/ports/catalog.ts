import type { OrganizationConfig, StoredOrganizationConfig } from '../config/organization-config';
import type { AuditRecord, Channel, Hold, HoldTarget, Image, LifecycleState } from '../model';
import type { RecordedRefreshDecision, RefreshDecision } from '../refresh';
import type { BatchOutcome } from '../retention/batch-outcome';
import type { InventoryPart } from '../retention/inventory';
import type { RetentionPlan } from '../retention/plan-types';

/** A page of results; pass `cursor` back to get the next one. No cursor means the end. */
export interface Page<T> {
  items: T[];
  cursor?: string;
}
export interface PageRequest {
  limit?: number;
  cursor?: string;
}

/** Who, why and under which correlation an audit record is written. */
export interface AuditContext {
  actor: string;
  reason: string;
  correlationId: string;
  policyVersion?: number;
}

export interface StoredFamilyConfig {
  family: string;
  version: number;
  config: unknown;
  storedAt: string;
  storedBy: string;
}

export interface TransitionRequest {
  family: string;
  version: string;
  from: LifecycleState;
  to: LifecycleState;
  /** The `stateVersion` the caller read; a different current value is a conflict. */
  expectedStateVersion: number;
  at: string;
  audit: AuditContext;
  /** Fields written together with the state (verdict, findings, AMI ids, publishedAt...). */
  patch?: Partial<Omit<Image, 'family' | 'version' | 'state' | 'stateVersion' | 'stateChangedAt'>>;
  /** Move these channels to this image in the same transaction (publish). */
  moveChannels?: string[];
}

/**
 * The catalog port. Two adapters implement it: DynamoDB (`@ami-lifecycle/catalog`) and an in-memory
 * twin; both pass the same contract suite. Conflicts raise the named errors of the catalog package.
 */
export interface CatalogPort {
  /** Stores a new version of a family's config; `expectedCurrent` guards against a concurrent apply. */
  putFamilyConfig(
    family: string,
    config: unknown,
    opts: { expectedCurrent: number | null; at: string; by: string },
  ): Promise<StoredFamilyConfig>;
  getFamilyConfig(family: string, version?: number): Promise<StoredFamilyConfig | undefined>;
  listFamilyConfigVersions(family: string, page?: PageRequest): Promise<Page<StoredFamilyConfig>>;
  /** The current config of every family, by family name. */
  listFamilyConfigs(page?: PageRequest): Promise<Page<StoredFamilyConfig>>;

  /** Registers a new image (normally in `building`); an existing family+version is a conflict. */
  createImage(image: Image, audit: AuditContext): Promise<void>;
  getImage(family: string, version: string): Promise<Image | undefined>;
  /** Changes state, writes the audit record and moves channels in one transaction. */
  transitionImage(req: TransitionRequest): Promise<Image>;
  /** Updates fields that are not state (findings, vulnerable flag) under the same optimistic lock. */
  updateImage(
    family: string,
    version: string,
    expectedStateVersion: number,
    patch: TransitionRequest['patch'],
    audit: AuditContext & { at: string; action: string },
  ): Promise<Image>;
  listImagesByFamily(family: string, page?: PageRequest): Promise<Page<Image>>;
  listImagesByState(state: LifecycleState, page?: PageRequest): Promise<Page<Image>>;
  findImagesByAmiId(amiId: string): Promise<Image[]>;
  listImagesByRegion(region: string, page?: PageRequest): Promise<Page<Image>>;
  listAudit(family: string, version: string, page?: PageRequest): Promise<Page<AuditRecord>>;

  getChannel(family: string, name: string): Promise<Channel | undefined>;
  listChannels(family: string): Promise<Channel[]>;
  channelHistory(family: string, name: string, page?: PageRequest): Promise<Page<Channel>>;
  /** Points a channel at a published image (or back, for a rollback); history is kept. */
  setChannel(
    family: string,
    name: string,
    version: string,
    opts: { expectedRevision: number | null; at: string; audit: AuditContext },
  ): Promise<Channel>;

  putHold(hold: Hold): Promise<void>;
  releaseHold(id: string, at: string, by: string): Promise<Hold>;
  getHold(id: string): Promise<Hold | undefined>;
  listHoldsForTarget(target: HoldTarget): Promise<Hold[]>;
  /**
   * Every hold in force (not released), across families, oldest `createdAt` first. Expired holds that
   * were not released are listed too: expiry is judged by the caller's clock against `expiresAt`.
   */
  listActiveHolds(page?: PageRequest): Promise<Page<Hold>>;

  /**
   * Stores a new version of the organisation config (accounts, regions, organization, sweep guards),
   * versioned as family configs are; `expectedCurrent` guards against a concurrent apply.
   */
  putOrganizationConfig(
    config: OrganizationConfig,
    opts: { expectedCurrent: number | null; at: string; by: string },
  ): Promise<StoredOrganizationConfig>;
  /** The current version, or the one asked for; parse `config` with `parseStoredOrganizationConfig`. */
  getOrganizationConfig(version?: number): Promise<StoredOrganizationConfig | undefined>;

  /**
   * Keeps at most one refresh decision per family and trigger key. Nothing on record: this one is written.
   * A `requested` decision on record is final and is answered as it is (`written: false`). A `skipped` one
   * is replaced by a `requested` one, and kept when this one is skipped too.
   */
  recordRefreshDecision(decision: RefreshDecision): Promise<RecordedRefreshDecision>;
  getRefreshDecision(family: string, triggerKey: string): Promise<RefreshDecision | undefined>;
  /** A family's refresh decisions, newest `decidedAt` first. */
  listRefreshDecisions(family: string, page?: PageRequest): Promise<Page<RefreshDecision>>;

  /**
   * Stores one region's inventory for a sweep. A retried reading is stored beside the earlier one and
   * replaces it when it began later; a reading that began no later than the stored one (a step that
   * outlived its retry) is not written (`written: false`). Times come back in UTC.
   */
  saveInventoryPart(part: InventoryPart): Promise<{ written: boolean }>;
  /** The sweep's inventory, one part per region read (each region's latest reading), by region. */
  getInventoryParts(sweepId: string): Promise<InventoryPart[]>;

  /** Stores what one batch of a sweep's actions came to; a retried batch replaces its earlier outcome. */
  saveBatchOutcome(sweepId: string, batch: number, outcome: BatchOutcome): Promise<void>;
  /** Every stored batch outcome of a sweep, by batch number. */
  listBatchOutcomes(sweepId: string): Promise<{ batch: number; outcome: BatchOutcome }[]>;

  savePlan(plan: RetentionPlan): Promise<void>;
  getPlan(sweepId: string): Promise<RetentionPlan | undefined>;
  /** Plans newest first. */
  listPlans(
    page?: PageRequest,
  ): Promise<Page<Pick<RetentionPlan, 'sweepId' | 'generatedAt' | 'guard' | 'summary'>>>;
}
