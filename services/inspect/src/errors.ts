import { DomainError, type LifecycleState, PermanentError } from '@ami-lifecycle/core';

export { FamilyNotConfiguredError } from '@ami-lifecycle/core';

/**
 * The image is not in a state this inspection may act on (a candidate must be `built` or already
 * `inspecting`, a re-inspection needs a `published` image), or its AMI is not the one asked for.
 * Never retryable: the image has moved on, or the request names the wrong AMI.
 */
export class ImageNotInspectableError extends PermanentError {
  constructor(
    readonly family: string,
    readonly version: string,
    readonly why: string,
    readonly state?: LifecycleState,
    options?: { cause?: unknown },
  ) {
    super(`image ${family}@${version} cannot be inspected: ${why}`, options);
  }
}

/** Starting the inspect state machine failed for a reason other than "already started". */
export class InspectionStartError extends DomainError {
  constructor(
    readonly inspectionId: string,
    options?: { cause?: unknown },
  ) {
    super(`could not start inspection ${inspectionId}`, options);
  }
}
