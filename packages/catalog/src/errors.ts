import { DomainError, type LifecycleState } from '@ami-lifecycle/core';

/** What the catalog holds for an image's optimistic lock: the state and its counter. */
export interface ImageStamp {
  state: LifecycleState;
  stateVersion: number;
}

export class ImageNotFoundError extends DomainError {
  constructor(
    readonly family: string,
    readonly version: string,
    options?: { cause?: unknown },
  ) {
    super(`image ${family}@${version} does not exist`, options);
  }
}

export class ImageAlreadyExistsError extends DomainError {
  constructor(
    readonly family: string,
    readonly version: string,
    options?: { cause?: unknown },
  ) {
    super(`image ${family}@${version} already exists`, options);
  }
}

/**
 * The caller read an image that has changed since: its state or `stateVersion` is no longer what the
 * caller expected. Re-read and decide again; retrying the same request can never succeed.
 */
export class StaleImageError extends DomainError {
  constructor(
    readonly family: string,
    readonly version: string,
    readonly expected: { state?: LifecycleState; stateVersion: number },
    readonly actual: ImageStamp,
    options?: { cause?: unknown; message?: string },
  ) {
    super(
      options?.message ??
        `image ${family}@${version} changed: expected stateVersion ${expected.stateVersion}, ` +
          `found ${actual.state} at stateVersion ${actual.stateVersion}`,
      options,
    );
  }
}

/** A transition lost to another change of the same image (the usual outcome of a race). */
export class TransitionConflictError extends StaleImageError {
  constructor(
    family: string,
    version: string,
    readonly from: LifecycleState,
    readonly to: LifecycleState,
    expectedStateVersion: number,
    actual: ImageStamp,
    options?: { cause?: unknown },
  ) {
    super(family, version, { state: from, stateVersion: expectedStateVersion }, actual, {
      ...options,
      message:
        `transition ${from} -> ${to} of ${family}@${version} conflicts: expected ${from} at stateVersion ` +
        `${expectedStateVersion}, found ${actual.state} at stateVersion ${actual.stateVersion}`,
    });
  }
}

/**
 * A config apply lost to another one: the current version is not the one the caller read. `family` is
 * the family's name, or `organization` for the organisation config (`subject` then says so).
 */
export class ConfigVersionConflictError extends DomainError {
  constructor(
    readonly family: string,
    readonly expectedCurrent: number | null,
    readonly actualCurrent: number | null,
    options?: { cause?: unknown; subject?: string },
  ) {
    super(
      `config of ${options?.subject ?? `family ${family}`} changed: expected current version ` +
        `${expectedCurrent ?? 'none'}, found ${actualCurrent ?? 'none'}`,
      options,
    );
  }
}

/** The `family` of a `ConfigVersionConflictError` about the organisation config. */
export const ORGANIZATION_CONFIG = 'organization';

export const organizationConfigConflict = (
  expectedCurrent: number | null,
  actualCurrent: number | null,
  options?: { cause?: unknown },
): ConfigVersionConflictError =>
  new ConfigVersionConflictError(ORGANIZATION_CONFIG, expectedCurrent, actualCurrent, {
    ...options,
    subject: 'the organization',
  });

/**
 * A config apply met another one still storing versions on the same policy head (or, after bounded
 * retries, kept losing to other writes of it). Nothing of this apply is current; run it again once the
 * other one has finished. An apply that stopped half-way (its process died) stops blocking once its
 * versions are older than the catalog's stale-apply window.
 */
export class ConcurrentConfigApplyError extends DomainError {
  constructor(
    readonly subject: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `config of ${subject} is being stored by another apply (${detail}); try again when it has finished`,
      options,
    );
  }
}

export class ChannelConflictError extends DomainError {
  constructor(
    readonly family: string,
    readonly channel: string,
    readonly expectedRevision: number | null,
    readonly actualRevision: number | null,
    options?: { cause?: unknown },
  ) {
    super(
      `channel ${family}/${channel} changed: expected revision ${expectedRevision ?? 'none'}, ` +
        `found ${actualRevision ?? 'none'}`,
      options,
    );
  }
}

/** Channels point at published images only; `actualState` is undefined when the image does not exist. */
export class ChannelTargetNotPublishedError extends DomainError {
  constructor(
    readonly family: string,
    readonly channel: string,
    readonly version: string,
    readonly actualState: LifecycleState | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `channel ${family}/${channel} cannot point at ${family}@${version}: ` +
        (actualState === undefined
          ? 'the image does not exist'
          : `the image is ${actualState}, not published`),
      options,
    );
  }
}

export class HoldNotFoundError extends DomainError {
  constructor(
    readonly holdId: string,
    options?: { cause?: unknown },
  ) {
    super(`hold ${holdId} does not exist`, options);
  }
}

export class HoldAlreadyExistsError extends DomainError {
  constructor(
    readonly holdId: string,
    options?: { cause?: unknown },
  ) {
    super(`hold ${holdId} already exists`, options);
  }
}

/** Plans are immutable records of a sweep; a second save of one sweep id is refused. */
export class PlanAlreadyExistsError extends DomainError {
  constructor(
    readonly sweepId: string,
    options?: { cause?: unknown },
  ) {
    super(`retention plan ${sweepId} already exists`, options);
  }
}

/** A stored item does not match its schema: named by its key and the paths of the bad fields. */
export class CorruptItemError extends DomainError {
  constructor(
    readonly key: { PK: string; SK: string },
    readonly issues: readonly { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(
      `catalog item ${key.PK} / ${key.SK} is corrupt:\n${issues
        .map((i) => `  - ${i.path || '(root)'}: ${i.message}`)
        .join('\n')}`,
      options,
    );
  }
}

/** A page cursor that this catalog did not hand out for this query. */
export class InvalidCursorError extends DomainError {
  constructor(
    readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid page cursor: ${why}`, options);
  }
}

/** A value that cannot become (or did not come from) a key of the catalog table. */
export class InvalidKeyError extends DomainError {}

/** DynamoDB kept returning part of a batch unprocessed within the retry bound; the operation is incomplete. */
export class UnprocessedItemsError extends DomainError {
  constructor(
    readonly what: string,
    readonly unprocessed: number,
    options?: { cause?: unknown },
  ) {
    super(`${what}: ${unprocessed} item(s) still unprocessed after retries`, options);
  }
}

/** A query meant to return a small result kept paging past its bound; something is wrong with the data. */
export class QueryBoundExceededError extends DomainError {
  constructor(
    readonly query: string,
    readonly pages: number,
    options?: { cause?: unknown },
  ) {
    super(`query ${query} returned more than ${pages} pages`, options);
  }
}
