import {
  type CreateImageRequest,
  type ImageDescription,
  type ImagePort,
  type ImageState,
  isManaged,
  UnmanagedImageError,
} from '@ami-lifecycle/core';
import {
  CreateImageCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DisableImageCommand,
  DisableImageDeregistrationProtectionCommand,
  type EC2Client,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  type Image,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { sharedClients } from './clients';
import { awsErrorCode, callAws, ResourceNotFoundError } from './errors';
import { collectPages } from './paginate';
import { fromTagList, toTagList } from './tags';

const isImageNotFound = (err: unknown) => awsErrorCode(err)?.startsWith('InvalidAMIID.') === true;

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
  constructor(
    private readonly ec2: EC2Client = sharedClients().ec2,
    private readonly ssm: SSMClient = sharedClients().ssm,
  ) {}

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
    await callAws('ec2', 'EnableImageDeprecation', () =>
      this.ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: at })),
    );
  }

  async disableImage(imageId: string): Promise<void> {
    await this.requireManaged(imageId, 'disable');
    await callAws('ec2', 'DisableImage', () => this.ec2.send(new DisableImageCommand({ ImageId: imageId })));
  }

  async deregisterImage(imageId: string, options: { deleteSnapshots: boolean }): Promise<void> {
    await this.requireManaged(imageId, 'deregister');
    await callAws('ec2', 'DeregisterImage', () =>
      this.ec2.send(
        new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: options.deleteSnapshots }),
      ),
    );
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

  private async rawImage(imageId: string): Promise<Image | undefined> {
    try {
      const out = await callAws('ec2', 'DescribeImages', () =>
        // Disabled images are listed only on request; they are still ours to deregister.
        this.ec2.send(
          new DescribeImagesCommand({ ImageIds: [imageId], IncludeDisabled: true, IncludeDeprecated: true }),
        ),
      );
      return out.Images?.find((i) => i.ImageId === imageId);
    } catch (err) {
      if (isImageNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Reads the tags from EC2 now: a caller's (or the catalog's) word that an image is ours is not enough. */
  private async requireManaged(imageId: string, action: string): Promise<void> {
    const image = await this.rawImage(imageId);
    if (!image) throw new ResourceNotFoundError('image', imageId);
    if (!isManaged(fromTagList(image.Tags))) throw new UnmanagedImageError(imageId, action);
  }
}
