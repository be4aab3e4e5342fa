import type {
  CatalogPort,
  Clock,
  Decision,
  InventoryPort,
  LifecycleState,
  Reason,
  RetentionPlan,
} from '@ami-lifecycle/core';
import type { LineageGraph, LineageRef } from '../lineage-commands';
import type { TimelineEntry } from '../read-commands';

/** What the report reads. Only the catalog and the clock are required. */
export interface ReportDeps {
  catalog: CatalogPort;
  /** "Now": when the report is made. */
  clock: Clock;
  /**
   * The owner account's EC2 per region: the sizes of its managed snapshots (the same reading a retirement
   * counts its freed GiB with). Without it the storage is estimated from the families' root volumes.
   */
  inventory?: ((region: string) => Pick<InventoryPort, 'listManagedSnapshots'>) | undefined;
  /**
   * The account that owns the images and their snapshots (where the controller runs). Without it: the only
   * account of the organisation config that has no `roleArn`, when there is exactly one.
   */
  ownerAccountId?: string | undefined;
}

/** One image of a family's section: what `images list` shows, and its audit trail. */
export interface ReportImage {
  family: string;
  version: string;
  state: LifecycleState;
  verdict: 'pass' | 'fail' | null;
  vulnerable: boolean;
  parent: LineageRef | null;
  /** The family's channels that point at this version. */
  channels: string[];
  /** Region -> AMI id. */
  amiIds: Record<string, string>;
  createdAt: string;
  stateChangedAt: string;
  publishedAt: string | null;
  /**
   * GiB of the snapshots tagged with this image, in every region read: measured (storage basis
   * `inventory`) or estimated (`config`); null when it cannot be told.
   */
  snapshotGiB: number | null;
  /** The whole audit trail, oldest first: built, inspected, approved, published, deprecated, ... */
  timeline: TimelineEntry[];
}

/** One family: its config, its channels, its images by state, each image. */
export interface ReportFamily {
  name: string;
  /** Null when the family has no stored config, or it no longer parses. */
  kind: 'golden' | 'application' | null;
  configVersion: number | null;
  /** Why the stored config does not parse; null when it does (or there is none). */
  configError: string | null;
  /** Channel -> the version it points at. */
  channels: Record<string, string>;
  /** Every lifecycle state, with how many of the family's images are in it (zeros included). */
  counts: Record<LifecycleState, number>;
  /** Oldest first. */
  images: ReportImage[];
}

/** One decision of the last sweep's plan, with the image's state now. */
export interface ReportDecision {
  family: string;
  version: string;
  /** The state the image was in when planned. */
  state: LifecycleState;
  decision: Decision;
  /** Whether it is one of the plan's actions (false for a keep, and for a decision a tripped guard held). */
  action: boolean;
  reasons: Reason[];
  /** The image's state in the catalog now; null when the catalog no longer has it. */
  now: LifecycleState | null;
}

/** The newest stored retention plan. */
export interface ReportPlan {
  sweepId: string;
  generatedAt: string;
  inventoryAt: string;
  previousSweepId: string | null;
  guard: RetentionPlan['guard'];
  summary: RetentionPlan['summary'];
  /** Families whose actions the sweep only planned (a new or changed policy), with why. */
  withheld: { family: string; reason: string }[];
  /** In the plan's order. */
  decisions: ReportDecision[];
}

/** Snapshot storage of one family in one region of the owner account, and what it costs a month. */
export interface ReportStorageRow {
  /** The owner account's id; null when it cannot be told. */
  account: string | null;
  /** The family the snapshots are tagged with (`(untagged)` for managed snapshots without a family tag). */
  family: string;
  region: string;
  /** Basis `inventory`: the managed snapshots counted; basis `config`: the AMI copies counted. */
  snapshots: number;
  gib: number;
  /** USD per GiB-month in this region. */
  pricePerGiBMonth: number;
  /** USD, rounded to cents. */
  monthlyCost: number;
}

export interface ReportStorage {
  /**
   * `inventory`: EC2's managed snapshots and their sizes, read now in every region of the owner account.
   * `config`: estimated from the catalog: each AMI copy of an image not retired, at the root volume size
   * of the family config it was built with.
   */
  basis: 'inventory' | 'config';
  /** The basis in words, as the report prints it. */
  basedOn: string;
  currency: 'USD';
  /** The regions counted. */
  regions: string[];
  /** The account that owns the snapshots: every row's `account`. */
  ownerAccount: { id: string | null; name: string | null };
  /** Accounts images are shared with: they launch from the owner's snapshots and store none of them. */
  sharedAccounts: { id: string; name: string | null; families: string[] }[];
  /** By family, then region. */
  rows: ReportStorageRow[];
  /** Per family: the sum of its rows (cost rounded to cents once, from the unrounded row costs). */
  families: { family: string; gib: number; monthlyCost: number }[];
  total: { gib: number; monthlyCost: number };
  /** Images that could not be sized (basis `config`: no readable config, or no root volume size), with why. */
  unsized: { family: string; version: string; why: string }[];
}

/** What one stored sweep decided and freed. */
export interface ReportSweepRow {
  sweepId: string;
  generatedAt: string;
  guard: 'ok' | 'tripped';
  /** Images per decision in the plan. */
  planned: RetentionPlan['summary'];
  /** Its actions carried out, skipped (checked again and refused) and failed, from its stored batches. */
  done: number;
  skipped: number;
  failed: number;
  /** Snapshot GiB its retirements deleted, in every region. */
  gibFreed: number;
  /** USD a month, at the organisation config's prices now, cent-rounded per family as the sweep's events are. */
  monthlyCostSaved: number;
}

export interface ReportSweeps {
  /** How many plans the catalog holds. */
  stored: number;
  /** Newest first, at most `REPORT_SWEEPS`. */
  rows: ReportSweepRow[];
  /** Over `rows`. */
  total: { gibFreed: number; monthlyCostSaved: number };
  /** What the numbers are based on, as the report prints it. */
  basedOn: string;
}

/** Everything the report shows; `report --json` prints it as it is. */
export interface ReportData {
  generatedAt: string;
  /** By name: every family with a stored config or with images. */
  families: ReportFamily[];
  /** Every image of the catalog, as `lineage --format json` prints it. */
  lineage: LineageGraph;
  /** The newest stored plan; null when none is stored. */
  lastSweep: ReportPlan | null;
  storage: ReportStorage;
  sweeps: ReportSweeps;
}
