import { DomainError, PermanentError } from '@ami-lifecycle/core';

/**
 * AWS throttled the call (after the SDK's own retries). Transient by definition: the lambda kit
 * classifies it as retry.
 */
export class ThrottledError extends DomainError {
  constructor(
    readonly service: string,
    readonly operation: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} ${operation} was throttled (${code})`, options);
  }
}

/** A resource that an action needs does not exist (lookups answer `undefined` instead). */
export class ResourceNotFoundError extends DomainError {
  constructor(
    readonly resourceType: string,
    readonly resourceId: string,
    options?: { cause?: unknown },
  ) {
    super(`${resourceType} ${resourceId} does not exist`, options);
  }
}

/** A listing went on for more pages than any sane account has: a loop guard, not a retry case. */
export class PaginationLimitError extends DomainError {
  constructor(
    readonly operation: string,
    readonly maxPages: number,
  ) {
    super(`${operation} returned more than ${maxPages} pages; refusing to page further`);
  }
}

const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/** The error code of an SDK v3 service exception (`name`, or `Code` on some Query errors). */
export const awsErrorCode = (err: unknown): string | undefined => {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  for (const c of [e.Code, e.name, e.code]) if (typeof c === 'string' && c !== 'Error') return c;
  return undefined;
};

export const isThrottling = (err: unknown): boolean => {
  const code = awsErrorCode(err);
  return code !== undefined && THROTTLING_CODES.has(code);
};

/**
 * Runs one SDK call, turning throttling into `ThrottledError`; every other error goes through
 * unchanged for the caller to map (not-found codes differ per operation).
 */
export const callAws = async <T>(service: string, operation: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (err) {
    if (isThrottling(err))
      throw new ThrottledError(service, operation, awsErrorCode(err) ?? 'Throttling', { cause: err });
    throw err;
  }
};

/** `sts:AssumeRole` gave no usable keys for a cross-account role. */
export class AssumeRoleFailedError extends DomainError {
  constructor(
    readonly roleArn: string,
    why: string,
  ) {
    super(`could not assume ${roleArn}: ${why}`);
  }
}

/**
 * A launch permission to remove that names no account, organisation or OU. Never retryable: the same
 * value fails the same way. (A bad value to *add* is a `PublicSharingRefusedError` instead.)
 */
export class InvalidLaunchPermissionError extends PermanentError {
  constructor(
    readonly imageId: string,
    readonly grant: string,
  ) {
    super(
      `cannot remove launch permission ${grant} from ${imageId}: not an account id, organization or OU ARN`,
    );
  }
}

/**
 * EC2 deregistered the image but did not delete every snapshot it was asked to delete with it
 * (`DeleteSnapshotResultSet` codes other than `success`). The image is gone; the snapshots named stay.
 */
export class SnapshotsNotDeletedError extends DomainError {
  constructor(
    readonly imageId: string,
    readonly failures: readonly { snapshotId: string; returnCode: string }[],
  ) {
    super(
      `deregistered ${imageId} but did not delete ${failures
        .map((f) => `snapshot ${f.snapshotId} (${f.returnCode})`)
        .join(', ')}`,
    );
  }
}
