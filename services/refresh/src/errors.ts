import { DomainError, PermanentError } from '@ami-lifecycle/core';

/**
 * An event names an image the catalog does not hold as it says (no such image, or another AMI): nothing
 * is decided on it. The catalog writes an image before its events are sent, so a retry meets the same
 * mismatch: the event goes to the dead-letter queue at once.
 */
export class TriggerMismatchError extends PermanentError {
  constructor(
    readonly detailType: string,
    readonly image: string,
    why: string,
  ) {
    super(`${detailType} of ${image} refused: ${why}`);
  }
}

/** One decision that could not be recorded or asked for. */
export interface RefreshFailure {
  family: string;
  error: unknown;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Some decisions of one trigger could not be carried out; every other one was. Rethrown, so the event
 * (or the daily run) is retried and finally kept in the dead-letter queue; a retry repeats only what is
 * missing, since recorded decisions are kept and started builds are not asked for again.
 */
export class RefreshApplyError extends DomainError {
  constructor(
    readonly failures: readonly RefreshFailure[],
    /** How many decisions of the trigger were carried out. */
    readonly appliedCount: number,
  ) {
    super(
      `${failures.length} of ${failures.length + appliedCount} refresh decision(s) not carried out: ${failures
        .map((f) => `${f.family}: ${messageOf(f.error)}`)
        .join('; ')}`,
      {
        cause: failures.length === 1 ? failures[0]?.error : new AggregateError(failures.map((f) => f.error)),
      },
    );
  }
}
