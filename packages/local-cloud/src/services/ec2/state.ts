import { createHash } from 'node:crypto';
import type { Ec2Image, RegionStore } from './model';
import { AMAZON_OWNER_ID, PUBLIC_IMAGES, publicImageId } from './public-images';

export type IdPrefix = 'i' | 'ami' | 'snap' | 'lt' | 'r' | 'vol' | 'eni' | 'sg' | 'subnet' | 'vpc';

/** A resource of another service (an SSM parameter, an Image Builder recipe) that names an AMI. */
export interface ImageReference {
  imageId: string;
  resourceType: string;
  arn: string;
}

/** Lets other emulators answer DescribeImageReferences for their resource types (`ssm:Parameter`, ...). */
export type ImageReferenceProvider = (
  accountId: string,
  region: string,
  imageIds: ReadonlySet<string>,
) => ImageReference[];

/** A CreateImage or CopyImage still under way: what its clock tasks do, as data a state file can hold. */
export interface PendingImageCompletion {
  imageId: string;
  region: string;
  snapshotIds: string[];
  /** When its snapshots report 50% (simulated epoch ms). */
  halfwayAt: number;
  /** When it becomes `available` (or `failed`). */
  at: number;
  /** The fault injector failed it at request time. */
  fail: boolean;
  /** The request that started it, as its `EC2 AMI State Change` event names it. */
  requestId: string;
}

/** What `Ec2State.exportState` hands over: every region's resources and the id counters. */
export interface Ec2StateData {
  counter: number;
  sequence: number;
  issued: Set<string>;
  regions: RegionStore[];
  pendingImages: Map<string, PendingImageCompletion>;
}

const hex17 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 17);

/**
 * The whole EC2 state of one cloud, by region. Ids come from one counter hashed with the kind, so they look
 * like EC2's (17 hex digits), repeat from run to run, and never collide across accounts and regions.
 */
export class Ec2State {
  private readonly regions = new Map<string, RegionStore>();
  private readonly issued = new Set<string>();
  private counter = 0;
  private sequence = 0;
  readonly referenceProviders = new Map<string, ImageReferenceProvider>();
  /** Image creations and copies not finished yet, by image id. */
  readonly pendingImages = new Map<string, PendingImageCompletion>();

  /** Everything this state holds (live objects: encode them before the next change). */
  exportState(): Ec2StateData {
    return {
      counter: this.counter,
      sequence: this.sequence,
      issued: this.issued,
      regions: [...this.regions.values()],
      pendingImages: this.pendingImages,
    };
  }

  /** Replaces everything with `data` (from `exportState` of an earlier run); the caller re-arms timers. */
  importState(data: Ec2StateData): void {
    this.counter = data.counter;
    this.sequence = data.sequence;
    this.issued.clear();
    for (const id of data.issued) this.issued.add(id);
    this.regions.clear();
    for (const store of data.regions) this.regions.set(store.region, store);
    this.pendingImages.clear();
    for (const [id, p] of data.pendingImages) this.pendingImages.set(id, p);
  }

  newId(prefix: IdPrefix): string {
    for (;;) {
      const id = `${prefix}-${hex17(`${prefix}/${this.counter++}`)}`;
      if (!this.issued.has(id)) {
        this.issued.add(id);
        return id;
      }
    }
  }

  /** A number that only grows: the stable order of Describe results and what page tokens point at. */
  nextSeq(): number {
    return ++this.sequence;
  }

  /** The store of a region, seeded with the public images on first use. */
  region(region: string): RegionStore {
    let store = this.regions.get(region);
    if (!store) {
      store = {
        region,
        images: new Map(),
        snapshots: new Map(),
        instances: new Map(),
        launchTemplates: new Map(),
        blockPublicAccess: new Set(),
        clientTokens: new Map(),
      };
      this.regions.set(region, store);
      this.seedPublicImages(store);
    }
    return store;
  }

  /** Region stores created so far (a region no one has called holds nothing but the seed). */
  knownRegions(): RegionStore[] {
    return [...this.regions.values()];
  }

  private seedPublicImages(store: RegionStore): void {
    for (const spec of PUBLIC_IMAGES) {
      const imageId = publicImageId(store.region, spec.name);
      this.issued.add(imageId);
      // The backing snapshot belongs to the publisher; it exists so the image's block device mapping is real.
      const snapshotId = `snap-${hex17(`public/${imageId}`)}`;
      this.issued.add(snapshotId);
      const rootDeviceName = spec.rootDeviceName ?? '/dev/xvda';
      const seq = this.nextSeq();
      store.snapshots.set(snapshotId, {
        snapshotId,
        ownerId: spec.ownerId,
        region: store.region,
        seq,
        volumeId: 'vol-ffffffff',
        volumeSize: 8,
        state: 'completed',
        progress: '100%',
        startTime: spec.creationDate,
        completionTime: spec.creationDate,
        description: `Snapshot of ${spec.name}`,
        encrypted: false,
        tags: new Map(),
      });
      const image: Ec2Image = {
        imageId,
        region: store.region,
        ownerId: spec.ownerId,
        // Only Amazon's own images carry an owner alias on EC2; Canonical's are known by account id.
        ownerAlias: spec.ownerId === AMAZON_OWNER_ID ? 'amazon' : undefined,
        seq,
        name: spec.name,
        description: spec.description,
        architecture: spec.architecture,
        state: 'available',
        creationDate: spec.creationDate,
        public: true,
        launchPermissions: {
          userIds: new Set(),
          organizationArns: new Set(),
          organizationalUnitArns: new Set(),
        },
        tags: new Map(),
        blockDeviceMappings: [
          {
            deviceName: rootDeviceName,
            ebs: {
              snapshotId,
              volumeSize: 8,
              volumeType: 'gp3',
              encrypted: false,
              deleteOnTermination: true,
            },
          },
        ],
        rootDeviceName,
        packages: new Map(Object.entries(spec.packages)),
        imdsSupport: spec.imdsSupport,
        deregistrationProtection: { enabled: false, withCooldown: false },
      };
      store.images.set(imageId, image);
    }
  }
}

/** The account's AWS-managed EBS key (`alias/aws/ebs`), used when encryption is asked for without a key. */
export const defaultEbsKmsKey = (accountId: string, region: string): string => {
  const h = createHash('sha256').update(`aws/ebs/${accountId}/${region}`).digest('hex');
  return `arn:aws:kms:${region}:${accountId}:key/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** The default VPC, subnet and security group of an account in a region, stable per account and region. */
export const defaultNetwork = (accountId: string, region: string) => ({
  vpcId: `vpc-${hex17(`vpc/${accountId}/${region}`)}`,
  subnetId: `subnet-${hex17(`subnet/${accountId}/${region}`)}`,
  securityGroupId: `sg-${hex17(`sg/${accountId}/${region}`)}`,
});
