import { listAll } from '@ami-lifecycle/catalog';
import {
  type AuditRecord,
  type CatalogPort,
  DAY_MS,
  type Image,
  type StoredConfig,
  type UsageFact,
} from '@ami-lifecycle/core';

// An inspection's test instance is launched at its start; the verdict is recorded at most this long after.
const INSPECTION_MARGIN_MS = 60 * 60_000;
const MAX_AUDIT_PAGES = 20;

/** An audit record that ends an inspection (candidate or re-inspection), as the inspect service writes them. */
const endsInspection = (r: AuditRecord): boolean =>
  r.action === 'reinspected' ||
  r.action === 'inspection-recorded' ||
  (r.action === 'transition' && r.from === 'inspecting');

/** How long an inspection of a family can run, from its config: the scan timeout and its longest test. */
const inspectionWindowMs = (config: StoredConfig | undefined): number => {
  if (config === undefined) return DAY_MS + INSPECTION_MARGIN_MS;
  const longestTest = Math.max(0, ...config.inspect.tests.map((t) => t.timeoutSeconds));
  return config.inspect.scanTimeoutMinutes * 60_000 + longestTest * 1000 + INSPECTION_MARGIN_MS;
};

/**
 * EC2's `LastLaunchedTime` counts every launch, the inspect service's own test instances too: a published
 * image is re-inspected every `reinspectEveryDays`, so its last launch would always be within the in-use
 * grace and retention could never let it go. A home-region AMI whose last launch falls inside one of the
 * image's own inspections (between the inspection's longest run before its recorded end, and that end) was
 * launched by it: that launch is dropped from its fact. Only facts with nothing else keeping the image are
 * looked at (not in use, last launched within the grace), so the audit trail is read for few images.
 */
export const discountOwnInspections = async (
  input: {
    facts: UsageFact[];
    images: readonly Image[];
    configs: ReadonlyMap<string, StoredConfig>;
    /** The home region: where test instances run. */
    region: string;
    now: Date;
  },
  catalog: Pick<CatalogPort, 'listAudit'>,
): Promise<UsageFact[]> => {
  const byAmi = new Map<string, Image>();
  for (const image of input.images) {
    const home = image.amiIds[input.region];
    if (home !== undefined) byAmi.set(home, image);
  }
  const out: UsageFact[] = [];
  for (const fact of input.facts) {
    const image = byAmi.get(fact.amiId);
    const launched = fact.lastLaunchedAt === undefined ? Number.NaN : Date.parse(fact.lastLaunchedAt);
    const config = image && input.configs.get(image.family);
    const grace = (config?.retention?.inUseGraceDays ?? 30) * DAY_MS;
    if (
      image === undefined ||
      fact.inUse ||
      Number.isNaN(launched) ||
      launched <= input.now.getTime() - grace
    ) {
      out.push(fact);
      continue;
    }
    const audit = await listAll(
      `audit of ${image.family}@${image.version}`,
      (page) => catalog.listAudit(image.family, image.version, page),
      MAX_AUDIT_PAGES,
    );
    const window = inspectionWindowMs(config);
    const ours = audit.some((r) => {
      if (!endsInspection(r)) return false;
      const end = Date.parse(r.at);
      return launched <= end && launched >= end - window;
    });
    if (!ours) {
      out.push(fact);
      continue;
    }
    const { lastLaunchedAt: _, ...rest } = fact;
    out.push(rest);
  }
  return out;
};
