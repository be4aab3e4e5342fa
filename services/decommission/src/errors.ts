import { DomainError } from '@ami-lifecycle/core';

/** A sweep step names a plan the catalog does not hold. Never retryable: the plan is written before any step. */
export class PlanNotFoundError extends DomainError {
  constructor(readonly sweepId: string) {
    super(`retention plan ${sweepId} is not in the catalog`);
  }
}

/** The organisation's policy (accounts, regions, sweep guards) has not been stored: nothing can be swept. */
export class OrganizationNotConfiguredError extends DomainError {
  constructor() {
    super('the organisation section of the policy is not stored; run amictl config apply first');
  }
}
