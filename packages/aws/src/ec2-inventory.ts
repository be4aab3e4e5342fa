import {
  DomainError,
  type ImageState,
  type ImageUse,
  type ImageUseKind,
  type InventoryPort,
  isManaged,
  MANAGED_TAG,
  type ManagedImage,
  type ManagedSnapshot,
  TAG_PREFIX,
  UnmanagedSnapshotError,
} from '@ami-lifecycle/core';
import {
  DeleteSnapshotCommand,
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type Image,
  type ImageReference,
  type ResourceTypeRequest,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import { sharedEc2Client } from './clients/ec2';
import { awsErrorCode, callAws } from './errors';
import { collectPages, DEFAULT_MAX_PAGES } from './paginate';
import { fromTagList } from './tags';

const FAMILY_TAG = `${TAG_PREFIX}family`;
const VERSION_TAG = `${TAG_PREFIX}version`;
const MANAGED_FILTER = { Name: `tag:${MANAGED_TAG}`, Values: ['true'] };

/** `DescribeImageReferences` takes 1 to 10 image ids per call (`ImageId.N`, EC2 API Reference). */
export const IMAGE_REFERENCES_BATCH = 10;
/** `version-depth` is 1 to 10000, and EC2 allows at most 10,000 versions per launch template: all of them. */
const ALL_TEMPLATE_VERSIONS = '10000';
/** Every instance state but `shutting-down` and `terminated`: an instance on its way out uses nothing. */
export const LIVE_INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped'];

const REFERENCE_KINDS: Record<string, ImageUseKind> = {
  'ec2:Instance': 'instance',
  'ec2:LaunchTemplate': 'launch-template',
  'ssm:Parameter': 'ssm-parameter',
  'imagebuilder:ImageRecipe': 'image-builder-recipe',
  'imagebuilder:ContainerRecipe': 'image-builder-recipe',
};

/** Paging of the inventory's listings; the defaults are each operation's largest page. */
export interface InventoryPaging {
  /** Items per page asked of EC2, capped at each operation's maximum (tests use a small one to page). */
  pageSize?: number;
  maxPages?: number;
}

export const batches = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

const iso = (value: Date | string | undefined): string | undefined =>
  value === undefined ? undefined : new Date(value).toISOString();

const familyAndVersion = (tags: Record<string, string>) => ({
  ...(tags[FAMILY_TAG] !== undefined ? { family: tags[FAMILY_TAG] } : {}),
  ...(tags[VERSION_TAG] !== undefined ? { version: tags[VERSION_TAG] } : {}),
});

const toManagedImage = (i: Image): ManagedImage => {
  const tags = fromTagList(i.Tags);
  return {
    imageId: i.ImageId ?? '',
    name: i.Name ?? '',
    state: (i.State ?? 'pending') as ImageState,
    creationDate: iso(i.CreationDate) ?? '',
    ...(i.DeprecationTime ? { deprecationTime: iso(i.DeprecationTime) } : {}),
    ...(i.LastLaunchedTime ? { lastLaunchedTime: iso(i.LastLaunchedTime) } : {}),
    // `disabled`, `enabled-with-cooldown` or `enabled-without-cooldown`.
    deregistrationProtection: i.DeregistrationProtection?.startsWith('enabled') === true,
    ...familyAndVersion(tags),
    snapshots: (i.BlockDeviceMappings ?? []).flatMap((m) =>
      m.Ebs?.SnapshotId ? [{ snapshotId: m.Ebs.SnapshotId, sizeGiB: m.Ebs.VolumeSize ?? 0 }] : [],
    ),
  };
};

const toManagedSnapshot = (s: Snapshot): ManagedSnapshot => ({
  snapshotId: s.SnapshotId ?? '',
  sizeGiB: s.VolumeSize ?? 0,
  startTime: iso(s.StartTime) ?? '',
  ...familyAndVersion(fromTagList(s.Tags)),
});

const REFERENCE_TYPES: ResourceTypeRequest[] = [
  {
    ResourceType: 'ec2:Instance',
    ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: LIVE_INSTANCE_STATES }],
  },
  {
    ResourceType: 'ec2:LaunchTemplate',
    ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [ALL_TEMPLATE_VERSIONS] }],
  },
  { ResourceType: 'ssm:Parameter' },
  { ResourceType: 'imagebuilder:ImageRecipe' },
  { ResourceType: 'imagebuilder:ContainerRecipe' },
];

/** A reference EC2 answers that cannot be read as a use: refused, since ignoring it could free an AMI in use. */
export class UnreadableImageReferenceError extends DomainError {
  constructor(readonly reference: ImageReference) {
    super(`DescribeImageReferences answered a reference that cannot be read: ${JSON.stringify(reference)}`);
  }
}

const toImageUse = (r: ImageReference): ImageUse => {
  const kind = r.ResourceType ? REFERENCE_KINDS[r.ResourceType] : undefined;
  if (!r.ImageId || !r.Arn || !kind) throw new UnreadableImageReferenceError(r);
  return { imageId: r.ImageId, kind, resource: r.Arn };
};

const isSnapshotGone = (err: unknown) => awsErrorCode(err) === 'InvalidSnapshot.NotFound';

/**
 * `InventoryPort` over EC2 in the owner account and one region. Listings page with `MaxResults` and
 * `NextToken`; references come from `DescribeImageReferences` in batches of 10 images; a snapshot is
 * deleted only after EC2 itself reports it tagged `ami-lifecycle:managed=true`.
 */
export class Ec2Inventory implements InventoryPort {
  private readonly pageSize: number;
  private readonly maxPages: number;

  constructor(
    private readonly ec2: EC2Client = sharedEc2Client(),
    paging: InventoryPaging = {},
  ) {
    this.pageSize = paging.pageSize ?? 1000;
    this.maxPages = paging.maxPages ?? DEFAULT_MAX_PAGES;
  }

  async listManagedImages(): Promise<ManagedImage[]> {
    const images = await collectPages(
      'ec2:DescribeImages',
      async (NextToken) => {
        const out = await callAws('ec2', 'DescribeImages', () =>
          this.ec2.send(
            new DescribeImagesCommand({
              Owners: ['self'],
              Filters: [MANAGED_FILTER],
              // The owner sees its deprecated images anyway; disabled ones only on request.
              IncludeDeprecated: true,
              IncludeDisabled: true,
              MaxResults: Math.min(this.pageSize, 1000),
              NextToken,
            }),
          ),
        );
        return { items: out.Images, nextToken: out.NextToken };
      },
      this.maxPages,
    );
    // The filter is EC2's; the tag is checked again here, as everywhere a managed resource is chosen.
    return images.filter((i) => isManaged(fromTagList(i.Tags))).map(toManagedImage);
  }

  async findImageReferences(imageIds: readonly string[]): Promise<ImageUse[]> {
    const uses: ImageUse[] = [];
    for (const ImageIds of batches([...new Set(imageIds)], IMAGE_REFERENCES_BATCH)) {
      const refs = await collectPages(
        'ec2:DescribeImageReferences',
        async (NextToken) => {
          const out = await callAws('ec2', 'DescribeImageReferences', () =>
            this.ec2.send(
              new DescribeImageReferencesCommand({
                ImageIds,
                // Named one by one rather than IncludeAllResourceTypes: a type added later would come
                // back as a use no ImageUseKind can name.
                ResourceTypes: REFERENCE_TYPES,
                MaxResults: Math.min(this.pageSize, 1000),
                NextToken,
              }),
            ),
          );
          return { items: out.ImageReferences, nextToken: out.NextToken };
        },
        this.maxPages,
      );
      uses.push(...refs.map(toImageUse));
    }
    return uses;
  }

  async listManagedSnapshots(of?: { family: string; version: string }): Promise<ManagedSnapshot[]> {
    const filters = [
      MANAGED_FILTER,
      ...(of === undefined
        ? []
        : [
            { Name: `tag:${TAG_PREFIX}family`, Values: [of.family] },
            { Name: `tag:${TAG_PREFIX}version`, Values: [of.version] },
          ]),
    ];
    const snapshots = await collectPages(
      'ec2:DescribeSnapshots',
      async (NextToken) => {
        const out = await callAws('ec2', 'DescribeSnapshots', () =>
          this.ec2.send(
            new DescribeSnapshotsCommand({
              OwnerIds: ['self'],
              Filters: filters,
              MaxResults: Math.min(this.pageSize, 1000),
              NextToken,
            }),
          ),
        );
        return { items: out.Snapshots, nextToken: out.NextToken };
      },
      this.maxPages,
    );
    return snapshots.filter((s) => isManaged(fromTagList(s.Tags))).map(toManagedSnapshot);
  }

  async deleteManagedSnapshot(snapshotId: string): Promise<void> {
    let snapshot: Snapshot | undefined;
    try {
      const out = await callAws('ec2', 'DescribeSnapshots', () =>
        this.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })),
      );
      snapshot = out.Snapshots?.find((s) => s.SnapshotId === snapshotId);
    } catch (err) {
      if (isSnapshotGone(err)) return;
      throw err;
    }
    // Gone already: a retried delete is done.
    if (!snapshot) return;
    if (!isManaged(fromTagList(snapshot.Tags))) throw new UnmanagedSnapshotError(snapshotId, 'delete');
    await callAws('ec2', 'DeleteSnapshot', () =>
      this.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })),
    ).catch((err: unknown) => {
      if (isSnapshotGone(err)) return;
      throw err;
    });
  }
}
