import { DomainError, type LifecycleState, PermanentError } from '@ami-lifecycle/core';

/**
 * An operator's request (approve, reject, roll back) was understood and refused: unknown family or
 * version, an illegal transition, a failing verdict. Nothing was changed; the message says why.
 */
export class PublishRefusedError extends PermanentError {}

/**
 * The image is not in a state this publication may act on (it must be `approved`, or already
 * `published` by it), or its AMI is not the one asked for. Never retryable.
 */
export class ImageNotPublishableError extends PermanentError {
  constructor(
    readonly family: string,
    readonly version: string,
    readonly why: string,
    readonly state?: LifecycleState,
    options?: { cause?: unknown },
  ) {
    super(`image ${family}@${version} cannot be published: ${why}`, options);
  }
}

/**
 * The publication's plan cannot be carried out in a region: no key for its copy, or a single-Region key
 * asked to encrypt there. The plan is derived from the stored config, so a retry meets the same plan;
 * the config must change. Never retryable.
 */
export class PlanNotExecutableError extends PermanentError {
  constructor(
    readonly region: string,
    readonly why: string,
  ) {
    super(`the publication plan cannot be carried out in ${region}: ${why}`);
  }
}

/** A region's copy of the image ended `failed` (or vanished) instead of `available`. */
export class CopyFailedError extends DomainError {
  constructor(
    readonly region: string,
    readonly imageId: string,
    why: string,
  ) {
    super(`the copy ${imageId} in ${region} failed: ${why}`);
  }
}

/**
 * Image block public access is off in a region the image is shared in. Publishing refuses to share
 * there: with it off, one mistaken ModifyImageAttribute could make the image public.
 */
export class BlockPublicAccessOffError extends DomainError {
  constructor(readonly region: string) {
    super(
      `image block public access is off in ${region}; turn it on (aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing --region ${region}) before publishing`,
    );
  }
}

/**
 * SSM did not take an AMI id for a parameter: `aws:ec2:image` values are validated after PutParameter
 * succeeds, and a value that fails validation leaves the parameter as it was.
 */
export class ParameterNotUpdatedError extends DomainError {
  constructor(
    readonly region: string,
    readonly parameterName: string,
    readonly amiId: string,
    readonly found: string | undefined,
    writes: number,
  ) {
    super(
      `SSM did not accept ${amiId} for ${parameterName} in ${region} after ${writes} write(s): it ${found === undefined ? 'does not exist' : `still holds ${found}`}; aws:ec2:image validation fails when the image is not available to the account in that region`,
    );
  }
}

/** Starting the publish state machine failed for a reason other than "already started". */
export class PublicationStartError extends DomainError {
  constructor(
    readonly publicationId: string,
    options?: { cause?: unknown },
  ) {
    super(`could not start publication ${publicationId}`, options);
  }
}
