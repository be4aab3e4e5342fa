import {
  evaluateGate,
  type FindingsSummary,
  type Gate,
  type GateFinding,
  type GateVerdict,
  SEVERITIES,
  summarizeFindings,
  type TestResult,
} from '@ami-lifecycle/core';

/** The gate's verdict over a set of findings, plus what the catalog and the events need of it. */
export interface GateOutcome {
  verdict: GateVerdict;
  /** Active findings per severity after waivers: what the image records and the events report. */
  summary: FindingsSummary;
  /** The findings that break a limit: what makes a published image vulnerable. */
  failing: GateFinding[];
}

const isActive = (f: GateFinding) => (f.status ?? 'ACTIVE') === 'ACTIVE';

/**
 * Evaluates the gate at `now` (waivers expire by the injected clock) and works out which findings break
 * it: the active, counted (fixable when the gate says so), unwaived findings of every severity whose
 * limit is exceeded.
 */
export const assessFindings = (input: {
  findings: readonly GateFinding[];
  gate: Gate;
  tests?: readonly TestResult[];
  now: Date;
}): GateOutcome => {
  const verdict = evaluateGate(input);
  const waived = new Set(verdict.waived);
  const unwaived = input.findings.filter((f) => isActive(f) && !waived.has(f.id));
  const over = new Set(
    SEVERITIES.filter((s) => {
      const max = input.gate.maxFindings[s];
      return max !== undefined && verdict.counted[s] > max;
    }),
  );
  const failing = unwaived.filter(
    (f) => over.has(f.severity) && (!input.gate.fixAvailableOnly || f.fixAvailable),
  );
  return { verdict, summary: summarizeFindings(unwaived), failing };
};

const FINDING_ARN = /^arn:aws[a-z-]*:inspector2:[a-z0-9-]+:\d{12}:finding\/[0-9a-f]+$/;
const VULNERABILITY_ID = /^[A-Z][A-Z0-9]*-[A-Za-z0-9:._-]+$/;

/** The failing findings as `Image Vulnerable` lists them; findings without an Inspector ARN or id are left out. */
export const vulnerableFindings = (failing: readonly GateFinding[]) =>
  failing.flatMap((f) =>
    f.cve !== undefined && FINDING_ARN.test(f.id) && VULNERABILITY_ID.test(f.cve)
      ? [{ findingArn: f.id, vulnerabilityId: f.cve, severity: f.severity }]
      : [],
  );
