import type { Gate } from './config/gate-schema';
import { type FindingsSummary, SEVERITIES, type Severity } from './model';

/** A finding as the gate sees it, whatever scanner produced it. */
export interface GateFinding {
  id: string;
  cve?: string | undefined;
  severity: Severity;
  fixAvailable: boolean;
  status?: 'ACTIVE' | 'SUPPRESSED' | 'CLOSED';
}

export interface TestResult {
  name: string;
  passed: boolean;
  detail?: string;
}

export interface GateVerdict {
  verdict: 'pass' | 'fail';
  reasons: string[];
  /** Findings that counted against the limits, per severity. */
  counted: FindingsSummary;
  /** Ids of findings excused by a waiver that was still valid at `now`. */
  waived: string[];
  /** Waivers that matched a finding but had expired: they excuse nothing. */
  expiredWaivers: string[];
}

const emptySummary = (): FindingsSummary =>
  Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as FindingsSummary;

/** Counts findings per severity, for the catalog's findings summary. */
export const summarizeFindings = (findings: readonly Pick<GateFinding, 'severity'>[]): FindingsSummary => {
  const summary = emptySummary();
  for (const f of findings) summary[f.severity]++;
  return summary;
};

/**
 * Evaluates the security gate: active findings, minus the unfixable ones when the gate counts only
 * fixable findings, minus those under a waiver valid at `now`, against the per-severity limits; every
 * failed test fails the gate too. The verdict lists every reason, not just the first.
 */
export const evaluateGate = (input: {
  findings: readonly GateFinding[];
  gate: Gate;
  tests?: readonly TestResult[];
  now: Date;
}): GateVerdict => {
  const { gate, now } = input;
  const nowMs = now.getTime();
  const waiverById = new Map(gate.waivers.map((w) => [w.id, w]));
  const counted = emptySummary();
  const waived: string[] = [];
  const expired = new Set<string>();

  for (const f of input.findings) {
    if ((f.status ?? 'ACTIVE') !== 'ACTIVE') continue;
    if (gate.fixAvailableOnly && !f.fixAvailable) continue;
    // A finding may be waived by its CVE or by its own id; any one still valid excuses it, and an
    // expired one is reported only when nothing valid stands in for it.
    const matching = [f.cve ? waiverById.get(f.cve) : undefined, waiverById.get(f.id)].filter(
      (w) => w !== undefined,
    );
    if (matching.some((w) => Date.parse(w.expiresAt) > nowMs)) {
      waived.push(f.id);
      continue;
    }
    for (const w of matching) expired.add(w.id);
    counted[f.severity]++;
  }

  const failures: string[] = [];
  for (const s of SEVERITIES) {
    const max = gate.maxFindings[s];
    if (max !== undefined && counted[s] > max)
      failures.push(`${counted[s]} ${s} findings exceed the limit of ${max}`);
  }
  for (const t of input.tests ?? []) {
    if (!t.passed) failures.push(`test "${t.name}" failed${t.detail ? `: ${t.detail}` : ''}`);
  }
  const notes = [...expired].map((id) => `waiver for ${id} has expired and excuses nothing`);
  const failed = failures.length > 0;
  const reasons = failed
    ? [...failures, ...notes]
    : ['all findings within the limits and all tests passed', ...notes];
  return { verdict: failed ? 'fail' : 'pass', reasons, counted, waived, expiredWaivers: [...expired] };
};
