import { PermanentError } from '../errors';
import type { ImageState } from './images';

/** One snapshot behind an AMI, with its size: what retiring the image frees. */
export interface ImageSnapshot {
  snapshotId: string;
  sizeGiB: number;
}

/** A managed AMI (tagged `ami-lifecycle:managed=true`) as the inventory reads it in one account and region. */
export interface ManagedImage {
  imageId: string;
  name: string;
  state: ImageState;
  /** ISO-8601. */
  creationDate: string;
  /** ISO-8601, when a deprecation time is set. */
  deprecationTime?: string;
  /** ISO-8601, EC2's `LastLaunchedTime` (updated within about 24 hours of a launch); absent when never launched. */
  lastLaunchedTime?: string;
  deregistrationProtection: boolean;
  /** From our `ami-lifecycle:family` / `ami-lifecycle:version` tags, when present. */
  family?: string;
  version?: string;
  snapshots: ImageSnapshot[];
}

/** What launches or names an AMI, and so keeps it in use. */
export type ImageUseKind = 'instance' | 'launch-template' | 'ssm-parameter' | 'image-builder-recipe';

export interface ImageUse {
  imageId: string;
  kind: ImageUseKind;
  /** The resource's ARN (DescribeImageReferences answers ARNs; other accounts' resources are built into one). */
  resource: string;
  /** The launch template version that names the image. */
  launchTemplateVersion?: number;
}

/** A snapshot tagged `ami-lifecycle:managed=true`, with what our tags say it belongs to. */
export interface ManagedSnapshot {
  snapshotId: string;
  sizeGiB: number;
  /** ISO-8601. */
  startTime: string;
  family?: string;
  version?: string;
}

/** A destructive action was asked for a snapshot not tagged `ami-lifecycle:managed=true`. Never retryable. */
export class UnmanagedSnapshotError extends PermanentError {
  constructor(
    readonly snapshotId: string,
    action: string,
  ) {
    super(`refusing to ${action} ${snapshotId}: it is not tagged ami-lifecycle:managed=true`);
  }
}

/** The owner account's images, their uses and their snapshots, in one region: what a retention sweep reads. */
export interface InventoryPort {
  /** Every AMI of the account tagged `ami-lifecycle:managed=true`, deprecated and disabled ones included. */
  listManagedImages(): Promise<ManagedImage[]>;
  /**
   * `DescribeImageReferences` in batches of at most 10 images: instances that are not terminated, every
   * version of every launch template, SSM parameters and Image Builder recipes that name one of them.
   */
  findImageReferences(imageIds: readonly string[]): Promise<ImageUse[]>;
  /**
   * Every snapshot of the account tagged `ami-lifecycle:managed=true`; with `of`, only those our tags say
   * belong to that image (EC2 filters by tag, so a retirement does not list the whole account).
   */
  listManagedSnapshots(of?: { family: string; version: string }): Promise<ManagedSnapshot[]>;
  /** Deletes a snapshot, after checking our tag on it (`UnmanagedSnapshotError` otherwise). */
  deleteManagedSnapshot(snapshotId: string): Promise<void>;
}

/**
 * Another account the images are shared with, through its assumed role, in one region: the uses that
 * `DescribeImageReferences` in the owner account cannot see.
 */
export interface SharedUsagePort {
  /** Instances not terminated (or shutting down) launched from one of these images. */
  findInstances(imageIds: readonly string[]): Promise<ImageUse[]>;
  /** Every version of every launch template whose image is one of these. */
  findLaunchTemplateVersions(imageIds: readonly string[]): Promise<ImageUse[]>;
}
