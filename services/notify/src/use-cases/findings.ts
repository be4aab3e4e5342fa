import {
  evaluateGate,
  type Gate,
  judgesImage,
  SEVERITIES,
  type Severity,
  type Waiver,
} from '@ami-lifecycle/core';
import type { FindingDetail, VulnerablePackage } from './ports';

/** One vulnerability on an image: every finding of it (one per instance and package) folded into one line. */
export interface VulnerabilityGroup {
  vulnerabilityId: string;
  severity: Severity;
  score?: number;
  packages: VulnerablePackage[];
  instances: string[];
  accounts: string[];
}

/** What the gate made of an image's findings, for a person: what failed it and which waivers it used. */
export interface GateAssessment {
  /** The severities whose count is over the gate's limit. */
  overLimit: Severity[];
  /** The findings that broke the limits (not waived), worst first. */
  failing: VulnerabilityGroup[];
  /** Each waiver that excused a finding, with the vulnerabilities it excused. */
  waiversUsed: { waiver: Waiver; vulnerabilities: string[] }[];
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** Folds findings into one group per vulnerability, worst first (severity, then Inspector's score, then id). */
export const groupByVulnerability = (findings: readonly FindingDetail[]): VulnerabilityGroup[] => {
  const groups = new Map<string, VulnerabilityGroup>();
  for (const f of findings) {
    const g = groups.get(f.vulnerabilityId) ?? {
      vulnerabilityId: f.vulnerabilityId,
      severity: f.severity,
      packages: [],
      instances: [],
      accounts: [],
    };
    if (rank(f.severity) < rank(g.severity)) g.severity = f.severity;
    if (f.score !== undefined && (g.score === undefined || f.score > g.score)) g.score = f.score;
    for (const p of f.packages) {
      if (!g.packages.some((q) => q.name === p.name && q.installed === p.installed)) g.packages.push(p);
    }
    if (f.instanceId !== undefined && !g.instances.includes(f.instanceId)) g.instances.push(f.instanceId);
    if (f.accountId !== undefined && !g.accounts.includes(f.accountId)) g.accounts.push(f.accountId);
    groups.set(f.vulnerabilityId, g);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, instances: g.instances.sort(), accounts: g.accounts.sort() }))
    .sort(
      (a, b) =>
        rank(a.severity) - rank(b.severity) ||
        (b.score ?? 0) - (a.score ?? 0) ||
        a.vulnerabilityId.localeCompare(b.vulnerabilityId),
    );
};

/**
 * The findings that judge an image (`judgesImage`: its own test instances and workloads, not our instances of
 * another image such as a child's builder), suppressed ones left out.
 */
export const judgingFindings = (
  findings: readonly FindingDetail[],
  image: { family: string; version: string },
): FindingDetail[] => findings.filter((f) => f.status !== 'SUPPRESSED' && judgesImage(f.instanceTags, image));

/**
 * The gate of the family (as it judged the image) run again over the image's findings at the verdict's time:
 * the severities over their limits, the findings that broke them, the waivers that excused findings. Every
 * finding counts as active: by the time anyone reads this the test instance is gone and Inspector has closed
 * its findings, which are still the ones the gate counted.
 */
export const assessGate = (input: {
  findings: readonly FindingDetail[];
  gate: Gate;
  image: { family: string; version: string };
  at: Date;
}): GateAssessment => {
  const relevant = judgingFindings(input.findings, input.image);
  const byArn = new Map(relevant.map((f) => [f.findingArn, f]));
  const evaluated = evaluateGate({
    findings: [...byArn.values()].map((f) => ({
      id: f.findingArn,
      cve: f.vulnerabilityId,
      severity: f.severity,
      fixAvailable: f.fixAvailable,
      status: 'ACTIVE' as const,
    })),
    gate: input.gate,
    now: input.at,
  });
  const overLimit = SEVERITIES.filter((s) => {
    const max = input.gate.maxFindings[s];
    return max !== undefined && evaluated.counted[s] > max;
  });
  const waived = new Set(evaluated.waived);
  const failing = [...byArn.values()].filter(
    (f) =>
      overLimit.includes(f.severity) &&
      !waived.has(f.findingArn) &&
      (!input.gate.fixAvailableOnly || f.fixAvailable),
  );
  const atMs = input.at.getTime();
  const used = new Map<string, { waiver: Waiver; vulnerabilities: string[] }>();
  for (const arn of evaluated.waived) {
    const f = byArn.get(arn);
    if (f === undefined) continue;
    const waiver = input.gate.waivers.find(
      (w) => (w.id === f.vulnerabilityId || w.id === f.findingArn) && Date.parse(w.expiresAt) > atMs,
    );
    if (waiver === undefined) continue;
    const entry = used.get(waiver.id) ?? { waiver, vulnerabilities: [] };
    if (!entry.vulnerabilities.includes(f.vulnerabilityId)) entry.vulnerabilities.push(f.vulnerabilityId);
    used.set(waiver.id, entry);
  }
  return {
    overLimit,
    failing: groupByVulnerability(failing),
    waiversUsed: [...used.values()].sort((a, b) => a.waiver.id.localeCompare(b.waiver.id)),
  };
};

/** `httpd 2.4.58-1.amzn2023, fixed in 2.4.60-1.amzn2023`; `no fixed build yet` when none is known. */
export const packageText = (p: VulnerablePackage): string =>
  `${p.name} ${p.installed}, ${p.fixedIn === undefined ? 'no fixed build yet' : `fixed in ${p.fixedIn}`}`;

/** One line per vulnerability: `CVE-2024-38476 (CRITICAL): httpd 2.4.58-1, fixed in 2.4.60-1`. */
export const vulnerabilityLines = (groups: readonly VulnerabilityGroup[]): string[] =>
  groups.map((g) => {
    const packages = g.packages.length === 0 ? 'package not named' : g.packages.map(packageText).join('; ');
    return `${g.vulnerabilityId} (${g.severity}): ${packages}`;
  });
