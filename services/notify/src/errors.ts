import { DomainError } from '@ami-lifecycle/core';

/**
 * `Image Vulnerable` reaches the refresh service and this one at the same time, and its message says whether
 * a rebuild was requested: until the refresh service has recorded its decision, the event is retried
 * (Lambda's retries, a minute and then two later). Past `waitedMs` the message goes without it.
 */
export class RefreshDecisionPendingError extends DomainError {
  constructor(
    readonly family: string,
    readonly version: string,
    readonly waitedMs: number,
  ) {
    super(
      `no refresh decision recorded yet for ${family}@${version} after ${Math.round(waitedMs / 1000)} s; retrying so the message can say whether a rebuild was requested`,
    );
  }
}
