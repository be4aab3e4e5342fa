import { DomainError } from '../errors';

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
export class UnmanagedImageError extends DomainError {
  constructor(
    readonly imageId: string,
    readonly action: string,
  ) {
    super(`refusing to ${action} ${imageId}: it is not tagged ami-lifecycle:managed=true`);
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
  deprecateImage(imageId: string, at: Date): Promise<void>;
  disableImage(imageId: string): Promise<void>;
  deregisterImage(imageId: string, options: { deleteSnapshots: boolean }): Promise<void>;
  setDeregistrationProtection(imageId: string, enabled: boolean): Promise<void>;
}
