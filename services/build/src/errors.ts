import { DomainError } from '@ami-lifecycle/core';

/** Nothing resolved to a source AMI; `tried` says what was looked at, so an operator can fix the config. */
export class SourceNotFoundError extends DomainError {
  constructor(
    readonly family: string,
    readonly tried: string,
    options?: { cause?: unknown },
  ) {
    super(`no source AMI for family ${family}: ${tried}`, options);
  }
}

/** A build was asked for a family that has no stored config. */
export class FamilyNotConfiguredError extends DomainError {
  constructor(
    readonly family: string,
    options?: { cause?: unknown },
  ) {
    super(`family ${family} has no stored config; apply the policy first`, options);
  }
}
