import type { ImageUse, SharedUsagePort } from '@ami-lifecycle/core';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { batches, type InventoryPaging, LIVE_INSTANCE_STATES } from './ec2-inventory';
import { awsErrorCode, callAws } from './errors';
import { collectPages, DEFAULT_MAX_PAGES } from './paginate';

/** EC2 takes at most 200 values in one filter. */
const FILTER_VALUES = 200;

/**
 * `SharedUsagePort` over EC2 in another account (an `EC2Client` signing with that account's assumed role)
 * and the client's region: the instances and launch template versions there that use the owner's shared
 * images, which `DescribeImageReferences` in the owner account does not see. The ARNs are built from the
 * account id given and the client's region.
 */
export class Ec2SharedUsage implements SharedUsagePort {
  private readonly pageSize: number;
  private readonly maxPages: number;

  constructor(
    private readonly ec2: EC2Client,
    readonly accountId: string,
    paging: InventoryPaging = {},
  ) {
    this.pageSize = paging.pageSize ?? 1000;
    this.maxPages = paging.maxPages ?? DEFAULT_MAX_PAGES;
  }

  async findInstances(imageIds: readonly string[]): Promise<ImageUse[]> {
    const arnPrefix = `arn:aws:ec2:${await this.region()}:${this.accountId}:instance/`;
    const uses: ImageUse[] = [];
    for (const ids of batches([...new Set(imageIds)], FILTER_VALUES)) {
      const reservations = await collectPages(
        'ec2:DescribeInstances',
        async (NextToken) => {
          const out = await callAws('ec2', 'DescribeInstances', () =>
            this.ec2.send(
              new DescribeInstancesCommand({
                Filters: [
                  { Name: 'image-id', Values: ids },
                  { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES },
                ],
                MaxResults: Math.min(this.pageSize, 1000),
                NextToken,
              }),
            ),
          );
          return { items: out.Reservations, nextToken: out.NextToken };
        },
        this.maxPages,
      );
      for (const r of reservations)
        for (const i of r.Instances ?? [])
          if (i.InstanceId && i.ImageId)
            uses.push({ imageId: i.ImageId, kind: 'instance', resource: `${arnPrefix}${i.InstanceId}` });
    }
    return uses;
  }

  async findLaunchTemplateVersions(imageIds: readonly string[]): Promise<ImageUse[]> {
    const wanted = new Set(imageIds);
    if (wanted.size === 0) return [];
    const arnPrefix = `arn:aws:ec2:${await this.region()}:${this.accountId}:launch-template/`;
    const templates = await collectPages(
      'ec2:DescribeLaunchTemplates',
      async (NextToken) => {
        const out = await callAws('ec2', 'DescribeLaunchTemplates', () =>
          this.ec2.send(
            new DescribeLaunchTemplatesCommand({ MaxResults: Math.min(this.pageSize, 200), NextToken }),
          ),
        );
        return { items: out.LaunchTemplates, nextToken: out.NextToken };
      },
      this.maxPages,
    );
    const uses: ImageUse[] = [];
    for (const t of templates) {
      const LaunchTemplateId = t.LaunchTemplateId;
      if (!LaunchTemplateId) continue;
      // No Versions, MinVersion or MaxVersion: every version of the template.
      const versions = await collectPages(
        'ec2:DescribeLaunchTemplateVersions',
        async (NextToken) => {
          const out = await callAws('ec2', 'DescribeLaunchTemplateVersions', () =>
            this.ec2.send(
              new DescribeLaunchTemplateVersionsCommand({
                LaunchTemplateId,
                MaxResults: Math.min(this.pageSize, 200),
                NextToken,
              }),
            ),
          );
          return { items: out.LaunchTemplateVersions, nextToken: out.NextToken };
        },
        this.maxPages,
      ).catch((err: unknown) => {
        // Deleted between the two listings: it launches nothing any more.
        if (awsErrorCode(err) === 'InvalidLaunchTemplateId.NotFound') return [];
        throw err;
      });
      for (const v of versions) {
        // Without ResolveAlias a `resolve:ssm:` image id comes back as written: it names a parameter,
        // not one of these images, and is left out.
        const imageId = v.LaunchTemplateData?.ImageId;
        if (imageId === undefined || !wanted.has(imageId) || v.VersionNumber === undefined) continue;
        uses.push({
          imageId,
          kind: 'launch-template',
          resource: `${arnPrefix}${LaunchTemplateId}`,
          launchTemplateVersion: v.VersionNumber,
        });
      }
    }
    return uses;
  }

  private async region(): Promise<string> {
    return await this.ec2.config.region();
  }
}
