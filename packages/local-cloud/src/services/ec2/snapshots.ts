import type { Handler } from './context';
import { applyFilters, type FilterSchema, parseFilters } from './filters';
import type { Ec2Image, Ec2Snapshot, RegionStore } from './model';
import { checkDryRun, ec2Error, paginate, required, strings } from './params';
import { AMAZON_OWNER_ID } from './public-images';
import { tagSetXml } from './tags';

const SNAPSHOT_ID = /^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export const checkSnapshotId = (id: string): void => {
  if (!SNAPSHOT_ID.test(id))
    throw ec2Error('InvalidSnapshotID.Malformed', `Invalid id: "${id}" (expecting "snap-...")`);
};

export const snapshotNotFound = (id: string) =>
  ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);

/** The registered image (any state but deregistered) whose block device mapping uses the snapshot. */
export const imageUsingSnapshot = (
  store: RegionStore,
  snapshotId: string,
  except?: Ec2Image,
): Ec2Image | undefined => {
  for (const image of store.images.values()) {
    if (image === except || image.state === 'deregistered') continue;
    if (image.blockDeviceMappings.some((m) => m.ebs?.snapshotId === snapshotId)) return image;
  }
  return undefined;
};

export const snapshotXml = (s: Ec2Snapshot) => ({
  snapshotId: s.snapshotId,
  volumeId: s.volumeId,
  status: s.state,
  statusMessage: s.stateMessage,
  startTime: s.startTime,
  progress: s.progress,
  ownerId: s.ownerId,
  ownerAlias: s.ownerId === AMAZON_OWNER_ID ? 'amazon' : undefined,
  volumeSize: s.volumeSize,
  description: s.description,
  encrypted: s.encrypted,
  kmsKeyId: s.kmsKeyId,
  tagSet: tagSetXml(s.tags),
  storageTier: 'standard',
  completionTime: s.completionTime,
});

const SNAPSHOT_FILTERS: FilterSchema<Ec2Snapshot> = {
  fields: {
    description: (s) => s.description,
    encrypted: (s) => s.encrypted,
    'owner-alias': (s) => (s.ownerId === AMAZON_OWNER_ID ? 'amazon' : undefined),
    'owner-id': (s) => s.ownerId,
    progress: (s) => s.progress,
    'snapshot-id': (s) => s.snapshotId,
    'start-time': (s) => s.startTime,
    status: (s) => s.state,
    'storage-tier': () => 'standard',
    'volume-id': (s) => s.volumeId,
    'volume-size': (s) => s.volumeSize,
  },
  tags: (s) => s.tags,
};

const ACCOUNT_ID = /^\d{12}$/;

/**
 * Snapshots are never shared in this emulator (EC2's createVolumePermission is not modelled), so a
 * caller sees its own snapshots only; `Owner` and `RestorableBy` narrow that set as EC2 does.
 */
const describeSnapshots: Handler = (op) => {
  const { params, store, accountId } = op;
  const owners = strings(params, 'Owner').map((o) => {
    if (o === 'self') return accountId;
    if (o === 'amazon') return AMAZON_OWNER_ID;
    if (ACCOUNT_ID.test(o)) return o;
    throw ec2Error('InvalidUserID.Malformed', `Invalid user id: "${o}"`);
  });
  const restorableBy = strings(params, 'RestorableBy');
  for (const r of restorableBy) {
    if (r !== 'self' && r !== 'all' && !ACCOUNT_ID.test(r))
      throw ec2Error('InvalidUserID.Malformed', `Invalid user id: "${r}"`);
  }
  const ids = strings(params, 'SnapshotId');
  const filters = parseFilters(params, SNAPSHOT_FILTERS);
  const visible = [...store.snapshots.values()].filter((s) => s.ownerId === accountId);
  for (const id of ids) {
    checkSnapshotId(id);
    if (!visible.some((s) => s.snapshotId === id)) throw snapshotNotFound(id);
  }
  let found = visible;
  if (ids.length > 0) found = found.filter((s) => ids.includes(s.snapshotId));
  if (owners.length > 0) found = found.filter((s) => owners.includes(s.ownerId));
  // Only the owner can restore an unshared snapshot.
  if (restorableBy.length > 0)
    found = found.filter((s) => restorableBy.some((r) => r === 'self' || r === s.ownerId));
  found = applyFilters(found, filters, SNAPSHOT_FILTERS).sort((a, b) => a.seq - b.seq);
  const page = paginate(
    params,
    'DescribeSnapshots',
    found,
    (s) => s.seq,
    { min: 5, max: 1000 },
    {
      exclusiveWith: 'SnapshotId',
    },
  );
  return { snapshotSet: page.items.map(snapshotXml), nextToken: page.nextToken };
};

const deleteSnapshot: Handler = (op) => {
  const id = required(op.params, 'SnapshotId');
  checkSnapshotId(id);
  const snapshot = op.store.snapshots.get(id);
  if (!snapshot || snapshot.ownerId !== op.accountId) throw snapshotNotFound(id);
  const user = imageUsingSnapshot(op.store, id);
  if (user)
    throw ec2Error('InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by ${user.imageId}`);
  checkDryRun(op.params);
  op.store.snapshots.delete(id);
  return { return: true };
};

export const snapshotOperations: Record<string, Handler> = {
  DescribeSnapshots: describeSnapshots,
  DeleteSnapshot: deleteSnapshot,
};
