import { canAccessImage, checkImageId, hasExplicitPermission, imageNotFound, isDeprecated } from './access';
import type { Handler } from './context';
import { applyFilters, type FilterSchema, parseFilters } from './filters';
import { imageXml } from './image-xml';
import type { Ec2Image } from './model';
import { bool, ec2Error, paginate, strings } from './params';

const ACCOUNT_ID = /^\d{12}$/;

const imageFilters = (viewer: string): FilterSchema<Ec2Image> => {
  const ebs = (i: Ec2Image) => i.blockDeviceMappings.map((m) => m.ebs);
  return {
    fields: {
      architecture: (i) => i.architecture,
      'block-device-mapping.delete-on-termination': (i) => ebs(i).map((e) => e?.deleteOnTermination),
      'block-device-mapping.device-name': (i) => i.blockDeviceMappings.map((m) => m.deviceName),
      'block-device-mapping.encrypted': (i) => ebs(i).map((e) => e?.encrypted),
      'block-device-mapping.snapshot-id': (i) => ebs(i).map((e) => e?.snapshotId),
      'block-device-mapping.volume-size': (i) => ebs(i).map((e) => e?.volumeSize),
      'block-device-mapping.volume-type': (i) => ebs(i).map((e) => e?.volumeType),
      'creation-date': (i) => i.creationDate,
      'deprecation-time': (i) =>
        i.deprecationTime !== undefined ? new Date(i.deprecationTime).toISOString() : undefined,
      description: (i) => i.description,
      'ena-support': () => true,
      hypervisor: () => 'xen',
      'image-id': (i) => i.imageId,
      'image-type': () => 'machine',
      'imds-support': (i) => i.imdsSupport,
      'is-public': (i) => i.public,
      'manifest-location': (i) => `${i.ownerAlias ?? i.ownerId}/${i.name}`,
      name: (i) => i.name,
      'owner-alias': (i) => i.ownerAlias,
      'owner-id': (i) => i.ownerId,
      'platform-details': () => 'Linux/UNIX',
      'root-device-name': (i) => i.rootDeviceName,
      'root-device-type': () => 'ebs',
      'source-image-id': (i) => i.sourceImageId,
      'source-image-region': (i) => i.sourceImageRegion,
      'source-instance-id': (i) => (i.ownerId === viewer ? i.sourceInstanceId : undefined),
      'sriov-net-support': () => 'simple',
      state: (i) => i.state,
      'state-reason-code': (i) => i.stateReason?.code,
      'state-reason-message': (i) => i.stateReason?.message,
      'usage-operation': () => 'RunInstances',
      'virtualization-type': () => 'hvm',
    },
    // Only the owner sees an image's tags, so only the owner can filter on them.
    tags: (i) => (i.ownerId === viewer ? i.tags : new Map()),
  };
};

const OWNER_ALIASES = ['amazon', 'aws-marketplace', 'aws-backup-vault'];

/**
 * DescribeImages as EC2 scopes it: by default the caller's own, public and shared images; `Owners` and
 * `ExecutableUsers` narrow (and combine as an intersection); deprecated images of others are hidden
 * unless asked for by id or with IncludeDeprecated; disabled images only reach their owner with
 * IncludeDisabled.
 */
export const describeImages: Handler = (op) => {
  const { params: p, store, accountId } = op;
  const accounts = op.cloud.accounts;
  const owners = strings(p, 'Owner');
  for (const o of owners) {
    if (o !== 'self' && !OWNER_ALIASES.includes(o) && !ACCOUNT_ID.test(o))
      throw ec2Error('InvalidUserID.Malformed', `Invalid user id: "${o}"`);
  }
  const executableBy = strings(p, 'ExecutableBy');
  for (const e of executableBy) {
    if (e !== 'self' && e !== 'all' && !ACCOUNT_ID.test(e))
      throw ec2Error('InvalidUserID.Malformed', `Invalid user id: "${e}"`);
  }
  const ids = strings(p, 'ImageId');
  ids.forEach(checkImageId);
  const includeDeprecated = bool(p, 'IncludeDeprecated') === true;
  const includeDisabled = bool(p, 'IncludeDisabled') === true;
  const schema = imageFilters(accountId);
  const filters = parseFilters(p, schema);
  const nowMs = op.cloud.clock.nowMillis();

  const accessible = [...store.images.values()].filter((i) => canAccessImage(i, accountId, accounts));
  if (ids.length > 0) {
    const missing = ids.filter((id) => !accessible.some((i) => i.imageId === id));
    if (missing.length > 0) throw imageNotFound(missing);
  }
  const found = accessible.filter((i) => {
    if (ids.length > 0 && !ids.includes(i.imageId)) return false;
    if (i.state === 'disabled' && !includeDisabled) return false;
    if (ids.length === 0 && !includeDeprecated && i.ownerId !== accountId && isDeprecated(i, nowMs))
      return false;
    if (
      owners.length > 0 &&
      !owners.some((o) => (o === 'self' ? i.ownerId === accountId : o === i.ownerId || o === i.ownerAlias))
    )
      return false;
    if (
      executableBy.length > 0 &&
      !executableBy.some((e) => {
        if (e === 'all') return i.public;
        // Self: images shared with the caller's account, organisation or OU (not its own, not public ones).
        if (e === 'self' || e === accountId) return hasExplicitPermission(i, accountId, accounts);
        // Another account: only what is shared with that account id itself.
        return i.launchPermissions.userIds.has(e);
      })
    )
      return false;
    return true;
  });
  const filtered = applyFilters(found, filters, schema).sort((a, b) => a.seq - b.seq);
  const page = paginate(
    p,
    'DescribeImages',
    filtered,
    (i) => i.seq,
    { min: 5, max: 1000 },
    {
      exclusiveWith: 'ImageId',
    },
  );
  return { imagesSet: page.items.map((i) => imageXml(i, accountId)), nextToken: page.nextToken };
};
