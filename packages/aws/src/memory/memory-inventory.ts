import {
  type Clock,
  type ImageState,
  type ImageUse,
  type InstanceState,
  type InventoryPort,
  isManaged,
  type ManagedImage,
  type ManagedSnapshot,
  type SharedUsagePort,
  TAG_PREFIX,
  UnmanagedSnapshotError,
} from '@ami-lifecycle/core';
import { ResourceNotFoundError } from '../errors';
import { idSequence, isoSeconds } from './ids';
import { MEMORY_ACCOUNT_ID, MEMORY_REGION } from './memory-images';
import { SimulatedAwsError } from './simulated-aws-error';

/** The other account of `MemorySharedUsage` unless told otherwise (the local cloud's workloads account). */
export const MEMORY_SHARED_ACCOUNT_ID = '222222222222';

const FAMILY_TAG = `${TAG_PREFIX}family`;
const VERSION_TAG = `${TAG_PREFIX}version`;
/** What EC2 counts as in use: every instance state but `shutting-down` and `terminated`. */
const LIVE: ReadonlySet<InstanceState> = new Set<InstanceState>([
  'pending',
  'running',
  'stopping',
  'stopped',
]);

const familyAndVersion = (tags: Record<string, string>) => ({
  ...(tags[FAMILY_TAG] !== undefined ? { family: tags[FAMILY_TAG] } : {}),
  ...(tags[VERSION_TAG] !== undefined ? { version: tags[VERSION_TAG] } : {}),
});

/** An image to seed; every field but the name has a default. */
export interface NewInventoryImage {
  name: string;
  tags?: Record<string, string>;
  /** Default `available`. */
  state?: ImageState;
  /** ISO-8601; default the clock's now. */
  creationDate?: string;
  deprecationTime?: string;
  lastLaunchedTime?: string;
  deregistrationProtection?: boolean;
  /** The image's snapshots, each tagged as given (default: as the image). Default one of 8 GiB. */
  snapshots?: { sizeGiB: number; tags?: Record<string, string> }[];
  /** Instead of new snapshots, existing ones (an image registered on another's snapshots). */
  snapshotIds?: string[];
}

export interface MemoryInventorySnapshot {
  snapshotId: string;
  sizeGiB: number;
  startTime: string;
  tags: Record<string, string>;
}

/** An image as `MemoryInventory` holds it. */
export interface MemoryInventoryImage {
  imageId: string;
  name: string;
  state: ImageState;
  creationDate: string;
  deprecationTime?: string | undefined;
  lastLaunchedTime?: string | undefined;
  deregistrationProtection: boolean;
  tags: Record<string, string>;
  snapshotIds: string[];
}

interface InstanceRecord {
  instanceId: string;
  imageId: string;
  state: InstanceState;
}

interface TemplateRecord {
  launchTemplateId: string;
  /** Version n is `versions[n - 1]`: an image id, or a `resolve:ssm:` parameter, or undefined. */
  versions: (string | undefined)[];
  defaultVersion: number;
}

export interface MemoryInventoryOptions {
  clock: Clock;
  accountId?: string;
  region?: string;
  /** Where the id counters start, so that fakes of several accounts or regions never share an id. */
  idSeed?: number;
}

export interface NewLaunchTemplate {
  /** One image id (or `resolve:ssm:<parameter>`, or undefined for none) per version, version 1 first. */
  versions: (string | undefined)[];
  /** Default 1, as CreateLaunchTemplate leaves it. */
  defaultVersion?: number;
}

/**
 * An account's instances and launch templates in one region, as both fakes hold them: instances that
 * are not shutting down or terminated and every version of every template count as uses.
 */
class AccountResources {
  readonly instances = new Map<string, InstanceRecord>();
  readonly templates = new Map<string, TemplateRecord>();
  private readonly nextInstanceId: () => string;
  private readonly nextTemplateId: () => string;

  constructor(
    readonly accountId: string,
    readonly region: string,
    idSeed: number | undefined,
  ) {
    this.nextInstanceId = idSequence('i', idSeed);
    this.nextTemplateId = idSequence('lt', idSeed);
  }

  instanceArn(instanceId: string): string {
    return `arn:aws:ec2:${this.region}:${this.accountId}:instance/${instanceId}`;
  }

  templateArn(launchTemplateId: string): string {
    return `arn:aws:ec2:${this.region}:${this.accountId}:launch-template/${launchTemplateId}`;
  }

  launch(imageId: string, state: InstanceState): string {
    const instanceId = this.nextInstanceId();
    this.instances.set(instanceId, { instanceId, imageId, state });
    return instanceId;
  }

  setInstanceState(instanceId: string, state: InstanceState): void {
    const i = this.instances.get(instanceId);
    if (!i) throw new ResourceNotFoundError('instance', instanceId);
    i.state = state;
  }

  addTemplate(t: NewLaunchTemplate): string {
    if (t.versions.length === 0) throw new RangeError('a launch template has at least one version');
    const defaultVersion = t.defaultVersion ?? 1;
    if (!Number.isInteger(defaultVersion) || defaultVersion < 1 || defaultVersion > t.versions.length)
      throw new RangeError(`no version ${defaultVersion} among ${t.versions.length}`);
    const launchTemplateId = this.nextTemplateId();
    this.templates.set(launchTemplateId, { launchTemplateId, versions: [...t.versions], defaultVersion });
    return launchTemplateId;
  }

  liveInstances(wanted: ReadonlySet<string>): InstanceRecord[] {
    return [...this.instances.values()].filter((i) => wanted.has(i.imageId) && LIVE.has(i.state));
  }
}

/**
 * `InventoryPort` in memory with `Ec2Inventory`'s semantics, for one account and region: managed images
 * (deprecated and disabled included, deregistered not) with their snapshots; references from live
 * instances, from any version of a launch template (one reference per template and image, without a
 * version, as `DescribeImageReferences` answers), from `aws:ec2:image` parameters and from Image
 * Builder recipes; managed snapshots; and a snapshot delete that re-reads the tag from the fake's own
 * state, refuses a snapshot a registered image still uses (`InvalidSnapshot.InUse`, as EC2) and takes
 * a snapshot already gone as done.
 */
export class MemoryInventory implements InventoryPort {
  readonly accountId: string;
  readonly region: string;
  private readonly clock: Clock;
  private readonly resources: AccountResources;
  private readonly images = new Map<string, MemoryInventoryImage>();
  private readonly snapshots = new Map<string, MemoryInventorySnapshot>();
  private readonly deleted: string[] = [];
  private readonly parameters = new Map<string, string>();
  private readonly recipes: { arn: string; imageId: string }[] = [];
  private readonly nextImageId: () => string;
  private readonly nextSnapshotId: () => string;

  constructor(options: MemoryInventoryOptions) {
    this.clock = options.clock;
    this.accountId = options.accountId ?? MEMORY_ACCOUNT_ID;
    this.region = options.region ?? MEMORY_REGION;
    this.resources = new AccountResources(this.accountId, this.region, options.idSeed);
    this.nextImageId = idSequence('ami', options.idSeed);
    this.nextSnapshotId = idSequence('snap', options.idSeed);
  }

  async listManagedImages(): Promise<ManagedImage[]> {
    return [...this.images.values()]
      .filter((i) => isManaged(i.tags) && i.state !== 'deregistered')
      .map((i) => ({
        imageId: i.imageId,
        name: i.name,
        state: i.state,
        creationDate: i.creationDate,
        ...(i.deprecationTime ? { deprecationTime: i.deprecationTime } : {}),
        ...(i.lastLaunchedTime ? { lastLaunchedTime: i.lastLaunchedTime } : {}),
        deregistrationProtection: i.deregistrationProtection,
        ...familyAndVersion(i.tags),
        snapshots: i.snapshotIds.flatMap((id) => {
          const s = this.snapshots.get(id);
          return s ? [{ snapshotId: id, sizeGiB: s.sizeGiB }] : [];
        }),
      }));
  }

  async findImageReferences(imageIds: readonly string[]): Promise<ImageUse[]> {
    const wanted = new Set(imageIds);
    const uses: ImageUse[] = this.resources.liveInstances(wanted).map((i) => ({
      imageId: i.imageId,
      kind: 'instance',
      resource: this.resources.instanceArn(i.instanceId),
    }));
    for (const t of this.resources.templates.values())
      for (const imageId of new Set(t.versions))
        if (imageId !== undefined && wanted.has(imageId))
          uses.push({
            imageId,
            kind: 'launch-template',
            resource: this.resources.templateArn(t.launchTemplateId),
          });
    for (const [name, imageId] of this.parameters)
      if (wanted.has(imageId))
        uses.push({ imageId, kind: 'ssm-parameter', resource: this.parameterArn(name) });
    for (const r of this.recipes)
      if (wanted.has(r.imageId))
        uses.push({ imageId: r.imageId, kind: 'image-builder-recipe', resource: r.arn });
    return uses;
  }

  async listManagedSnapshots(of?: { family: string; version: string }): Promise<ManagedSnapshot[]> {
    return [...this.snapshots.values()]
      .filter((s) => isManaged(s.tags))
      .filter(
        (s) => of === undefined || (s.tags[FAMILY_TAG] === of.family && s.tags[VERSION_TAG] === of.version),
      )
      .map((s) => ({
        snapshotId: s.snapshotId,
        sizeGiB: s.sizeGiB,
        startTime: s.startTime,
        ...familyAndVersion(s.tags),
      }));
  }

  async deleteManagedSnapshot(snapshotId: string): Promise<void> {
    const snapshot = this.snapshots.get(snapshotId);
    if (!snapshot) return;
    if (!isManaged(snapshot.tags)) throw new UnmanagedSnapshotError(snapshotId, 'delete');
    const user = [...this.images.values()].find(
      (i) => i.state !== 'deregistered' && i.snapshotIds.includes(snapshotId),
    );
    if (user)
      throw new SimulatedAwsError(
        'InvalidSnapshot.InUse',
        `The snapshot ${snapshotId} is currently in use by ${user.imageId}`,
      );
    this.snapshots.delete(snapshotId);
    this.deleted.push(snapshotId);
  }

  // --- test controls -------------------------------------------------------------------------------

  /** Seeds an image of this account and its snapshots; answers the image id. */
  addImage(image: NewInventoryImage): string {
    const imageId = this.nextImageId();
    const tags = { ...image.tags };
    const snapshotIds =
      image.snapshotIds ??
      (image.snapshots ?? [{ sizeGiB: 8 }]).map((s) =>
        this.addSnapshot({ sizeGiB: s.sizeGiB, tags: s.tags ?? tags }),
      );
    this.images.set(imageId, {
      imageId,
      name: image.name,
      state: image.state ?? 'available',
      creationDate: image.creationDate ?? isoSeconds(this.clock.now()),
      deprecationTime: image.deprecationTime,
      lastLaunchedTime: image.lastLaunchedTime,
      deregistrationProtection: image.deregistrationProtection ?? false,
      tags,
      snapshotIds,
    });
    return imageId;
  }

  /** Seeds a snapshot no image uses (unless `addImage` made it); answers its id. */
  addSnapshot(snapshot: { sizeGiB: number; tags?: Record<string, string>; startTime?: string }): string {
    const snapshotId = this.nextSnapshotId();
    this.snapshots.set(snapshotId, {
      snapshotId,
      sizeGiB: snapshot.sizeGiB,
      startTime: snapshot.startTime ?? isoSeconds(this.clock.now()),
      tags: { ...snapshot.tags },
    });
    return snapshotId;
  }

  deprecateImage(imageId: string, at: Date): void {
    this.requireImage(imageId).deprecationTime = at.toISOString();
  }

  setImageState(imageId: string, state: ImageState): void {
    this.requireImage(imageId).state = state;
  }

  /** DeregisterImage without DeleteAssociatedSnapshots: the snapshots stay, no longer in use. */
  deregisterImage(imageId: string): void {
    this.setImageState(imageId, 'deregistered');
  }

  setDeregistrationProtection(imageId: string, enabled: boolean): void {
    this.requireImage(imageId).deregistrationProtection = enabled;
  }

  /** An instance of this account launched from the image; the image records the launch, as EC2 does. */
  launchInstance(imageId: string, state: InstanceState = 'running'): string {
    const image = this.images.get(imageId);
    if (image) image.lastLaunchedTime = isoSeconds(this.clock.now());
    return this.resources.launch(imageId, state);
  }

  setInstanceState(instanceId: string, state: InstanceState): void {
    this.resources.setInstanceState(instanceId, state);
  }

  /** A launch template of this account; answers its id (`lt-...`). */
  addLaunchTemplate(template: NewLaunchTemplate): string {
    return this.resources.addTemplate(template);
  }

  launchTemplateArn(launchTemplateId: string): string {
    return this.resources.templateArn(launchTemplateId);
  }

  instanceArn(instanceId: string): string {
    return this.resources.instanceArn(instanceId);
  }

  /** An `aws:ec2:image` parameter naming the image; answers its ARN. */
  putImageParameter(name: string, imageId: string): string {
    this.parameters.set(name, imageId);
    return this.parameterArn(name);
  }

  /** An Image Builder image or container recipe whose parent image is this one; answers its ARN. */
  addRecipe(kind: 'image' | 'container', name: string, imageId: string): string {
    const arn = `arn:aws:imagebuilder:${this.region}:${this.accountId}:${kind}-recipe/${name}/1.0.0`;
    this.recipes.push({ arn, imageId });
    return arn;
  }

  image(imageId: string): MemoryInventoryImage | undefined {
    const i = this.images.get(imageId);
    return i && structuredClone(i);
  }

  snapshot(snapshotId: string): MemoryInventorySnapshot | undefined {
    const s = this.snapshots.get(snapshotId);
    return s && structuredClone(s);
  }

  /** Snapshots deleted through the port, in order. */
  deletedSnapshots(): string[] {
    return [...this.deleted];
  }

  private parameterArn(name: string): string {
    return `arn:aws:ssm:${this.region}:${this.accountId}:parameter/${name.replace(/^\//, '')}`;
  }

  private requireImage(imageId: string): MemoryInventoryImage {
    const image = this.images.get(imageId);
    if (!image) throw new ResourceNotFoundError('image', imageId);
    return image;
  }
}

export interface MemorySharedUsageOptions {
  /** Default `222222222222`. */
  accountId?: string;
  region?: string;
  idSeed?: number;
}

/**
 * `SharedUsagePort` in memory with `Ec2SharedUsage`'s semantics, for another account and region: its
 * live instances, and every version of its launch templates whose image id is one of those asked
 * (a `resolve:ssm:` version names a parameter and is left out), each with its version number.
 */
export class MemorySharedUsage implements SharedUsagePort {
  readonly accountId: string;
  readonly region: string;
  private readonly resources: AccountResources;

  constructor(options: MemorySharedUsageOptions = {}) {
    this.accountId = options.accountId ?? MEMORY_SHARED_ACCOUNT_ID;
    this.region = options.region ?? MEMORY_REGION;
    // Far from the owner fake's counters, so an id never names resources of both.
    this.resources = new AccountResources(this.accountId, this.region, options.idSeed ?? 2 ** 44);
  }

  async findInstances(imageIds: readonly string[]): Promise<ImageUse[]> {
    return this.resources.liveInstances(new Set(imageIds)).map((i) => ({
      imageId: i.imageId,
      kind: 'instance',
      resource: this.resources.instanceArn(i.instanceId),
    }));
  }

  async findLaunchTemplateVersions(imageIds: readonly string[]): Promise<ImageUse[]> {
    const wanted = new Set(imageIds);
    const uses: ImageUse[] = [];
    for (const t of this.resources.templates.values())
      t.versions.forEach((imageId, i) => {
        if (imageId !== undefined && wanted.has(imageId))
          uses.push({
            imageId,
            kind: 'launch-template',
            resource: this.resources.templateArn(t.launchTemplateId),
            launchTemplateVersion: i + 1,
          });
      });
    return uses;
  }

  // --- test controls -------------------------------------------------------------------------------

  /** An instance of this account launched from the (shared) image; answers its id. */
  launchInstance(imageId: string, state: InstanceState = 'running'): string {
    return this.resources.launch(imageId, state);
  }

  setInstanceState(instanceId: string, state: InstanceState): void {
    this.resources.setInstanceState(instanceId, state);
  }

  addLaunchTemplate(template: NewLaunchTemplate): string {
    return this.resources.addTemplate(template);
  }

  launchTemplateArn(launchTemplateId: string): string {
    return this.resources.templateArn(launchTemplateId);
  }

  instanceArn(instanceId: string): string {
    return this.resources.instanceArn(instanceId);
  }
}
