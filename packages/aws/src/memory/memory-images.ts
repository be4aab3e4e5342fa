import {
  type Clock,
  type CreateImageRequest,
  type ImageDescription,
  type ImagePort,
  type ImageState,
  isManaged,
  UnmanagedImageError,
} from '@ami-lifecycle/core';
import { ResourceNotFoundError } from '../errors';
import { idSequence, isoSeconds } from './ids';
import { SimulatedAwsError } from './simulated-aws-error';

/** The public parameter the local cloud (and AWS) resolves to the latest Amazon Linux 2023 AMI. */
export const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
export const MEMORY_ACCOUNT_ID = '123456789012';

/** An image as the fake holds it; `addImage` takes one to seed images the controller did not build. */
export interface MemoryImage {
  imageId: string;
  name: string;
  description: string;
  /** An account id, or `amazon` for public Amazon images. */
  owner: string;
  state: ImageState;
  snapshotIds: string[];
  tags: Record<string, string>;
  creationDate: string;
  deprecationTime?: string | undefined;
  deregistrationProtection: boolean;
  /** The instance it was created from, when it was. */
  sourceInstanceId?: string | undefined;
}

export interface MemoryImagesOptions {
  clock: Clock;
  /** How long a created image stays `pending`: the local cloud's 600. */
  creationSeconds?: number;
  accountId?: string;
  /** Whether an instance can be imaged; every id is accepted when absent. `createMemoryCloud` wires this. */
  instanceExists?: (instanceId: string) => boolean;
}

interface ImageRecord extends MemoryImage {
  completion?: { atMs: number; as: 'available' | 'failed' } | undefined;
  seq: number;
}

/** EC2's name filter: `*` any run of characters, `?` one character, the rest literal. */
const nameMatcher = (filter: string): RegExp =>
  new RegExp(
    `^${[...filter]
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );

/**
 * `ImagePort` in memory with `Ec2Images`' semantics: created images are `pending` for
 * `creationSeconds` of the injected clock, then `available` (or what `completeImage` says); every
 * change re-reads the image's tags from the fake's own state and throws `UnmanagedImageError` unless
 * it is tagged `ami-lifecycle:managed=true`; deregistration protection refuses a deregister as EC2 does.
 */
export class MemoryImages implements ImagePort {
  private readonly clock: Clock;
  private readonly creationMs: number;
  private readonly accountId: string;
  private readonly images = new Map<string, ImageRecord>();
  private readonly snapshots = new Map<string, { imageId: string; tags: Record<string, string> }>();
  private readonly parameters = new Map<string, string>();
  private readonly nextImageId = idSequence('ami');
  private readonly nextSnapshotId = idSequence('snap');
  private seq = 0;
  instanceExists: (instanceId: string) => boolean;

  constructor(options: MemoryImagesOptions) {
    this.clock = options.clock;
    this.creationMs = (options.creationSeconds ?? 600) * 1000;
    this.accountId = options.accountId ?? MEMORY_ACCOUNT_ID;
    this.instanceExists = options.instanceExists ?? (() => true);
    // As in the local cloud: the public AL2023 parameter points to an available Amazon image.
    const al2023 = this.addImage({
      imageId: 'ami-0a1b2c3d4e5f60718',
      name: 'al2023-ami-2023.6.20260201.0-kernel-6.1-x86_64',
      owner: 'amazon',
      creationDate: '2026-02-01T00:00:00.000Z',
    });
    this.putParameter(AL2023_PARAMETER, al2023);
  }

  async createImage(request: CreateImageRequest): Promise<{ imageId: string }> {
    this.settle();
    if (!this.instanceExists(request.instanceId))
      throw new ResourceNotFoundError('instance', request.instanceId);
    const duplicate = [...this.images.values()].some(
      (i) => i.owner === this.accountId && i.name === request.name && i.state !== 'deregistered',
    );
    if (duplicate)
      throw new SimulatedAwsError('InvalidAMIName.Duplicate', `AMI name ${request.name} is already in use`);
    const imageId = this.nextImageId();
    const snapshotId = this.nextSnapshotId();
    this.snapshots.set(snapshotId, { imageId, tags: { ...request.tags } });
    this.images.set(imageId, {
      imageId,
      name: request.name,
      description: request.description,
      owner: this.accountId,
      state: 'pending',
      snapshotIds: [snapshotId],
      tags: { ...request.tags },
      creationDate: isoSeconds(this.clock.now()),
      deregistrationProtection: false,
      sourceInstanceId: request.instanceId,
      completion: { atMs: this.clock.now().getTime() + this.creationMs, as: 'available' },
      seq: ++this.seq,
    });
    return { imageId };
  }

  async describeImage(imageId: string): Promise<ImageDescription | undefined> {
    const image = this.find(imageId);
    return image ? describe(image) : undefined;
  }

  async findImagesByName(nameFilter: string, owners: readonly string[]): Promise<ImageDescription[]> {
    this.settle();
    const matches = nameMatcher(nameFilter);
    const owned = new Set(owners.map((o) => (o === 'self' ? this.accountId : o)));
    return [...this.images.values()]
      .filter(
        (i) =>
          matches.test(i.name) &&
          (owned.size === 0 || owned.has(i.owner)) &&
          // Like DescribeImages without IncludeDisabled: disabled images are not listed.
          i.state !== 'disabled' &&
          i.state !== 'deregistered',
      )
      .sort((a, b) => b.creationDate.localeCompare(a.creationDate) || b.seq - a.seq)
      .map(describe);
  }

  async resolveSsmImageParameter(name: string): Promise<string> {
    const value = this.parameters.get(name);
    if (value === undefined) throw new ResourceNotFoundError('SSM parameter', name);
    if (!value.startsWith('ami-')) throw new ResourceNotFoundError('AMI id in SSM parameter', name);
    return value;
  }

  async deprecateImage(imageId: string, at: Date): Promise<void> {
    this.requireManaged(imageId, 'deprecate').deprecationTime = at.toISOString();
  }

  async disableImage(imageId: string): Promise<void> {
    this.requireManaged(imageId, 'disable').state = 'disabled';
  }

  async deregisterImage(imageId: string, options: { deleteSnapshots: boolean }): Promise<void> {
    const image = this.requireManaged(imageId, 'deregister');
    if (image.deregistrationProtection)
      throw new SimulatedAwsError(
        'InvalidParameterValue',
        `Image ${imageId} has deregistration protection enabled; disable it with DisableImageDeregistrationProtection first`,
      );
    image.state = 'deregistered';
    image.completion = undefined;
    if (options.deleteSnapshots) for (const s of image.snapshotIds) this.snapshots.delete(s);
  }

  async setDeregistrationProtection(imageId: string, enabled: boolean): Promise<void> {
    this.requireManaged(imageId, enabled ? 'protect' : 'unprotect').deregistrationProtection = enabled;
  }

  // --- test controls -------------------------------------------------------------------------------

  /** Ends a pending creation now, as `available` or `failed`, instead of after `creationSeconds`. */
  completeImage(imageId: string, as: 'available' | 'failed'): void {
    const image = this.find(imageId);
    if (!image) throw new ResourceNotFoundError('image', imageId);
    if (image.state !== 'pending') throw new Error(`image ${imageId} is ${image.state}, not pending`);
    image.state = as;
    image.completion = undefined;
  }

  /** Seeds an image (an unmanaged one, another account's, a public one); answers its id. */
  addImage(image: Partial<MemoryImage> & { name: string }): string {
    const imageId = image.imageId ?? this.nextImageId();
    const snapshotIds = image.snapshotIds ?? [this.nextSnapshotId()];
    for (const s of snapshotIds) this.snapshots.set(s, { imageId, tags: { ...image.tags } });
    this.images.set(imageId, {
      description: image.name,
      owner: this.accountId,
      state: 'available',
      tags: {},
      creationDate: isoSeconds(this.clock.now()),
      deregistrationProtection: false,
      ...structuredClone(image),
      imageId,
      snapshotIds,
      seq: ++this.seq,
    });
    return imageId;
  }

  /** Writes an SSM parameter that `resolveSsmImageParameter` reads. */
  putParameter(name: string, value: string): void {
    this.parameters.set(name, value);
  }

  /** The image as held, deregistered ones included. */
  image(imageId: string): MemoryImage | undefined {
    const image = this.find(imageId);
    if (!image) return undefined;
    const { completion: _c, seq: _s, ...rest } = image;
    return structuredClone(rest);
  }

  /** Snapshot ids that still exist. */
  snapshotIds(): string[] {
    return [...this.snapshots.keys()];
  }

  /** True when the id names an image that can be launched (known, not deregistered). */
  canLaunch(imageId: string): boolean {
    const state = this.find(imageId)?.state;
    return state !== undefined && state !== 'deregistered';
  }

  private find(imageId: string): ImageRecord | undefined {
    this.settle();
    return this.images.get(imageId);
  }

  /** Reads the tags from the fake's own state now, never from the caller. */
  private requireManaged(imageId: string, action: string): ImageRecord {
    const image = this.find(imageId);
    if (!image || image.state === 'deregistered') throw new ResourceNotFoundError('image', imageId);
    if (!isManaged(image.tags)) throw new UnmanagedImageError(imageId, action);
    return image;
  }

  private settle(): void {
    const nowMs = this.clock.now().getTime();
    for (const i of this.images.values())
      if (i.completion && i.completion.atMs <= nowMs) {
        i.state = i.completion.as;
        i.completion = undefined;
      }
  }
}

const describe = (i: ImageRecord): ImageDescription => ({
  imageId: i.imageId,
  name: i.name,
  state: i.state,
  snapshotIds: [...i.snapshotIds],
  tags: { ...i.tags },
  creationDate: i.creationDate,
  ...(i.deprecationTime ? { deprecationTime: i.deprecationTime } : {}),
});
