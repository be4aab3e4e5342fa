import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { compareVersions } from '../../package-versions';
import type { PackageFamily } from '../ssm/shell';

/**
 * The vulnerability feed Inspector matches package inventories against: one entry per (vulnerability,
 * package, package family). The same CVE appears once per distribution that ships the package, because
 * each distribution fixes it in its own build (`openssl 3.0.8-1.amzn2023.0.15` vs `3.0.13-0ubuntu3.5`).
 */
export const CveFeedEntrySchema = z
  .strictObject({
    /** CVE (or ALAS, GHSA, ...) id, as Inspector's `vulnerabilityId`. */
    vulnerabilityId: z
      .string()
      .max(128)
      .regex(/^[A-Z][A-Z0-9]*-[A-Za-z0-9:._-]+$/, 'expected a vulnerability id such as CVE-2024-6387'),
    /** The installed package name it affects (`openssl`, `linux-image-aws`). */
    packageName: z.string().min(1).max(256),
    /** Which distributions' builds the versions refer to; absent: any instance with the package. */
    family: z.enum(['rpm', 'deb']).optional(),
    /** First fixed build: installed versions below it are vulnerable and the finding has a fix. */
    fixedVersion: z.string().min(1).optional(),
    /** For a vulnerability without a fix yet: versions below it are vulnerable (fixAvailable NO). */
    affectsVersionsBelow: z.string().min(1).optional(),
    /** First affected version (e.g. a backdoor introduced in xz 5.6.0); absent: every older version. */
    introducedIn: z.string().min(1).optional(),
    severity: z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']),
    cvssScore: z.number().min(0).max(10),
    cvssVector: z.string().min(1).optional(),
    /** A one-line summary; the finding's `description` (its `title` is `<id> - <package>`, as AWS writes). */
    title: z.string().min(1).max(1024),
    /** Longer text for the finding's description; the title is used when absent. */
    description: z.string().min(1).max(1024).optional(),
    /** `AMAZON_CVE`, `UBUNTU_CVE`, `NVD`, ...; derived from `family` when absent. */
    source: z.string().min(1).optional(),
    sourceUrl: z.url().optional(),
    referenceUrls: z.array(z.url()).max(20).optional(),
    /** When the vendor published it (ISO 8601): the finding's `vendorCreatedAt`. */
    publishedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((e) => e.fixedVersion === undefined || e.affectsVersionsBelow === undefined, {
    message: 'give fixedVersion (a fix exists) or affectsVersionsBelow (no fix yet), not both',
    path: ['affectsVersionsBelow'],
  });

export type CveFeedEntry = z.infer<typeof CveFeedEntrySchema>;

export const CveFeedFileSchema = z.strictObject({
  description: z.string().optional(),
  vulnerabilities: z.array(CveFeedEntrySchema),
});

/** `packages/local-cloud/data/cve-feed.json`: read at run time so `tsc -p tsconfig.build.json` keeps `src` as root. */
export const DEFAULT_FEED_PATH = resolve(__dirname, '../../../data/cve-feed.json');

/** Reads and validates a feed file; a bad entry fails here naming its index and field. */
export const loadCveFeed = (path: string = DEFAULT_FEED_PATH): CveFeedEntry[] => {
  const parsed = CveFeedFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new Error(`CVE feed ${path} is invalid: ${issues.join('; ')}`);
  }
  return parsed.data.vulnerabilities;
};

/** Whether `installed` falls in the entry's affected range. */
export const isAffected = (entry: CveFeedEntry, installed: string): boolean => {
  if (entry.introducedIn !== undefined && compareVersions(installed, entry.introducedIn) < 0) return false;
  const below = entry.fixedVersion ?? entry.affectsVersionsBelow;
  return below === undefined || compareVersions(installed, below) < 0;
};

/** One package of an inventory that an entry makes vulnerable. */
export interface VulnerablePackageMatch {
  name: string;
  installed: string;
  entry: CveFeedEntry;
}

const entryKey = (e: Pick<CveFeedEntry, 'vulnerabilityId' | 'packageName' | 'family'>) =>
  `${e.vulnerabilityId}\u0000${e.packageName}\u0000${e.family ?? '*'}`;

/**
 * The feed in memory, indexed by package name. Entries are keyed by (id, package, family), so adding one
 * that exists replaces it: the control API can correct a severity or a fixed version at run time.
 */
export class CveFeed {
  private readonly entries = new Map<string, CveFeedEntry>();
  private readonly byPackage = new Map<string, Map<string, CveFeedEntry>>();

  constructor(entries: readonly CveFeedEntry[] = []) {
    for (const e of entries) this.upsert(e);
  }

  /** Adds or replaces an entry; returns whether it replaced one. */
  upsert(entry: CveFeedEntry): boolean {
    const key = entryKey(entry);
    const replaced = this.entries.has(key);
    this.entries.set(key, entry);
    let forPackage = this.byPackage.get(entry.packageName);
    if (!forPackage) {
      forPackage = new Map();
      this.byPackage.set(entry.packageName, forPackage);
    }
    forPackage.set(key, entry);
    return replaced;
  }

  /** The entry of that id, package and family, if the feed has one. */
  find(e: Pick<CveFeedEntry, 'vulnerabilityId' | 'packageName' | 'family'>): CveFeedEntry | undefined {
    return this.entries.get(entryKey(e));
  }

  private has(e: Pick<CveFeedEntry, 'vulnerabilityId' | 'packageName' | 'family'>): boolean {
    return this.entries.has(entryKey(e));
  }

  list(): CveFeedEntry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The inventory's vulnerable packages grouped by vulnerability id. An entry for another family is
   * skipped; when the family can't be told from the inventory, every entry applies (better a finding
   * too many on an odd fixture than a silent miss).
   */
  match(
    packages: ReadonlyMap<string, string>,
    family: PackageFamily | undefined,
  ): Map<string, VulnerablePackageMatch[]> {
    const byId = new Map<string, Map<string, VulnerablePackageMatch>>();
    for (const [name, installed] of packages) {
      const candidates = this.byPackage.get(name);
      if (!candidates) continue;
      for (const entry of candidates.values()) {
        if (entry.family !== undefined && family !== undefined && entry.family !== family) continue;
        // A distribution's own entry overrides a generic one for the same package, affected or not:
        // distributions backport fixes into versions the upstream range calls vulnerable.
        if (entry.family === undefined && family !== undefined && this.has({ ...entry, family })) continue;
        if (!isAffected(entry, installed)) continue;
        const forId = byId.get(entry.vulnerabilityId) ?? new Map<string, VulnerablePackageMatch>();
        byId.set(entry.vulnerabilityId, forId);
        forId.set(name, { name, installed, entry });
      }
    }
    return new Map([...byId].map(([id, forId]) => [id, [...forId.values()]]));
  }
}
