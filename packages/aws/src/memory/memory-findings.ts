import type {
  Clock,
  FindingsPort,
  GateFinding,
  ImageFinding,
  InstanceState,
  ScanCoverage,
} from '@ami-lifecycle/core';
import { MEMORY_ACCOUNT_ID } from './memory-images';

/** What the fake knows of an instance: enough to decide coverage and to close its findings. */
export interface FindingsInstanceView {
  state: InstanceState;
  imageId: string;
  /** ISO-8601. */
  launchedAt: string;
  /** The instance's tags: what its findings of an image report. */
  tags?: Readonly<Record<string, string>>;
}

export interface MemoryFindingsOptions {
  clock: Clock;
  /** Looks an instance up (`createMemoryCloud` wires `MemoryCompute`); only `addFinding`s count when absent. */
  instance?: (instanceId: string) => FindingsInstanceView | undefined;
  /** Seconds from launch to the first scan: the local cloud's poll (60) and scan delay (120) together. */
  firstScanSeconds?: number;
}

export interface NewFinding {
  instanceId: string;
  /** The AMI the instance runs; looked up from the instance when absent. */
  imageId?: string;
  /** The instance's tags, for an instance the fake does not know; looked up from the instance otherwise. */
  instanceTags?: Record<string, string>;
  cve?: string;
  severity: GateFinding['severity'];
  fixAvailable?: boolean;
  status?: GateFinding['status'];
}

interface FindingRecord {
  finding: GateFinding;
  instanceId: string;
  imageId: string | undefined;
  /** The instance's tags when the finding was added: what is reported once the fake forgets the instance. */
  instanceTags: Readonly<Record<string, string>>;
}

/**
 * `FindingsPort` in memory with `InspectorFindings`' semantics: an instance is covered from launch,
 * `pending` until its first scan (`firstScanSeconds` on the injected clock), then `scanned`; a stopped or
 * terminated instance keeps `scanned` only if it was scanned. Findings are what `addFinding` put there;
 * those of a terminated instance read `CLOSED`, as Inspector closes them. An image's findings name their
 * instance and its tags, as Inspector's `resources[]` do.
 */
export class MemoryFindings implements FindingsPort {
  private readonly clock: Clock;
  private readonly firstScanMs: number;
  private readonly findings: FindingRecord[] = [];
  private readonly scannedAt = new Map<string, number>();
  instance: ((instanceId: string) => FindingsInstanceView | undefined) | undefined;

  constructor(options: MemoryFindingsOptions) {
    this.clock = options.clock;
    this.instance = options.instance;
    this.firstScanMs = (options.firstScanSeconds ?? 180) * 1000;
  }

  async coverage(instanceId: string): Promise<ScanCoverage> {
    const nowMs = this.clock.now().getTime();
    const forced = this.scannedAt.get(instanceId);
    const view = this.instance?.(instanceId);
    if (!view) return forced !== undefined && forced <= nowMs ? 'scanned' : 'none';
    const scannedAtMs = forced ?? Date.parse(view.launchedAt) + this.firstScanMs;
    const scanned = scannedAtMs <= nowMs;
    if (view.state === 'running' || view.state === 'pending') return scanned ? 'scanned' : 'pending';
    return scanned ? 'scanned' : 'none';
  }

  async listFindingsForImage(amiId: string): Promise<ImageFinding[]> {
    return this.findings
      .filter((f) => this.imageOf(f) === amiId)
      .map((f) => ({
        ...this.current(f),
        instanceId: f.instanceId,
        instanceTags: { ...(this.instance?.(f.instanceId)?.tags ?? f.instanceTags) },
      }));
  }

  async listFindingsForInstance(instanceId: string): Promise<GateFinding[]> {
    return this.findings.filter((f) => f.instanceId === instanceId).map((f) => this.current(f));
  }

  // --- test controls -------------------------------------------------------------------------------

  /** Records a finding on an instance (and so on its image); answers it as `listFindingsForInstance` lists it. */
  addFinding(input: NewFinding): GateFinding {
    const id = `arn:aws:inspector2:us-east-1:${MEMORY_ACCOUNT_ID}:finding/${(this.findings.length + 1)
      .toString(16)
      .padStart(32, '0')}`;
    const finding: GateFinding = {
      id,
      cve: input.cve,
      severity: input.severity,
      fixAvailable: input.fixAvailable ?? false,
      status: input.status ?? 'ACTIVE',
    };
    const view = this.instance?.(input.instanceId);
    this.findings.push({
      finding,
      instanceId: input.instanceId,
      imageId: input.imageId ?? view?.imageId,
      instanceTags: { ...(input.instanceTags ?? view?.tags) },
    });
    return { ...finding };
  }

  /** Changes a finding's status (a suppression rule, a fix that closed it). */
  setFindingStatus(findingId: string, status: NonNullable<GateFinding['status']>): void {
    const record = this.findings.find((f) => f.finding.id === findingId);
    if (!record) throw new Error(`no finding ${findingId}`);
    record.finding.status = status;
  }

  /** Marks an instance scanned now, whatever `firstScanSeconds` says. */
  markScanned(instanceId: string): void {
    this.scannedAt.set(instanceId, this.clock.now().getTime());
  }

  private imageOf(f: FindingRecord): string | undefined {
    return f.imageId ?? this.instance?.(f.instanceId)?.imageId;
  }

  private current(f: FindingRecord): GateFinding {
    // A terminated (or already forgotten) instance's findings are closed, as Inspector closes them.
    const gone =
      this.instance !== undefined && (this.instance(f.instanceId)?.state ?? 'terminated') === 'terminated';
    return { ...f.finding, ...(gone ? { status: 'CLOSED' as const } : {}) };
  }
}
