import {
  type CopyImageRequest,
  type CreateImageRequest,
  deprecationMinute,
  type ImageDescription,
  type ImagePort,
  type ImageState,
  isManaged,
  type LaunchPermissionGrants,
  type LaunchPermissions,
  UnmanagedImageError,
} from '@ami-lifecycle/core';
import {
  CopyImageCommand,
  CreateImageCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DisableImageCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  GetImageBlockPublicAccessStateCommand,
  type Image,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { sharedEc2Client } from './clients/ec2';
import { sharedSsmClient } from './clients/ssm';
import { awsErrorCode, callAws, ResourceNotFoundError, SnapshotsNotDeletedError } from './errors';
import {
  checkLaunchPermissionChange,
  isEmptyChange,
  type LaunchPermissionChange,
} from './launch-permissions';
import { collectPages } from './paginate';
import { fromTagList, toTagList } from './tags';

/** Not found or malformed; `InvalidAMIID.Unavailable` (an image EC2 knows but cannot use now) is not. */
const isNoSuchImage = (err: unknown) =>
  awsErrorCode(err) === 'InvalidAMIID.NotFound' || awsErrorCode(err) === 'InvalidAMIID.Malformed';

/** An EC2 client for another region (the source region of a copy). */
export type Ec2ClientInRegion = (region: string) => EC2Client;

/**
 * The default `Ec2ClientInRegion`: one `EC2Client` per region, built on first use and kept, with the
 * credentials of `base` when given (so a copy made under an assumed role reads its source under it too).
 * Endpoints come from the environment (`AWS_ENDPOINT_URL_EC2`) as for every client of the factory.
 */
export const ec2ClientsByRegion = (base?: EC2Client): Ec2ClientInRegion => {
  const clients = new Map<string, EC2Client>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = new EC2Client({ region, ...(base ? { credentials: base.config.credentials } : {}) });
      clients.set(region, client);
    }
    return client;
  };
};

/** A launch permission the controller may grant: never `Group` (`all`), by construction. */
type NamedLaunchPermission =
  | { UserId: string }
  | { OrganizationArn: string }
  | { OrganizationalUnitArn: string };

const named = (g: LaunchPermissionGrants): NamedLaunchPermission[] => [
  ...g.accountIds.map((UserId) => ({ UserId })),
  ...g.organizationArns.map((OrganizationArn) => ({ OrganizationArn })),
  ...g.organizationalUnitArns.map((OrganizationalUnitArn) => ({ OrganizationalUnitArn })),
];

const sorted = (values: (string | undefined)[]): string[] =>
  values.filter((v): v is string => v !== undefined).sort();

const toDescription = (i: Image): ImageDescription => ({
  imageId: i.ImageId ?? '',
  name: i.Name ?? '',
  state: (i.State ?? 'pending') as ImageState,
  snapshotIds: (i.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [])),
  tags: fromTagList(i.Tags),
  creationDate: i.CreationDate ?? '',
  ...(i.DeprecationTime ? { deprecationTime: i.DeprecationTime } : {}),
});

/**
 * `ImagePort` over EC2 (and SSM for public image parameters). Changes are made only to images EC2
 * itself reports as tagged `ami-lifecycle:managed=true` at the moment of the change.
 */
export class Ec2Images implements ImagePort {
  private readonly ec2InRegion: Ec2ClientInRegion;

  /**
   * `ec2` acts in this port's region (copies land there); `ec2InRegion` answers a client for a copy's
   * source region, by default one `EC2Client` per region with `ec2`'s credentials.
   */
  constructor(
    private readonly ec2: EC2Client = sharedEc2Client(),
    private readonly ssm: SSMClient = sharedSsmClient(),
    ec2InRegion?: Ec2ClientInRegion,
  ) {
    this.ec2InRegion = ec2InRegion ?? ec2ClientsByRegion(ec2);
  }

  async createImage(request: CreateImageRequest): Promise<{ imageId: string }> {
    const tags = toTagList(request.tags);
    const out = await callAws('ec2', 'CreateImage', () =>
      this.ec2.send(
        new CreateImageCommand({
          InstanceId: request.instanceId,
          Name: request.name,
          Description: request.description,
          TagSpecifications: tags.length
            ? [
                { ResourceType: 'image', Tags: tags },
                { ResourceType: 'snapshot', Tags: tags },
              ]
            : undefined,
        }),
      ),
    ).catch((err: unknown) => {
      if (awsErrorCode(err)?.startsWith('InvalidInstanceID.'))
        throw new ResourceNotFoundError('instance', request.instanceId, { cause: err });
      throw err;
    });
    if (!out.ImageId) throw new ResourceNotFoundError('image', `created from ${request.instanceId}`);
    return { imageId: out.ImageId };
  }

  async describeImage(imageId: string): Promise<ImageDescription | undefined> {
    const image = await this.rawImage(imageId);
    return image ? toDescription(image) : undefined;
  }

  async findImagesByName(nameFilter: string, owners: readonly string[]): Promise<ImageDescription[]> {
    const images = await collectPages('ec2:DescribeImages', async (NextToken) => {
      const out = await callAws('ec2', 'DescribeImages', () =>
        this.ec2.send(
          new DescribeImagesCommand({
            Filters: [{ Name: 'name', Values: [nameFilter] }],
            Owners: [...owners],
            MaxResults: 1000,
            NextToken,
          }),
        ),
      );
      return { items: out.Images, nextToken: out.NextToken };
    });
    // ISO-8601 strings of one format sort as dates.
    return images.map(toDescription).sort((a, b) => b.creationDate.localeCompare(a.creationDate));
  }

  async resolveSsmImageParameter(name: string): Promise<string> {
    const out = await callAws('ssm', 'GetParameter', () =>
      this.ssm.send(new GetParameterCommand({ Name: name })),
    ).catch((err: unknown) => {
      if (awsErrorCode(err) === 'ParameterNotFound')
        throw new ResourceNotFoundError('SSM parameter', name, { cause: err });
      throw err;
    });
    const value = out.Parameter?.Value;
    if (!value?.startsWith('ami-')) throw new ResourceNotFoundError('AMI id in SSM parameter', name);
    return value;
  }

  async deprecateImage(imageId: string, at: Date): Promise<void> {
    await this.requireManaged(imageId, 'deprecate');
    const deprecateAt = deprecationMinute(at);
    await callAws('ec2', 'EnableImageDeprecation', () =>
      this.ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: deprecateAt })),
    );
  }

  async disableImage(imageId: string): Promise<void> {
    await this.requireManaged(imageId, 'disable');
    await callAws('ec2', 'DisableImage', () => this.ec2.send(new DisableImageCommand({ ImageId: imageId })));
  }

  /**
   * With `deleteSnapshots`, EC2 is asked to delete the image's snapshots only when every one of them is
   * tagged `ami-lifecycle:managed=true` now; otherwise the image is deregistered alone and its snapshots
   * stay. A snapshot EC2 then reports not deleted throws `SnapshotsNotDeletedError`, after the
   * deregistration; one it `skipped` because another image still uses it is kept as EC2 documents, and is
   * not a failure (it is that image's too).
   */
  async deregisterImage(imageId: string, options: { deleteSnapshots: boolean }): Promise<void> {
    const image = await this.requireManaged(imageId, 'deregister');
    const deleteSnapshots = options.deleteSnapshots && (await this.allSnapshotsManaged(image));
    const out = await callAws('ec2', 'DeregisterImage', () =>
      this.ec2.send(
        new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: deleteSnapshots }),
      ),
    );
    const failures = (out.DeleteSnapshotResults ?? []).flatMap((r) =>
      r.ReturnCode === 'success' || r.ReturnCode === 'skipped'
        ? []
        : [{ snapshotId: r.SnapshotId ?? '', returnCode: r.ReturnCode ?? 'unknown' }],
    );
    if (failures.length > 0) throw new SnapshotsNotDeletedError(imageId, failures);
  }

  async setDeregistrationProtection(imageId: string, enabled: boolean): Promise<void> {
    await this.requireManaged(imageId, enabled ? 'protect' : 'unprotect');
    const input = { ImageId: imageId };
    if (enabled)
      await callAws('ec2', 'EnableImageDeregistrationProtection', () =>
        this.ec2.send(new EnableImageDeregistrationProtectionCommand(input)),
      );
    else
      await callAws('ec2', 'DisableImageDeregistrationProtection', () =>
        this.ec2.send(new DisableImageDeregistrationProtectionCommand(input)),
      );
  }

  async copyImage(request: CopyImageRequest): Promise<{ imageId: string }> {
    // The source is read in its own region: a copy is made only of an image EC2 says is ours.
    await this.requireManaged(request.sourceImageId, 'copy', this.ec2InRegion(request.sourceRegion));
    const tags = toTagList(request.tags);
    const out = await callAws('ec2', 'CopyImage', () =>
      this.ec2.send(
        new CopyImageCommand({
          SourceImageId: request.sourceImageId,
          SourceRegion: request.sourceRegion,
          Name: request.name,
          Description: request.description,
          Encrypted: true,
          KmsKeyId: request.kmsKeyId,
          ClientToken: request.clientToken,
          // Tags are given explicitly (CopyImageTags is left off): the source's are not copied.
          TagSpecifications: tags.length
            ? [
                { ResourceType: 'image', Tags: tags },
                { ResourceType: 'snapshot', Tags: tags },
              ]
            : undefined,
        }),
      ),
    ).catch((err: unknown) => {
      if (isNoSuchImage(err)) throw new ResourceNotFoundError('image', request.sourceImageId, { cause: err });
      throw err;
    });
    if (!out.ImageId) throw new ResourceNotFoundError('image', `copied from ${request.sourceImageId}`);
    return { imageId: out.ImageId };
  }

  async getLaunchPermissions(imageId: string): Promise<LaunchPermissions> {
    const out = await callAws('ec2', 'DescribeImageAttribute', () =>
      this.ec2.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' })),
    ).catch((err: unknown) => {
      if (isNoSuchImage(err)) throw new ResourceNotFoundError('image', imageId, { cause: err });
      throw err;
    });
    const perms = out.LaunchPermissions ?? [];
    return {
      accountIds: sorted(perms.map((p) => p.UserId)),
      organizationArns: sorted(perms.map((p) => p.OrganizationArn)),
      organizationalUnitArns: sorted(perms.map((p) => p.OrganizationalUnitArn)),
      public: perms.some((p) => p.Group === 'all'),
    };
  }

  async modifyLaunchPermissions(imageId: string, change: LaunchPermissionChange): Promise<void> {
    // Before any call to EC2: a refused grant must leave no trace, not even a half-made change.
    checkLaunchPermissionChange(imageId, change);
    await this.requireManaged(imageId, 'share');
    if (isEmptyChange(change)) return;
    const add = named(change.add);
    const remove = [...named(change.remove), ...(change.removePublic ? [{ Group: 'all' as const }] : [])];
    await callAws('ec2', 'ModifyImageAttribute', () =>
      this.ec2.send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: {
            ...(add.length ? { Add: add } : {}),
            ...(remove.length ? { Remove: remove } : {}),
          },
        }),
      ),
    ).catch((err: unknown) => {
      if (isNoSuchImage(err)) throw new ResourceNotFoundError('image', imageId, { cause: err });
      throw err;
    });
  }

  async isImageBlockPublicAccessOn(): Promise<boolean> {
    const out = await callAws('ec2', 'GetImageBlockPublicAccessState', () =>
      this.ec2.send(new GetImageBlockPublicAccessStateCommand({})),
    );
    return out.ImageBlockPublicAccessState === 'block-new-sharing';
  }

  private async rawImage(imageId: string, ec2 = this.ec2): Promise<Image | undefined> {
    try {
      const out = await callAws('ec2', 'DescribeImages', () =>
        // Disabled images are listed only on request; they are still ours to deregister.
        ec2.send(
          new DescribeImagesCommand({ ImageIds: [imageId], IncludeDisabled: true, IncludeDeprecated: true }),
        ),
      );
      return out.Images?.find((i) => i.ImageId === imageId);
    } catch (err) {
      if (isNoSuchImage(err)) return undefined;
      throw err;
    }
  }

  /** Reads the tags from EC2 now: a caller's (or the catalog's) word that an image is ours is not enough. */
  private async requireManaged(imageId: string, action: string, ec2 = this.ec2): Promise<Image> {
    const image = await this.rawImage(imageId, ec2);
    if (!image) throw new ResourceNotFoundError('image', imageId);
    if (!isManaged(fromTagList(image.Tags))) throw new UnmanagedImageError(imageId, action);
    return image;
  }

  /**
   * Whether the image has snapshots and EC2 reports every one of them tagged managed now. A snapshot
   * that cannot be read (gone, or not this account's) answers false: nothing is deleted unchecked.
   */
  private async allSnapshotsManaged(image: Image): Promise<boolean> {
    const snapshotIds = toDescription(image).snapshotIds;
    if (snapshotIds.length === 0) return false;
    try {
      const out = await callAws('ec2', 'DescribeSnapshots', () =>
        this.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds })),
      );
      const snapshots = out.Snapshots ?? [];
      return snapshotIds.every((id) =>
        snapshots.some((s) => s.SnapshotId === id && isManaged(fromTagList(s.Tags))),
      );
    } catch (err) {
      if (awsErrorCode(err)?.startsWith('InvalidSnapshot')) return false;
      throw err;
    }
  }
}
