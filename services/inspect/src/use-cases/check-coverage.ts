import type { ScanCoverage } from '@ami-lifecycle/core';
import type { InspectDeps } from './deps';

export interface CoverageCheck {
  instanceId: string;
  /** Checks made so far (the state machine carries the counter). */
  attempts: number;
  maxChecks: number;
}

export interface CoverageResult {
  coverage: ScanCoverage;
  attempts: number;
  /** `scanned`: findings are meaningful; `wait`: look again later; `timed-out`: give up, with `reason`. */
  next: 'scanned' | 'wait' | 'timed-out';
  reason?: string;
}

const GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * One bounded look at Inspector's coverage of the test instance. `pending` and `none` (Inspector has not
 * seen the instance yet) are both worth waiting for, until the check that fills the family's scan
 * timeout; an instance that stopped or vanished will never be scanned, so that gives up at once.
 */
export const checkCoverage = async (
  check: CoverageCheck,
  deps: Pick<InspectDeps, 'findings' | 'compute'>,
): Promise<CoverageResult> => {
  const attempts = check.attempts + 1;
  const coverage = await deps.findings.coverage(check.instanceId);
  if (coverage === 'scanned') return { coverage, attempts, next: 'scanned' };
  const instance = await deps.compute.describeInstance(check.instanceId);
  if (instance === undefined || GONE.has(instance.state)) {
    return {
      coverage,
      attempts,
      next: 'timed-out',
      reason: `test instance ${check.instanceId} is ${instance?.state ?? 'gone'} and was never scanned by Inspector`,
    };
  }
  if (attempts >= check.maxChecks) {
    return {
      coverage,
      attempts,
      next: 'timed-out',
      reason: `Inspector did not scan test instance ${check.instanceId} within ${attempts} checks (coverage ${coverage})`,
    };
  }
  return { coverage, attempts, next: 'wait' };
};
