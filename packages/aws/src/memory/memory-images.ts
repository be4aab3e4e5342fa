import {
  type Clock,
  type CopyImageRequest,
  type CreateImageRequest,
  deprecationMinute,
  type ImageDescription,
  type ImagePort,
  type ImageState,
  isManaged,
  type LaunchPermissions,
  UnmanagedImageError,
} from '@ami-lifecycle/core';
import { ResourceNotFoundError, SnapshotsNotDeletedError } from '../errors';
import {
  checkLaunchPermissionChange,
  isEmptyChange,
  type LaunchPermissionChange,
} from '../launch-permissions';
import { idSequence, isoSeconds } from './ids';
import { SimulatedAwsError } from './simulated-aws-error';

/** The public parameter the local cloud (and AWS) resolves to the latest Amazon Linux 2023 AMI. */
export const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
export const MEMORY_ACCOUNT_ID = '123456789012';
/** The region a `MemoryImages` is in unless told otherwise (the local cloud's default too). */
export const MEMORY_REGION = 'eu-west-1';

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
  /** The image and region it was copied from, when it is a copy. */
  sourceImageId?: string | undefined;
  sourceRegion?: string | undefined;
  /** Who may launch it besides its owner; `public` is `Group=all`. */
  launchPermissions: LaunchPermissions;
}

/** A snapshot as the fake holds it. */
export interface MemorySnapshot {
  snapshotId: string;
  imageId: string;
  tags: Record<string, string>;
  /** Known for copies (always encrypted, with the copy's key); undefined for images made otherwise. */
  encrypted?: boolean | undefined;
  kmsKeyId?: string | undefined;
}

export interface MemoryImagesOptions {
  clock: Clock;
  /** How long a created image stays `pending`: the local cloud's 600. */
  creationSeconds?: number;
  /** How long a copy stays `pending`: the local cloud's 600. */
  copySeconds?: number;
  accountId?: string;
  /** The region this fake is (one `MemoryImages` is one region of one account). Default `eu-west-1`. */
  region?: string;
  /**
   * The fake of another region, where `copyImage` finds its source; without it only this region's
   * images can be copied. `createMemoryRegions` wires this.
   */
  regionLookup?: (region: string) => MemoryImages | undefined;
  /** Where the image and snapshot id counters start, so fakes of several regions never share an id. */
  idSeed?: number;
  /** Whether an instance can be imaged; every id is accepted when absent. `createMemoryCloud` wires this. */
  instanceExists?: (instanceId: string) => boolean;
  /** Parameters `resolveSsmImageParameter` reads first (see the field of that name). */
  ssmParameter?: (name: string) => string | undefined;
}

interface ImageRecord extends MemoryImage {
  completion?: { atMs: number; as: 'available' | 'failed' } | undefined;
  /** Every state the image has had and since when, for `stateAt`. */
  history: { atMs: number; state: ImageState }[];
  seq: number;
}

const noLaunchPermissions = (): LaunchPermissions => ({
  accountIds: [],
  organizationArns: [],
  organizationalUnitArns: [],
  public: false,
});

const withAdded = (values: readonly string[], add: readonly string[], remove: readonly string[]) => {
  const set = new Set(values);
  for (const v of remove) set.delete(v);
  for (const v of add) set.add(v);
  return [...set].sort();
};

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
 *
 * One instance is one region: `copyImage` finds its source through `regionLookup`, makes an encrypted
 * copy tagged only as asked that is `pending` for `copySeconds`, and answers the same image to a retry
 * with the same client token. Launch permissions are kept per image; a grant that is not one account,
 * organisation or OU is refused before anything changes, exactly as `Ec2Images` refuses it.
 */
export class MemoryImages implements ImagePort {
  readonly region: string;
  private readonly clock: Clock;
  private readonly creationMs: number;
  private readonly copyMs: number;
  private readonly accountId: string;
  private readonly regionLookup: (region: string) => MemoryImages | undefined;
  private readonly images = new Map<string, ImageRecord>();
  private readonly snapshots = new Map<string, Omit<MemorySnapshot, 'snapshotId'>>();
  private readonly parameters = new Map<string, string>();
  /** CopyImage idempotency: client token -> the copy it made and the request that made it. */
  private readonly copyTokens = new Map<string, { imageId: string; request: string }>();
  private readonly nextImageId: () => string;
  private readonly nextSnapshotId: () => string;
  private blockPublicAccess = false;
  private seq = 0;
  instanceExists: (instanceId: string) => boolean;
  /**
   * The region's Parameter Store, which `resolveSsmImageParameter` reads before the parameters seeded
   * with `putParameter`; `createMemoryRegions` wires it to the region's `MemoryParameters`.
   */
  ssmParameter: ((name: string) => string | undefined) | undefined;

  constructor(options: MemoryImagesOptions) {
    this.clock = options.clock;
    this.creationMs = (options.creationSeconds ?? 600) * 1000;
    this.copyMs = (options.copySeconds ?? 600) * 1000;
    this.accountId = options.accountId ?? MEMORY_ACCOUNT_ID;
    this.region = options.region ?? MEMORY_REGION;
    const lookup = options.regionLookup;
    this.regionLookup = (region) => (region === this.region ? this : lookup?.(region));
    this.nextImageId = idSequence('ami', options.idSeed);
    this.nextSnapshotId = idSequence('snap', options.idSeed);
    this.instanceExists = options.instanceExists ?? (() => true);
    this.ssmParameter = options.ssmParameter;
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
    this.requireNameFree(request.name);
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
      launchPermissions: noLaunchPermissions(),
      completion: { atMs: this.clock.now().getTime() + this.creationMs, as: 'available' },
      history: [{ atMs: this.clock.now().getTime(), state: 'pending' }],
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
    const value = this.ssmParameter?.(name) ?? this.parameters.get(name);
    if (value === undefined) throw new ResourceNotFoundError('SSM parameter', name);
    if (!value.startsWith('ami-')) throw new ResourceNotFoundError('AMI id in SSM parameter', name);
    return value;
  }

  async deprecateImage(imageId: string, at: Date): Promise<void> {
    this.requireManaged(imageId, 'deprecate').deprecationTime = deprecationMinute(at).toISOString();
  }

  async disableImage(imageId: string): Promise<void> {
    this.changeState(this.requireManaged(imageId, 'disable'), 'disabled');
  }

  async deregisterImage(imageId: string, options: { deleteSnapshots: boolean }): Promise<void> {
    const image = this.requireManaged(imageId, 'deregister');
    if (image.deregistrationProtection)
      throw new SimulatedAwsError(
        'InvalidParameterValue',
        `Image ${imageId} has deregistration protection enabled; disable it with DisableImageDeregistrationProtection first`,
      );
    // As Ec2Images: snapshots go with the image only when every one of them is tagged managed.
    const deleteSnapshots =
      options.deleteSnapshots &&
      image.snapshotIds.length > 0 &&
      image.snapshotIds.every((id) => {
        const snapshot = this.snapshots.get(id);
        return snapshot !== undefined && isManaged(snapshot.tags);
      });
    this.changeState(image, 'deregistered');
    if (!deleteSnapshots) return;
    const failures = image.snapshotIds.flatMap((snapshotId) => {
      if (!this.snapshots.has(snapshotId)) return [{ snapshotId, returnCode: 'client-error' }];
      // As EC2: a snapshot another registered image is built on stays (reported as skipped: not a failure).
      if (this.imageUsingSnapshot(snapshotId)) return [];
      this.snapshots.delete(snapshotId);
      return [];
    });
    if (failures.length > 0) throw new SnapshotsNotDeletedError(imageId, failures);
  }

  async setDeregistrationProtection(imageId: string, enabled: boolean): Promise<void> {
    this.requireManaged(imageId, enabled ? 'protect' : 'unprotect').deregistrationProtection = enabled;
  }

  async copyImage(request: CopyImageRequest): Promise<{ imageId: string }> {
    this.settle();
    // As Ec2Images: the source is read in its own region, and must be ours, before EC2 is asked.
    const sourceImages = this.regionLookup(request.sourceRegion);
    if (!sourceImages) throw new ResourceNotFoundError('image', request.sourceImageId);
    const source = sourceImages.requireManaged(request.sourceImageId, 'copy');
    const fingerprint = JSON.stringify([
      request.sourceImageId,
      request.sourceRegion,
      request.name,
      request.description,
      request.kmsKeyId,
      Object.entries(request.tags).sort(),
    ]);
    const earlier = this.copyTokens.get(request.clientToken);
    if (earlier) {
      if (earlier.request !== fingerprint)
        throw new SimulatedAwsError(
          'IdempotentParameterMismatch',
          `Client token ${request.clientToken} was already used with different parameters`,
        );
      return { imageId: earlier.imageId };
    }
    if (source.state !== 'available')
      throw new SimulatedAwsError(
        'InvalidAMIID.Unavailable',
        `Image ${request.sourceImageId} is not available for copying (state ${source.state})`,
      );
    this.requireNameFree(request.name);
    const imageId = this.nextImageId();
    const snapshotIds = source.snapshotIds.map(() => {
      const snapshotId = this.nextSnapshotId();
      this.snapshots.set(snapshotId, {
        imageId,
        tags: { ...request.tags },
        encrypted: true,
        kmsKeyId: request.kmsKeyId,
      });
      return snapshotId;
    });
    const nowMs = this.clock.now().getTime();
    this.images.set(imageId, {
      imageId,
      name: request.name,
      description: request.description,
      owner: this.accountId,
      state: 'pending',
      snapshotIds,
      // Only the tags asked for: EC2 copies none of the source's unless told to.
      tags: { ...request.tags },
      creationDate: isoSeconds(this.clock.now()),
      deregistrationProtection: false,
      sourceImageId: request.sourceImageId,
      sourceRegion: request.sourceRegion,
      launchPermissions: noLaunchPermissions(),
      completion: { atMs: nowMs + this.copyMs, as: 'available' },
      history: [{ atMs: nowMs, state: 'pending' }],
      seq: ++this.seq,
    });
    this.copyTokens.set(request.clientToken, { imageId, request: fingerprint });
    return { imageId };
  }

  async getLaunchPermissions(imageId: string): Promise<LaunchPermissions> {
    return structuredClone(this.requireOwned(imageId).launchPermissions);
  }

  async modifyLaunchPermissions(imageId: string, change: LaunchPermissionChange): Promise<void> {
    checkLaunchPermissionChange(imageId, change);
    const image = this.requireManaged(imageId, 'share');
    if (isEmptyChange(change)) return;
    const adds =
      change.add.accountIds.length +
      change.add.organizationArns.length +
      change.add.organizationalUnitArns.length;
    if (adds > 0 && image.state === 'disabled')
      throw new SimulatedAwsError(
        'InvalidAMIID.Unavailable',
        `Image ${imageId} is disabled and cannot be shared`,
      );
    const lp = image.launchPermissions;
    image.launchPermissions = {
      accountIds: withAdded(lp.accountIds, change.add.accountIds, change.remove.accountIds),
      organizationArns: withAdded(
        lp.organizationArns,
        change.add.organizationArns,
        change.remove.organizationArns,
      ),
      organizationalUnitArns: withAdded(
        lp.organizationalUnitArns,
        change.add.organizationalUnitArns,
        change.remove.organizationalUnitArns,
      ),
      // Nothing here can add Group=all; only a removal touches it.
      public: lp.public && change.removePublic !== true,
    };
  }

  async isImageBlockPublicAccessOn(): Promise<boolean> {
    return this.blockPublicAccess;
  }

  // --- test controls -------------------------------------------------------------------------------

  /** Ends a pending creation now, as `available` or `failed`, instead of after `creationSeconds`. */
  completeImage(imageId: string, as: 'available' | 'failed'): void {
    const image = this.find(imageId);
    if (!image) throw new ResourceNotFoundError('image', imageId);
    if (image.state !== 'pending') throw new Error(`image ${imageId} is ${image.state}, not pending`);
    this.changeState(image, as);
  }

  /** Turns image block public access (`block-new-sharing`) on or off for the account in this region. */
  setImageBlockPublicAccess(on: boolean): void {
    this.blockPublicAccess = on;
  }

  /**
   * Grants or takes away `Group=all` as someone outside the controller would (the console, another
   * tool); refused, as EC2 refuses it, while image block public access is on.
   */
  setPublic(imageId: string, isPublic: boolean): void {
    const image = this.find(imageId);
    if (!image || image.state === 'deregistered') throw new ResourceNotFoundError('image', imageId);
    if (isPublic && this.blockPublicAccess)
      throw new SimulatedAwsError(
        'OperationNotPermitted',
        "You can't publicly share this image because block public access for AMIs is enabled for this account.",
      );
    image.launchPermissions.public = isPublic;
  }

  /**
   * The image's state at `at` (after any pending creation or copy that had finished by then), or
   * undefined when it did not exist yet. `MemoryParameters` validates AMI ids with it.
   */
  stateAt(imageId: string, at: Date): ImageState | undefined {
    const image = this.find(imageId);
    if (!image) return undefined;
    const atMs = at.getTime();
    let state: ImageState | undefined;
    for (const h of image.history) if (h.atMs <= atMs) state = h.state;
    if (state !== undefined && image.completion && image.completion.atMs <= atMs) state = image.completion.as;
    return state;
  }

  /** A snapshot that still exists. */
  snapshot(snapshotId: string): MemorySnapshot | undefined {
    const s = this.snapshots.get(snapshotId);
    return s && structuredClone({ snapshotId, ...s });
  }

  /** Replaces a snapshot's tags, as CreateTags and DeleteTags by someone else would. */
  setSnapshotTags(snapshotId: string, tags: Record<string, string>): void {
    const snapshot = this.snapshots.get(snapshotId);
    if (!snapshot) throw new ResourceNotFoundError('snapshot', snapshotId);
    snapshot.tags = { ...tags };
  }

  /** The value of a parameter seeded with `putParameter` (the public AL2023 one included). */
  parameter(name: string): string | undefined {
    return this.parameters.get(name);
  }

  /**
   * Seeds an image (an unmanaged one, another account's, a public one); answers its id. Snapshot ids
   * that exist already are shared with the images that have them, as RegisterImage from a snapshot does.
   */
  addImage(image: Partial<MemoryImage> & { name: string }): string {
    const imageId = image.imageId ?? this.nextImageId();
    const snapshotIds = image.snapshotIds ?? [this.nextSnapshotId()];
    for (const s of snapshotIds)
      if (!this.snapshots.has(s)) this.snapshots.set(s, { imageId, tags: { ...image.tags } });
    const record: ImageRecord = {
      description: image.name,
      owner: this.accountId,
      state: 'available',
      tags: {},
      creationDate: isoSeconds(this.clock.now()),
      deregistrationProtection: false,
      ...structuredClone(image),
      launchPermissions: { ...noLaunchPermissions(), ...structuredClone(image.launchPermissions) },
      imageId,
      snapshotIds,
      history: [],
      seq: ++this.seq,
    };
    record.history.push({ atMs: this.clock.now().getTime(), state: record.state });
    this.images.set(imageId, record);
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
    const { completion: _c, history: _h, seq: _s, ...rest } = image;
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

  /** An image of this account; EC2 answers AuthFailure for someone else's (a public Amazon image). */
  private requireOwned(imageId: string): ImageRecord {
    const image = this.find(imageId);
    if (!image || image.state === 'deregistered') throw new ResourceNotFoundError('image', imageId);
    if (image.owner !== this.accountId)
      throw new SimulatedAwsError('AuthFailure', `Not authorized for image:${imageId}`);
    return image;
  }

  /** A registered image (any state but deregistered) whose snapshots include this one. */
  private imageUsingSnapshot(snapshotId: string): ImageRecord | undefined {
    for (const image of this.images.values())
      if (image.state !== 'deregistered' && image.snapshotIds.includes(snapshotId)) return image;
    return undefined;
  }

  private requireNameFree(name: string): void {
    const duplicate = [...this.images.values()].some(
      (i) => i.owner === this.accountId && i.name === name && i.state !== 'deregistered',
    );
    if (duplicate)
      throw new SimulatedAwsError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use`);
  }

  private changeState(image: ImageRecord, state: ImageState): void {
    image.state = state;
    image.completion = undefined;
    image.history.push({ atMs: this.clock.now().getTime(), state });
  }

  private settle(): void {
    const nowMs = this.clock.now().getTime();
    for (const i of this.images.values())
      if (i.completion && i.completion.atMs <= nowMs) {
        i.state = i.completion.as;
        i.history.push({ atMs: i.completion.atMs, state: i.state });
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
