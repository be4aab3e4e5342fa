import { DomainError, PermanentError } from '@ami-lifecycle/core';

/** A sweep step names a plan the catalog does not hold. Never retryable: the plan is written before any step. */
export class PlanNotFoundError extends PermanentError {
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

/**
 * A sweep is planned from its stored inventory, but a region of the policy has no part: its reading never
 * finished or was never stored. Never retryable: the plan would be made on a partial view of usage.
 */
export class InventoryIncompleteError extends PermanentError {
  constructor(
    readonly sweepId: string,
    readonly regions: readonly string[],
  ) {
    super(`the inventory of ${sweepId} has no reading of ${regions.join(', ')}; the sweep is not planned`);
  }
}

/** A region's inventory was asked for a region the organisation's policy does not enable. */
export class RegionNotEnabledError extends PermanentError {
  constructor(
    readonly region: string,
    readonly enabled: readonly string[],
  ) {
    super(`region ${region} is not one of the policy's enabled regions (${enabled.join(', ')})`);
  }
}

/**
 * Images of a batch moved to their new state but their events were not sent. Retryable: the retried batch
 * finds them in their target state and sends the events under the same keys.
 */
export class EventsNotSentError extends DomainError {
  constructor(
    readonly sweepId: string,
    readonly unannounced: readonly string[],
  ) {
    super(
      `sweep ${sweepId}: the events of ${unannounced.length} acted-on images were not sent: ${unannounced.join('; ')}`,
    );
  }
}
