import { DomainError, PermanentError } from '@ami-lifecycle/core';

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

export { FamilyNotConfiguredError } from '@ami-lifecycle/core';

/**
 * The builder is not (yet) a managed node SSM can send commands to: it is still booting, or its agent has
 * not registered. Transient: the state machine retries the step after a pause.
 */
export class BuilderNotReadyError extends DomainError {
  constructor(
    readonly instanceId: string,
    options?: { cause?: unknown },
  ) {
    super(`builder ${instanceId} is not ready for commands yet`, options);
  }
}

/** The builder is gone or going (terminated from outside, a spot reclaim): the build cannot go on. */
export class BuilderLostError extends DomainError {
  constructor(
    readonly instanceId: string,
    readonly state: string,
  ) {
    super(`builder ${instanceId} is ${state}; the build cannot continue on it`);
  }
}

/** A step of the build was asked for an image that is no longer `building` (failed or finished meanwhile). */
export class ImageNotBuildingError extends DomainError {
  constructor(
    readonly family: string,
    readonly version: string,
    readonly state: string,
  ) {
    super(`image ${family}@${version} is ${state}, not building`);
  }
}

/**
 * The instance a step was told to act on is not this build's builder: it lacks our managed tag or
 * carries another build id (or none). The step refuses, and the machine's Catch fails the build.
 */
export class BuilderNotOwnedError extends PermanentError {
  constructor(
    readonly instanceId: string,
    readonly buildId: string | undefined,
    why: string,
  ) {
    super(`instance ${instanceId} is not the builder of build ${buildId ?? '(none)'}: ${why}`);
  }
}

/**
 * CreateImage refused the AMI name as taken, and no AMI of that name is visible yet: EC2 lists an AMI a
 * moment after it accepted it, so this is most likely the lost first attempt's own. Transient: the
 * machine retries the step, which then adopts it.
 */
export class AmiNotVisibleYetError extends DomainError {
  constructor(
    readonly takenName: string,
    options?: { cause?: unknown },
  ) {
    super(`AMI name ${takenName} is taken but no AMI of that name is listed yet`, options);
  }
}
