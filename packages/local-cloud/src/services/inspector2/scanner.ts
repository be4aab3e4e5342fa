import {
  expectArray,
  expectMap,
  expectNumber,
  expectRecord,
  expectSet,
  expectString,
  StateCodecError,
} from '../../persistence/codec';
import type { TimerHandle } from '../../sim-clock';
import type { CloudContext, InstanceDirectory, SimInstance } from '../../types';
import { packageFamily } from '../ssm/shell';
import { findingEvent, initialScanEvent, type SeverityCounts } from './events';
import { type CveFeed, type CveFeedEntry, CveFeedEntrySchema, type VulnerablePackageMatch } from './feed';
import {
  type CoverageRecord,
  coverageKey,
  type FindingPackage,
  type FindingRecord,
  findingArn,
  findingKey,
  inventoryFingerprint,
  platformOf,
  type ResourceSnapshot,
  scopeKey,
} from './model';

const DAY_MS = 86_400_000;
/** How long closed findings stay listable before they are deleted, per the Inspector user guide. */
const RETENTION_MS = { remediated: 30 * DAY_MS, terminated: 3 * DAY_MS } as const;

export interface ScannerOptions {
  feed: CveFeed;
  /** Simulated seconds from an instance being seen running (or its inventory changing) to its scan result. */
  scanDelaySeconds: number;
  /** How often the directory is polled for new, changed, stopped and terminated instances. */
  pollIntervalSeconds: number;
  /** Regions polled in every modelled account, besides those learned from requests and notifications. */
  regions: (() => Iterable<string>) | undefined;
  /** When true, instances without an instance profile (not SSM-managed) are covered but never scanned. */
  requireManagedInstances: boolean;
}

/** Enough to find an instance in the directory. */
export type InstanceRef = Pick<SimInstance, 'accountId' | 'region' | 'instanceId'>;

/** What `addCve` did: whether it replaced an entry, and which covered instances it now makes vulnerable. */
export interface AddCveResult {
  entry: CveFeedEntry;
  replaced: boolean;
  affectedInstances: string[];
}

/**
 * Inspector's continuous EC2 scanning on the simulated clock. Findings are always a function of two
 * inputs: the inventory an instance's last scan read, and the feed. A scan completes `scanDelaySeconds`
 * after an instance is first seen running or its inventory is seen to change, and then creates, updates,
 * reopens and closes findings; a feed change re-evaluates every scanned instance at once, as AWS does when
 * a new CVE is published.
 *
 * Instances are seen by polling the directory every `pollIntervalSeconds` (it has no change feed: the SSM
 * shell edits `packages` in place), by any Inspector2 request, which syncs the caller's account and region
 * first, and by `notifyInventoryChanged`. The poll is one self-rescheduling clock task, started when there
 * is a first region to watch.
 */
export class Inspector2Scanner {
  private readonly coverage = new Map<string, CoverageRecord>();
  private readonly findings = new Map<string, FindingRecord>();
  private readonly scopes = new Map<string, { accountId: string; region: string }>();
  private seq = 0;
  private poller: TimerHandle | undefined;
  /** Feed entries added at run time (`addCve`), by key: what a state file keeps of the feed. */
  private readonly added = new Map<string, CveFeedEntry>();
  /** When each pending scan completes (simulated epoch ms), by coverage key. */
  private readonly scanDue = new Map<string, number>();

  constructor(
    private readonly ctx: CloudContext,
    private readonly instances: InstanceDirectory,
    private readonly options: ScannerOptions,
  ) {
    if (options.regions) this.startPolling();
  }

  /** Polls `accountId`/`region` from now on. */
  watch(accountId: string, region: string): void {
    const key = scopeKey(accountId, region);
    if (!this.scopes.has(key)) this.scopes.set(key, { accountId, region });
    this.startPolling();
  }

  /** Brings one account and region up to date with the directory now (and watches it from now on). */
  sync(accountId: string, region: string): void {
    this.watch(accountId, region);
    this.syncScope(accountId, region);
  }

  /**
   * Tells Inspector an instance changed (packages installed or upgraded, started, stopped, terminated), so
   * the rescan is scheduled now rather than at the next poll. Optional: the poll notices every change.
   */
  notifyInventoryChanged(ref: InstanceRef): void {
    this.watch(ref.accountId, ref.region);
    const inst = this.instances.find(ref.accountId, ref.region, ref.instanceId);
    if (inst) this.observe(inst);
    else {
      const rec = this.coverage.get(coverageKey(ref.accountId, ref.region, ref.instanceId));
      if (rec) this.terminate(rec);
    }
  }

  /**
   * Adds (or replaces) a feed entry and re-evaluates every scanned, running instance against the stored
   * result of its last scan: new findings and their events appear before this returns.
   * Throws a `ZodError` naming the bad field when the entry is invalid.
   */
  addCve(input: unknown): AddCveResult {
    const entry = CveFeedEntrySchema.parse(input);
    const replaced = this.options.feed.upsert(entry);
    this.added.set(`${entry.vulnerabilityId}|${entry.packageName}|${entry.family ?? ''}`, entry);
    const affected: string[] = [];
    for (const rec of this.coverage.values()) {
      if (rec.reason !== 'SUCCESSFUL') continue;
      this.evaluate(rec);
      const active = [...rec.findingKeys].some((k) => {
        const f = this.findings.get(k);
        return f?.status === 'ACTIVE' && f.vulnerabilityId === entry.vulnerabilityId;
      });
      if (active) affected.push(rec.resource.instanceId);
    }
    return { entry, replaced, affectedInstances: affected };
  }

  /** The feed entries in effect. */
  cves(): CveFeedEntry[] {
    return this.options.feed.list();
  }

  /** Covered instances of one account and region, in discovery order. */
  coverageIn(accountId: string, region: string): CoverageRecord[] {
    return [...this.coverage.values()].filter(
      (c) => c.resource.accountId === accountId && c.resource.region === region,
    );
  }

  /** Findings (active and closed, until deleted) of one account and region, in creation order. */
  findingsIn(accountId: string, region: string): FindingRecord[] {
    return [...this.findings.values()].filter(
      (f) => f.resource.accountId === accountId && f.resource.region === region,
    );
  }

  /**
   * Coverage (with each instance's last scanned inventory and when a pending scan is due), findings,
   * the scopes watched and the feed entries added at run time, for a state file.
   */
  exportState(): Record<string, unknown> {
    return {
      seq: this.seq,
      scopes: this.scopes,
      added: [...this.added.values()],
      coverage: [...this.coverage.values()].map(({ pendingScan, ...rec }) => ({
        ...rec,
        ...(pendingScan ? { scanDueAt: this.scanDue.get(rec.key) } : {}),
      })),
      findings: [...this.findings.values()],
    };
  }

  /**
   * Replaces coverage and findings with those of `exportState` (decoded): the feed entries added at run
   * time are added again, each finding is scored by the feed's entry when it is unchanged (a changed
   * one updates the finding at the next scan), and pending scans complete when they were due.
   */
  importState(data: Record<string, unknown>): void {
    const entries = expectArray(data.added, '$.added').map((e, i) => {
      const parsed = CveFeedEntrySchema.safeParse(e);
      if (!parsed.success) throw new StateCodecError(`$.added[${i}]`, parsed.error.message);
      return parsed.data;
    });
    const coverage = expectArray(data.coverage, '$.coverage').map((c, i) => {
      const rec = expectRecord(c, `$.coverage[${i}]`);
      expectString(rec.key, `$.coverage[${i}].key`);
      expectRecord(rec.resource, `$.coverage[${i}].resource`);
      expectSet(rec.findingKeys, `$.coverage[${i}].findingKeys`);
      if (rec.scannedInventory !== undefined)
        expectMap(rec.scannedInventory, `$.coverage[${i}].scannedInventory`);
      return rec as unknown as CoverageRecord & { scanDueAt?: number };
    });
    const findings = expectArray(data.findings, '$.findings').map((f, i) => {
      const rec = expectRecord(f, `$.findings[${i}]`);
      expectString(rec.key, `$.findings[${i}].key`);
      expectRecord(rec.resource, `$.findings[${i}].resource`);
      expectRecord(rec.entry, `$.findings[${i}].entry`);
      return rec as unknown as FindingRecord;
    });
    const scopes = expectMap<string, { accountId: string; region: string }>(data.scopes, '$.scopes');
    const seq = expectNumber(data.seq, '$.seq');

    for (const rec of this.coverage.values()) rec.pendingScan?.cancel();
    this.coverage.clear();
    this.findings.clear();
    this.scanDue.clear();
    this.added.clear();
    for (const entry of entries) {
      this.options.feed.upsert(entry);
      this.added.set(`${entry.vulnerabilityId}|${entry.packageName}|${entry.family ?? ''}`, entry);
    }
    for (const { scanDueAt, ...rec } of coverage) {
      this.coverage.set(rec.key, { ...rec, pendingScan: undefined });
    }
    for (const f of findings) {
      const { accountId, region, instanceId } = f.resource;
      const rec = this.coverage.get(coverageKey(accountId, region, instanceId));
      // One object, as when the scan made it: a refresh of the instance's resource shows in its findings.
      if (rec) f.resource = rec.resource;
      const current = this.options.feed.find(f.entry);
      if (current && JSON.stringify(current) === JSON.stringify(f.entry)) f.entry = current;
      this.findings.set(f.key, f);
    }
    for (const { scanDueAt, key } of coverage) {
      const rec = this.coverage.get(key)!;
      if (scanDueAt !== undefined) this.scheduleScan(rec, scanDueAt);
    }
    this.scopes.clear();
    for (const [k, v] of scopes) this.scopes.set(k, v);
    this.seq = seq;
    if (this.scopes.size > 0) this.startPolling();
  }

  /** Stops polling and cancels pending scans (a cloud being shut down). */
  dispose(): void {
    this.poller?.cancel();
    this.poller = undefined;
    for (const rec of this.coverage.values()) {
      rec.pendingScan?.cancel();
      rec.pendingScan = undefined;
    }
  }

  private startPolling(): void {
    if (this.poller) return;
    this.poller = this.ctx.clock.after(0, () => this.tick());
  }

  private tick(): void {
    // Rescheduled first, so one failing poll cannot stop the ones after it.
    this.poller = this.ctx.clock.after(this.options.pollIntervalSeconds * 1000, () => this.tick());
    for (const { accountId, region } of this.allScopes()) this.syncScope(accountId, region);
    this.purge();
  }

  private allScopes(): Array<{ accountId: string; region: string }> {
    const all = new Map(this.scopes);
    if (this.options.regions) {
      for (const region of this.options.regions()) {
        for (const { id } of this.ctx.accounts.list())
          all.set(scopeKey(id, region), { accountId: id, region });
      }
    }
    return [...all.values()];
  }

  private syncScope(accountId: string, region: string): void {
    const seen = new Set<string>();
    for (const inst of this.instances.list(accountId, region)) {
      seen.add(inst.instanceId);
      this.observe(inst);
    }
    // An instance the directory no longer lists is gone, whatever its last state was.
    for (const rec of this.coverageIn(accountId, region)) {
      if (!seen.has(rec.resource.instanceId)) this.terminate(rec);
    }
  }

  /** Moves one instance's coverage along with its state. */
  private observe(inst: SimInstance): void {
    const key = coverageKey(inst.accountId, inst.region, inst.instanceId);
    const rec = this.coverage.get(key);
    switch (inst.state) {
      case 'running': {
        if (!rec) {
          const created = this.cover(key, inst);
          if (created.reason === 'PENDING_INITIAL_SCAN') this.scheduleScan(created);
          return;
        }
        refreshResource(rec.resource, inst);
        if (!this.managed(inst)) {
          rec.pendingScan?.cancel();
          rec.pendingScan = undefined;
          rec.reason = 'UNMANAGED_EC2_INSTANCE';
          return;
        }
        if (rec.reason === 'EC2_INSTANCE_STOPPED' || rec.reason === 'UNMANAGED_EC2_INSTANCE') {
          // Back in service: the last result stands until the rescan replaces it.
          rec.reason = rec.lastScannedAt === undefined ? 'PENDING_INITIAL_SCAN' : 'SUCCESSFUL';
          this.scheduleScan(rec);
        } else if (
          rec.scannedFingerprint !== undefined &&
          inventoryFingerprint(inst.packages) !== rec.scannedFingerprint
        ) {
          this.scheduleScan(rec);
        }
        return;
      }
      case 'stopping':
      case 'stopped':
        // AWS pauses scanning a stopped instance and keeps its findings until it is terminated.
        if (rec && rec.reason !== 'EC2_INSTANCE_STOPPED') {
          rec.pendingScan?.cancel();
          rec.pendingScan = undefined;
          rec.reason = 'EC2_INSTANCE_STOPPED';
        }
        return;
      case 'shutting-down':
      case 'terminated':
        if (rec) this.terminate(rec);
        return;
      case 'pending':
        return;
    }
  }

  private cover(key: string, inst: SimInstance): CoverageRecord {
    const resource: ResourceSnapshot = {
      accountId: inst.accountId,
      region: inst.region,
      instanceId: inst.instanceId,
      imageId: inst.imageId,
      tags: {},
      family: undefined,
      platform: undefined,
      launchedAt: inst.launchedAt,
      iamInstanceProfile: undefined,
    };
    refreshResource(resource, inst);
    const rec: CoverageRecord = {
      key,
      seq: ++this.seq,
      resource,
      reason: this.managed(inst) ? 'PENDING_INITIAL_SCAN' : 'UNMANAGED_EC2_INSTANCE',
      firstSeenAt: this.ctx.clock.nowMillis(),
      lastScannedAt: undefined,
      scannedInventory: undefined,
      scannedFingerprint: undefined,
      pendingScan: undefined,
      findingKeys: new Set(),
    };
    this.coverage.set(key, rec);
    return rec;
  }

  /** SSM manages (and so Inspector's agent-based scan reaches) only instances with an instance profile. */
  private managed(inst: SimInstance): boolean {
    return !this.options.requireManagedInstances || Boolean(inst.iamInstanceProfile);
  }

  /** At most one scan is pending per instance; it reads the inventory when it completes. */
  private scheduleScan(
    rec: CoverageRecord,
    at = this.ctx.clock.nowMillis() + this.options.scanDelaySeconds * 1000,
  ): void {
    if (rec.pendingScan) return;
    this.scanDue.set(rec.key, at);
    rec.pendingScan = this.ctx.clock.at(at, () => this.completeScan(rec.key));
  }

  private completeScan(key: string): void {
    const rec = this.coverage.get(key);
    if (!rec) return;
    rec.pendingScan = undefined;
    const { accountId, region, instanceId } = rec.resource;
    const inst = this.instances.find(accountId, region, instanceId);
    if (!inst) {
      this.terminate(rec);
      return;
    }
    // Stopped or unmanaged since the scan was scheduled: `observe` records that instead of a result.
    if (inst.state !== 'running' || !this.managed(inst)) {
      this.observe(inst);
      return;
    }
    const now = this.ctx.clock.nowMillis();
    const initial = rec.lastScannedAt === undefined;
    refreshResource(rec.resource, inst);
    rec.scannedInventory = new Map(inst.packages);
    rec.scannedFingerprint = inventoryFingerprint(inst.packages);
    rec.resource.family = packageFamily(rec.scannedInventory);
    rec.resource.platform = platformOf(rec.scannedInventory, rec.resource.family);
    rec.lastScannedAt = now;
    rec.reason = 'SUCCESSFUL';
    this.evaluate(rec);
    // After the finding events, so a consumer woken by the scan event finds the findings in place.
    if (initial) this.ctx.events.emit(initialScanEvent(rec, this.severityCounts(rec), now));
  }

  /** Reconciles one instance's findings with its last scanned inventory and the feed. */
  private evaluate(rec: CoverageRecord): void {
    const inventory = rec.scannedInventory;
    if (!inventory) return;
    const now = this.ctx.clock.nowMillis();
    const matches = this.options.feed.match(inventory, rec.resource.family);
    for (const [vulnerabilityId, pkgs] of matches) {
      const key = findingKey(rec.key, vulnerabilityId);
      const packages = toFindingPackages(pkgs);
      const entry = leadEntry(pkgs);
      const existing = this.findings.get(key);
      rec.findingKeys.add(key);
      if (!existing) {
        const created: FindingRecord = {
          key,
          seq: ++this.seq,
          arn: findingArn(rec.resource, vulnerabilityId),
          resource: rec.resource,
          vulnerabilityId,
          packages,
          entry,
          status: 'ACTIVE',
          closedBecause: undefined,
          firstObservedAt: now,
          lastObservedAt: now,
          updatedAt: now,
        };
        this.findings.set(key, created);
        this.emit(created);
        continue;
      }
      const reopened = existing.status === 'CLOSED';
      const changed =
        existing.entry !== entry || JSON.stringify(existing.packages) !== JSON.stringify(packages);
      if (!reopened && !changed) continue;
      // A remediated vulnerability that comes back reopens its finding (same ARN), as AWS does.
      Object.assign(existing, {
        status: 'ACTIVE',
        closedBecause: undefined,
        resource: rec.resource,
        packages,
        entry,
        lastObservedAt: now,
        updatedAt: now,
      } satisfies Partial<FindingRecord>);
      this.emit(existing);
    }
    for (const key of rec.findingKeys) {
      const f = this.findings.get(key);
      if (f?.status === 'ACTIVE' && !matches.has(f.vulnerabilityId)) this.close(f, 'remediated', now);
    }
  }

  private close(f: FindingRecord, because: 'remediated' | 'terminated', now: number): void {
    f.status = 'CLOSED';
    f.closedBecause = because;
    f.updatedAt = now;
    this.emit(f);
  }

  /** Closes an instance's findings and drops its coverage (AWS shows RESOURCE_TERMINATED briefly first). */
  private terminate(rec: CoverageRecord): void {
    rec.pendingScan?.cancel();
    rec.pendingScan = undefined;
    const now = this.ctx.clock.nowMillis();
    for (const key of rec.findingKeys) {
      const f = this.findings.get(key);
      if (f?.status === 'ACTIVE') this.close(f, 'terminated', now);
    }
    this.coverage.delete(rec.key);
    this.scanDue.delete(rec.key);
  }

  /** Deletes closed findings past their retention, so a cloud left running for weeks stays bounded. */
  private purge(): void {
    const now = this.ctx.clock.nowMillis();
    for (const [key, f] of this.findings) {
      if (f.status !== 'CLOSED') continue;
      if (f.updatedAt + RETENTION_MS[f.closedBecause ?? 'remediated'] > now) continue;
      this.findings.delete(key);
      const { accountId, region, instanceId } = f.resource;
      this.coverage.get(coverageKey(accountId, region, instanceId))?.findingKeys.delete(key);
    }
  }

  private severityCounts(rec: CoverageRecord): SeverityCounts {
    const counts: SeverityCounts = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, TOTAL: 0 };
    for (const key of rec.findingKeys) {
      const f = this.findings.get(key);
      if (f?.status !== 'ACTIVE') continue;
      counts.TOTAL++;
      const s = f.entry.severity;
      if (s === 'CRITICAL' || s === 'HIGH' || s === 'MEDIUM') counts[s]++;
    }
    return counts;
  }

  private emit(f: FindingRecord): void {
    this.ctx.events.emit(findingEvent(f, this.ctx.clock.nowMillis()));
  }
}

/** Copies what may change while an instance lives (tags, instance profile) into its snapshot. */
const refreshResource = (r: ResourceSnapshot, inst: SimInstance): void => {
  r.imageId = inst.imageId;
  r.tags = Object.fromEntries(inst.tags);
  r.launchedAt = inst.launchedAt;
  r.iamInstanceProfile = inst.iamInstanceProfile;
};

const toFindingPackages = (pkgs: readonly VulnerablePackageMatch[]): FindingPackage[] =>
  pkgs
    .map((m) => ({ name: m.name, installed: m.installed, fixedIn: m.entry.fixedVersion }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** The entry a multi-package finding takes its severity and texts from: the highest-scoring one. */
const leadEntry = (pkgs: readonly VulnerablePackageMatch[]): CveFeedEntry =>
  pkgs.reduce((best, m) => (m.entry.cvssScore > best.cvssScore ? m.entry : best), pkgs[0]!.entry);
