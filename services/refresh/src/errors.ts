import { DomainError } from '@ami-lifecycle/core';

/**
 * An event names an image the catalog does not hold as it says (no such image, or another AMI): nothing
 * is decided on it. Rethrown, so EventBridge retries it and finally keeps it in the dead-letter queue.
 */
export class TriggerMismatchError extends DomainError {
  constructor(
    readonly detailType: string,
    readonly image: string,
    why: string,
  ) {
    super(`${detailType} of ${image} refused: ${why}`);
  }
}
