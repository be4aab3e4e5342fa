import { PermanentError } from '../errors';

export type ImageState =
  | 'pending'
  | 'available'
  | 'invalid'
  | 'deregistered'
  | 'transient'
  | 'failed'
  | 'error'
  | 'disabled';

export interface ImageDescription {
  imageId: string;
  name: string;
  state: ImageState;
  snapshotIds: string[];
  tags: Record<string, string>;
  /** ISO-8601. */
  creationDate: string;
  /** ISO-8601, when a deprecation time is set. */
  deprecationTime?: string;
}

/**
 * The `DeprecateAt` EC2 accepts for "from `at`": the next whole minute after it. EC2 rounds the time to the
 * nearest minute and refuses one in the past, so `at` itself (now, by the time the request arrives) could
 * round into the past and be refused.
 */
export const deprecationMinute = (at: Date): Date =>
  new Date(Math.floor(at.getTime() / 60_000) * 60_000 + 60_000);

export interface CreateImageRequest {
  instanceId: string;
  name: string;
  description: string;
  /** Put on the image and its snapshots. */
  tags: Record<string, string>;
}

/**
 * A destructive or governing action was asked for an image that is not tagged
 * `ami-lifecycle:managed=true`. Never retryable: the image is not ours.
 */
export class UnmanagedImageError extends PermanentError {
  constructor(
    readonly imageId: string,
    readonly action: string,
  ) {
    super(`refusing to ${action} ${imageId}: it is not tagged ami-lifecycle:managed=true`);
  }
}

/** A copy of an image into the region of the port that makes it. */
export interface CopyImageRequest {
  sourceImageId: string;
  sourceRegion: string;
  name: string;
  description: string;
  /** The destination region's key: the copy and its snapshots are always encrypted with it. */
  kmsKeyId: string;
  /** Put on the copy and its snapshots; the source's tags are not copied implicitly. */
  tags: Record<string, string>;
  /** Makes a retried copy answer the same image instead of making a second one (at most 64 characters). */
  clientToken: string;
}

/** Who may launch an image, besides its owner. */
export interface LaunchPermissionGrants {
  accountIds: string[];
  organizationArns: string[];
  organizationalUnitArns: string[];
}

/** An image's launch permissions as EC2 reports them; `public` is `Group=all`, which the controller never grants. */
export interface LaunchPermissions extends LaunchPermissionGrants {
  public: boolean;
}

/**
 * A launch permission that would share an image with everyone (`Group=all`, or an account id that is
 * not one). Never retryable: the controller shares only with named accounts, organizations and OUs.
 */
export class PublicSharingRefusedError extends PermanentError {
  constructor(
    readonly imageId: string,
    readonly grant: string,
  ) {
    super(`refusing to share ${imageId} with ${grant}: images are never shared publicly`);
  }
}

/**
 * AMIs. Every method that changes an image reads its tags from EC2 right before acting and throws
 * `UnmanagedImageError` unless it is managed; callers are never trusted on that.
 */
export interface ImagePort {
  createImage(request: CreateImageRequest): Promise<{ imageId: string }>;
  describeImage(imageId: string): Promise<ImageDescription | undefined>;
  /** Images whose name matches the EC2 name filter (`*` wildcards), newest first. */
  findImagesByName(nameFilter: string, owners: readonly string[]): Promise<ImageDescription[]>;
  /** The AMI id a public or own SSM parameter (`/aws/service/...`) points to. */
  resolveSsmImageParameter(name: string): Promise<string>;
  /** Deprecates the image from `at`, taken to the next whole minute (see `deprecationMinute`). */
  deprecateImage(imageId: string, at: Date): Promise<void>;
  disableImage(imageId: string): Promise<void>;
  deregisterImage(imageId: string, options: { deleteSnapshots: boolean }): Promise<void>;
  setDeregistrationProtection(imageId: string, enabled: boolean): Promise<void>;
  /**
   * Copies an image of `sourceRegion` into this port's region, encrypted with `kmsKeyId`. The source
   * must be managed; the copy is `pending` until EC2 finishes it.
   */
  copyImage(request: CopyImageRequest): Promise<{ imageId: string }>;
  /** The image's launch permissions (owner only). */
  getLaunchPermissions(imageId: string): Promise<LaunchPermissions>;
  /**
   * Adds and removes launch permissions of a managed image in one call. Only accounts (12 digits),
   * organizations and OUs can be added: anything that would make it public throws
   * `PublicSharingRefusedError` before EC2 is called. `removePublic` takes away a `Group=all` that
   * someone else granted.
   */
  modifyLaunchPermissions(
    imageId: string,
    change: { add: LaunchPermissionGrants; remove: LaunchPermissionGrants; removePublic?: boolean },
  ): Promise<void>;
  /** Whether image block public access (`block-new-sharing`) is on for the account in this region. */
  isImageBlockPublicAccessOn(): Promise<boolean>;
}

/**
 * SSM parameters that hold AMI ids (`DataType: aws:ec2:image`). AWS validates such a value
 * asynchronously: `PutParameter` succeeds, and the new version appears only once EC2 confirmed the
 * image exists in the region and the account may use it; when it does not, the parameter keeps its
 * previous value. Callers therefore read back what they wrote.
 */
export interface ParameterPort {
  /** Writes (creates or overwrites) `name` = `amiId` with data type `aws:ec2:image`. */
  putImageParameter(name: string, amiId: string): Promise<{ version: number }>;
  /** The parameter's current value and version; undefined when it does not exist. */
  getParameter(name: string): Promise<{ value: string; version: number } | undefined>;
}
