import {
  type MemoryInventory,
  type MemoryInventoryImage,
  SimulatedAwsError,
} from '@ami-lifecycle/aws/memory';
import {
  type Clock,
  deprecationMinute,
  type ImageDescription,
  type ImagePort,
  isManaged,
  UnmanagedImageError,
} from '@ami-lifecycle/core';

/** One change asked of EC2 through the port, in order: what the tests count to prove nothing was redone. */
export interface ImageChange {
  action: 'deprecate' | 'disable' | 'deregister';
  imageId: string;
}

const notUsed = (method: string) => async (): Promise<never> => {
  throw new Error(`InventoryImages.${method} is not used by the decommission sweep`);
};

/**
 * The `ImagePort` of one region over the same `MemoryInventory` the sweep reads its inventory from, so
 * one store backs both ports. It behaves as `Ec2Images` on EC2 does where the sweep depends on it: the
 * image is read again before every change (gone or deregistered: `InvalidAMIID.NotFound`; not tagged
 * managed: `UnmanagedImageError`), a deregistered image is no longer described, deregistration
 * protection refuses `DeregisterImage`, and `DeprecateAt` is rounded to the nearest minute and refused
 * when that is in the past (as EC2 documents it and the local cloud models it). Only what the sweep uses
 * is implemented.
 */
export class InventoryImages implements ImagePort {
  private readonly log: ImageChange[] = [];
  private readonly failures = new Map<string, Error>();

  constructor(
    readonly inventory: MemoryInventory,
    private readonly clock: Clock,
  ) {}

  async describeImage(imageId: string): Promise<ImageDescription | undefined> {
    const image = this.inventory.image(imageId);
    if (image === undefined || image.state === 'deregistered') return undefined;
    return {
      imageId: image.imageId,
      name: image.name,
      state: image.state,
      snapshotIds: [...image.snapshotIds],
      tags: { ...image.tags },
      creationDate: image.creationDate,
      ...(image.deprecationTime === undefined ? {} : { deprecationTime: image.deprecationTime }),
    };
  }

  async deprecateImage(imageId: string, at: Date): Promise<void> {
    // What the port promises (the adapter's rounding), then EC2's own rule on what it is sent.
    const rounded = Math.round(deprecationMinute(at).getTime() / 60_000) * 60_000;
    if (rounded < this.clock.now().getTime())
      throw new SimulatedAwsError(
        'InvalidParameterValue',
        `DeprecateAt (${at.toISOString()}) must be in the future`,
      );
    this.change('deprecate', imageId);
    this.inventory.deprecateImage(imageId, new Date(rounded));
  }

  async disableImage(imageId: string): Promise<void> {
    this.change('disable', imageId);
    this.inventory.setImageState(imageId, 'disabled');
  }

  async deregisterImage(imageId: string, options: { deleteSnapshots: boolean }): Promise<void> {
    const image = this.change('deregister', imageId);
    this.inventory.deregisterImage(imageId);
    if (!options.deleteSnapshots) return;
    // As EC2: a snapshot another registered image still uses is skipped, not deleted.
    for (const snapshotId of image.snapshotIds)
      await this.inventory.deleteManagedSnapshot(snapshotId).catch((err: unknown) => {
        if ((err as { name?: string }).name !== 'InvalidSnapshot.InUse') throw err;
      });
  }

  findImagesByName = notUsed('findImagesByName');
  resolveSsmImageParameter = notUsed('resolveSsmImageParameter');
  createImage = notUsed('createImage');
  setDeregistrationProtection = notUsed('setDeregistrationProtection');
  copyImage = notUsed('copyImage');
  getLaunchPermissions = notUsed('getLaunchPermissions');
  modifyLaunchPermissions = notUsed('modifyLaunchPermissions');
  isImageBlockPublicAccessOn = notUsed('isImageBlockPublicAccessOn');

  // --- test controls -------------------------------------------------------------------------------

  /** Every change EC2 carried out through this port, in order. */
  changes(): ImageChange[] {
    return [...this.log];
  }

  /** The next change asked for this image throws `error` (once), as an EC2 error would. */
  failNext(
    imageId: string,
    error: Error = new SimulatedAwsError('InternalError', 'EC2 had a bad day'),
  ): void {
    this.failures.set(imageId, error);
  }

  /** The checks EC2 makes before it changes an image; answers the image when it may go ahead. */
  private change(action: ImageChange['action'], imageId: string): MemoryInventoryImage {
    const failure = this.failures.get(imageId);
    if (failure !== undefined) {
      this.failures.delete(imageId);
      throw failure;
    }
    const image = this.inventory.image(imageId);
    if (image === undefined || image.state === 'deregistered')
      throw new SimulatedAwsError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
    if (!isManaged(image.tags)) throw new UnmanagedImageError(imageId, action);
    if (action === 'deregister' && image.deregistrationProtection)
      throw new SimulatedAwsError(
        'InvalidParameterValue',
        `Image ${imageId} has deregistration protection enabled; disable it with DisableImageDeregistrationProtection first`,
      );
    this.log.push({ action, imageId });
    return image;
  }
}
