import type { CatalogPort, ImagePort, ImageRef } from '@ami-lifecycle/core';
import { SourceNotFoundError } from '../errors';
import type { BuildFamilyConfig } from './family-config';

export type SourceKind = 'ami-id' | 'name-filter' | 'ssm-parameter' | 'parent-channel' | 'parent-image';

export interface ResolvedSource {
  sourceAmiId: string;
  /** How it was found, for the audit reason. */
  via: SourceKind;
  /** Application families only: the published parent image, recorded as the new image's lineage. */
  parent?: ImageRef & { amiId: string };
}

export interface ResolveSourceOptions {
  /**
   * The parent image a `Build Requested` names (a parent-published rebuild): build on exactly that
   * image rather than on whatever the channel points to by now.
   */
  parent?: { family: string; version: string; imageId: string } | undefined;
}

export type ResolveSourceDeps = { catalog: CatalogPort; images: ImagePort; region: string };

/**
 * The AMI a family's builder starts from. Golden: the configured AMI id, the newest available image
 * matching the name filter and owners, or the AMI the SSM parameter holds. Application: the published
 * image of the parent family that the parent channel points to (or the one the request names), by its
 * AMI id in the home region. Throws `SourceNotFoundError` saying what was tried.
 */
export const resolveSource = async (
  family: BuildFamilyConfig,
  deps: ResolveSourceDeps,
  options: ResolveSourceOptions = {},
): Promise<ResolvedSource> => {
  if (family.kind === 'application') return resolveParent(family, deps, options);
  const { source } = family;
  if ('amiId' in source) return { sourceAmiId: source.amiId, via: 'ami-id' };
  if ('nameFilter' in source) {
    const matches = await deps.images.findImagesByName(source.nameFilter, source.owners);
    // Newest first; a pending or failed image cannot be launched.
    const newest = matches.find((m) => m.state === 'available');
    if (newest === undefined) {
      throw new SourceNotFoundError(
        family.name,
        `no available image matches name filter "${source.nameFilter}" owned by ${source.owners.join(', ')}`,
      );
    }
    return { sourceAmiId: newest.imageId, via: 'name-filter' };
  }
  try {
    return {
      sourceAmiId: await deps.images.resolveSsmImageParameter(source.ssmParameter),
      via: 'ssm-parameter',
    };
  } catch (err) {
    // Only "not there" becomes a config problem; throttling and outages stay retryable as they are.
    if (err instanceof Error && err.name === 'ResourceNotFoundError') {
      throw new SourceNotFoundError(
        family.name,
        `SSM parameter ${source.ssmParameter} does not exist or holds no AMI id`,
        { cause: err },
      );
    }
    throw err;
  }
};

const resolveParent = async (
  family: Extract<BuildFamilyConfig, { kind: 'application' }>,
  deps: ResolveSourceDeps,
  options: ResolveSourceOptions,
): Promise<ResolvedSource> => {
  const { family: parentFamily, channel } = family.parent;
  const fail = (tried: string): never => {
    throw new SourceNotFoundError(family.name, tried);
  };

  let version: string;
  let via: SourceKind;
  if (options.parent !== undefined) {
    if (options.parent.family !== parentFamily) {
      fail(
        `the request names parent family ${options.parent.family}, but the family builds on ${parentFamily}`,
      );
    }
    version = options.parent.version;
    via = 'parent-image';
  } else {
    const pointer = await deps.catalog.getChannel(parentFamily, channel);
    if (pointer === undefined) return fail(`channel ${parentFamily}/${channel} points to no image yet`);
    version = pointer.version;
    via = 'parent-channel';
  }

  const what = `${parentFamily}@${version}${via === 'parent-channel' ? ` (channel ${channel})` : ''}`;
  const image = await deps.catalog.getImage(parentFamily, version);
  if (image === undefined) return fail(`parent image ${what} does not exist`);
  if (image.state !== 'published') return fail(`parent image ${what} is ${image.state}, not published`);
  const amiId = image.amiIds[deps.region];
  if (amiId === undefined) return fail(`parent image ${what} has no AMI in ${deps.region}`);
  if (options.parent !== undefined && options.parent.imageId !== amiId) {
    fail(`the request names AMI ${options.parent.imageId} for ${what}, but the catalog has ${amiId}`);
  }
  return { sourceAmiId: amiId, via, parent: { family: parentFamily, version, amiId } };
};
