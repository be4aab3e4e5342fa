import { createHash } from 'node:crypto';
import { formatWithEpoch, parseVersion } from '../../package-versions';
import type { TimerHandle } from '../../sim-clock';
import type { PackageFamily } from '../ssm/shell';
import type { CveFeedEntry } from './feed';

/** Inspector's severities from most to least urgent; the feed uses the first four. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What Inspector knows of an instance. Its coverage record and its findings share one object, so the
 * findings of a terminated instance still describe it after the coverage record is gone.
 */
export interface ResourceSnapshot {
  accountId: string;
  region: string;
  instanceId: string;
  imageId: string;
  tags: Record<string, string>;
  family: PackageFamily | undefined;
  /** `AMAZON_LINUX_2023`, `UBUNTU`, ...: AwsEc2InstanceDetails.platform. */
  platform: string | undefined;
  launchedAt: number;
  iamInstanceProfile: string | undefined;
}

/** The `scanStatus.reason` values this emulator produces. */
export type CoverageReason =
  | 'PENDING_INITIAL_SCAN'
  | 'SUCCESSFUL'
  | 'EC2_INSTANCE_STOPPED'
  | 'UNMANAGED_EC2_INSTANCE';

export interface CoverageRecord {
  key: string;
  /** Discovery order: the order ListCoverage returns and its page tokens point at. */
  seq: number;
  resource: ResourceSnapshot;
  reason: CoverageReason;
  firstSeenAt: number;
  lastScannedAt: number | undefined;
  /** The inventory the last scan read: findings are always a function of it and the feed. */
  scannedInventory: ReadonlyMap<string, string> | undefined;
  scannedFingerprint: string | undefined;
  pendingScan: TimerHandle | undefined;
  findingKeys: Set<string>;
}

export interface FindingPackage {
  name: string;
  installed: string;
  fixedIn: string | undefined;
}

export type FindingStatus = 'ACTIVE' | 'CLOSED';

export interface FindingRecord {
  key: string;
  /** Creation order: the default order of ListFindings and the tie-break of every sort. */
  seq: number;
  arn: string;
  resource: ResourceSnapshot;
  vulnerabilityId: string;
  packages: FindingPackage[];
  /** The feed entry that scores the finding (the highest-scoring one when several packages match). */
  entry: CveFeedEntry;
  status: FindingStatus;
  /** Why it closed: remediated findings are kept 30 days, those of terminated instances 3, as AWS does. */
  closedBecause: 'remediated' | 'terminated' | undefined;
  firstObservedAt: number;
  lastObservedAt: number;
  updatedAt: number;
}

export const scopeKey = (accountId: string, region: string): string => `${accountId}/${region}`;
export const coverageKey = (accountId: string, region: string, instanceId: string): string =>
  `${accountId}/${region}/${instanceId}`;
export const findingKey = (coverage: string, vulnerabilityId: string): string =>
  `${coverage}/${vulnerabilityId}`;

/**
 * Deterministic, so a finding keeps its ARN when it closes and reopens and tests can predict it; the 32
 * hex digits are the shape AWS documents (`finding/[a-f0-9]{32}`).
 */
export const findingArn = (r: ResourceSnapshot, vulnerabilityId: string): string =>
  `arn:aws:inspector2:${r.region}:${r.accountId}:finding/${createHash('sha256')
    .update(`${r.accountId}/${r.region}/${r.instanceId}/${vulnerabilityId}`)
    .digest('hex')
    .slice(0, 32)}`;

/** A stable text of an inventory: a change to any package (added, removed, re-versioned) changes it. */
export const inventoryFingerprint = (packages: ReadonlyMap<string, string>): string =>
  [...packages]
    .map(([name, version]) => `${name}=${version}`)
    .sort()
    .join('\n');

/** The operating system as Inspector names it, judged from the builds installed. */
export const platformOf = (
  packages: ReadonlyMap<string, string>,
  family: PackageFamily | undefined,
): string | undefined => {
  const versions = [...packages.values()];
  if (versions.some((v) => /\.amzn2023/.test(v))) return 'AMAZON_LINUX_2023';
  if (versions.some((v) => /\.amzn2(?!\d)/.test(v))) return 'AMAZON_LINUX_2';
  const el = versions.map((v) => /\.el(\d+)/.exec(v)?.[1]).find((n) => n !== undefined);
  if (el) return `RHEL_${el}`;
  if (family === 'deb' && versions.some((v) => /ubuntu/.test(v))) return 'UBUNTU';
  if (family === 'deb') return 'DEBIAN';
  return undefined;
};

export const severityRank = (s: string): number => {
  const i = SEVERITIES.indexOf(s as Severity);
  // UNTRIAGED ranks below INFORMATIONAL when sorting, as it carries no vendor judgement yet.
  return i === -1 || s === 'UNTRIAGED' ? -1 : SEVERITIES.length - 1 - i;
};

const sourceOf = (entry: CveFeedEntry): string =>
  entry.source ?? (entry.family === 'rpm' ? 'AMAZON_CVE' : entry.family === 'deb' ? 'UBUNTU_CVE' : 'NVD');

const sourceUrlOf = (entry: CveFeedEntry): string => {
  if (entry.sourceUrl) return entry.sourceUrl;
  const id = entry.vulnerabilityId;
  if (entry.family === 'rpm') return `https://alas.aws.amazon.com/cve/html/${id}.html`;
  if (entry.family === 'deb') return `https://ubuntu.com/security/${id}`;
  return `https://nvd.nist.gov/vuln/detail/${id}`;
};

// Vendors word their severities differently; Inspector passes theirs through as `vendorSeverity`.
const vendorSeverityOf = (entry: CveFeedEntry): string => {
  const s = entry.severity;
  if (entry.family === 'rpm') return s === 'HIGH' ? 'Important' : s.charAt(0) + s.slice(1).toLowerCase();
  if (entry.family === 'deb') return s.toLowerCase();
  return s;
};

/** A command that applies the fix with the local cloud's SSM shell (and on a real instance). */
const remediationCommand = (family: PackageFamily | undefined, name: string): string =>
  family === 'deb'
    ? `apt-get update && apt-get install --only-upgrade -y ${name}`
    : `dnf update -y --releasever=latest ${name}`;

export const fixAvailableOf = (packages: readonly FindingPackage[]): 'YES' | 'NO' | 'PARTIAL' => {
  const fixed = packages.filter((p) => p.fixedIn !== undefined).length;
  return fixed === 0 ? 'NO' : fixed === packages.length ? 'YES' : 'PARTIAL';
};

const renderPackage = (p: FindingPackage, family: PackageFamily | undefined) => {
  const v = parseVersion(p.installed);
  return {
    name: p.name,
    // rpm inventories report version and release apart; dpkg reports the whole upstream-revision.
    ...(family === 'deb' || v.release === undefined
      ? { version: v.release === undefined ? v.version : `${v.version}-${v.release}` }
      : { version: v.version, release: v.release }),
    epoch: v.epoch,
    packageManager: 'OS',
    // AWS writes the fixed build with its epoch, and `NotAvailable` when there is none.
    fixedInVersion: p.fixedIn === undefined ? 'NotAvailable' : formatWithEpoch(p.fixedIn),
    ...(p.fixedIn === undefined ? {} : { remediation: remediationCommand(family, p.name) }),
  };
};

export const resourceDetails = <T>(r: ResourceSnapshot, time: (ms: number) => T) => ({
  type: 'AWS_EC2_INSTANCE',
  id: r.instanceId,
  partition: 'aws',
  region: r.region,
  tags: { ...r.tags },
  details: {
    awsEc2Instance: {
      imageId: r.imageId,
      launchedAt: time(r.launchedAt),
      ...(r.platform ? { platform: r.platform } : {}),
      ...(r.iamInstanceProfile
        ? {
            iamInstanceProfileArn: r.iamInstanceProfile.startsWith('arn:')
              ? r.iamInstanceProfile
              : `arn:aws:iam::${r.accountId}:instance-profile/${r.iamInstanceProfile}`,
          }
        : {}),
    },
  },
});

/**
 * A finding as Inspector2 shapes it. `time` renders timestamps: epoch seconds on the REST-JSON wire,
 * AWS's `Thu Jan 19 22:46:15.155 UTC 2023` text in EventBridge events.
 */
export const renderFinding = <T>(f: FindingRecord, time: (ms: number) => T) => {
  const e = f.entry;
  const source = sourceOf(e);
  const cvss = {
    baseScore: e.cvssScore,
    scoringVector: e.cvssVector ?? '',
    version: e.cvssVector?.startsWith('CVSS:') ? e.cvssVector.slice(5, e.cvssVector.indexOf('/')) : '3.1',
    source: 'NVD',
  };
  const fixAvailable = fixAvailableOf(f.packages);
  return {
    findingArn: f.arn,
    awsAccountId: f.resource.accountId,
    type: 'PACKAGE_VULNERABILITY',
    title: `${f.vulnerabilityId} - ${f.packages.map((p) => p.name).join(', ')}`,
    description: e.description ?? e.title,
    remediation: {
      recommendation: {
        text:
          fixAvailable === 'NO'
            ? 'None Provided'
            : `Update ${f.packages
                .filter((p) => p.fixedIn !== undefined)
                .map((p) => `${p.name} to ${p.fixedIn} or later`)
                .join(', ')}.`,
      },
    },
    severity: e.severity,
    firstObservedAt: time(f.firstObservedAt),
    lastObservedAt: time(f.lastObservedAt),
    updatedAt: time(f.updatedAt),
    status: f.status,
    resources: [resourceDetails(f.resource, time)],
    inspectorScore: e.cvssScore,
    inspectorScoreDetails: {
      adjustedCvss: {
        scoreSource: source,
        cvssSource: 'NVD',
        version: cvss.version,
        score: e.cvssScore,
        scoringVector: cvss.scoringVector,
        adjustments: [],
      },
    },
    packageVulnerabilityDetails: {
      vulnerabilityId: f.vulnerabilityId,
      vulnerablePackages: f.packages.map((p) => renderPackage(p, f.resource.family)),
      source,
      sourceUrl: sourceUrlOf(e),
      cvss: [cvss],
      relatedVulnerabilities: [],
      vendorSeverity: vendorSeverityOf(e),
      ...(e.publishedAt ? { vendorCreatedAt: time(Date.parse(e.publishedAt)) } : {}),
      referenceUrls: e.referenceUrls ?? [`https://nvd.nist.gov/vuln/detail/${f.vulnerabilityId}`],
    },
    fixAvailable,
    exploitAvailable: 'NO',
  };
};

export type WireFinding = ReturnType<typeof renderFinding<number>>;

/** REST-JSON timestamps are epoch seconds (the SDK turns them into Dates). */
export const epochSeconds = (ms: number): number => ms / 1000;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The timestamp text Inspector puts in EventBridge finding events (`Thu Jan 19 22:46:15.155 UTC 2023`,
 * per the event examples in the Inspector user guide), which is not ISO 8601: consumers that parse it
 * must meet it here too.
 */
export const eventTimestamp = (ms: number): string => {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} UTC ${d.getUTCFullYear()}`;
};
