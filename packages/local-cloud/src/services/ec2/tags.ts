import { findOwnedImage } from './access';
import type { Handler, OpContext } from './context';
import { applyFilters, type FilterSchema, parseFilters } from './filters';
import type { Ec2Instance, Ec2Snapshot, LaunchTemplate } from './model';
import {
  checkDryRun,
  ec2Error,
  invalidValue,
  members,
  paginate,
  strings,
  TAG_LIMIT,
  tagPairs,
} from './params';

/** The tag map of a resource the caller owns, found by the prefix of its id as EC2 finds it. */
export const taggableResource = (
  op: OpContext,
  resourceId: string,
): { resourceType: string; tags: Map<string, string> } => {
  if (resourceId.startsWith('ami-'))
    return { resourceType: 'image', tags: findOwnedImage(op, resourceId).tags };
  if (resourceId.startsWith('i-'))
    return { resourceType: 'instance', tags: ownedInstance(op, resourceId).tags };
  if (resourceId.startsWith('snap-'))
    return { resourceType: 'snapshot', tags: ownedSnapshot(op, resourceId).tags };
  if (resourceId.startsWith('lt-'))
    return { resourceType: 'launch-template', tags: ownedLaunchTemplate(op, resourceId).tags };
  throw ec2Error('InvalidID', `The ID '${resourceId}' is not valid`);
};

const ownedInstance = (op: OpContext, id: string): Ec2Instance => {
  const i = op.store.instances.get(id);
  if (!i || i.accountId !== op.accountId)
    throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  return i;
};

const ownedSnapshot = (op: OpContext, id: string): Ec2Snapshot => {
  const s = op.store.snapshots.get(id);
  if (!s || s.ownerId !== op.accountId)
    throw ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  return s;
};

const ownedLaunchTemplate = (op: OpContext, id: string): LaunchTemplate => {
  const lt = op.store.launchTemplates.get(id);
  if (!lt || lt.ownerId !== op.accountId)
    throw ec2Error(
      'InvalidLaunchTemplateId.NotFound',
      `The specified launch template, with template ID ${id}, does not exist.`,
    );
  return lt;
};

/** Sets tags, refusing the whole change when it would take a resource past EC2's 50 user tags. */
export const mergeTags = (
  resourceId: string,
  target: Map<string, string>,
  tags: Iterable<[string, string]>,
) => {
  const next = new Map(target);
  for (const [k, v] of tags) next.set(k, v);
  const userTags = [...next.keys()].filter((k) => !k.startsWith('aws:')).length;
  if (userTags > TAG_LIMIT) {
    throw ec2Error(
      'TagLimitExceeded',
      `The maximum number of tags (${TAG_LIMIT}) for resource ${resourceId} has been reached.`,
    );
  }
  return next;
};

const replaceTags = (target: Map<string, string>, next: Map<string, string>) => {
  target.clear();
  for (const [k, v] of next) target.set(k, v);
};

const createTags: Handler = (op) => {
  const ids = strings(op.params, 'ResourceId');
  if (ids.length === 0)
    throw ec2Error('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const tags = tagPairs(op.params);
  if (tags.length === 0) throw ec2Error('MissingParameter', 'The request must contain the parameter tagSet');
  // All or nothing: every resource is found and checked before any tag changes.
  const changes = ids.map((id) => {
    const r = taggableResource(op, id);
    return { target: r.tags, next: mergeTags(id, r.tags, tags) };
  });
  checkDryRun(op.params);
  for (const c of changes) replaceTags(c.target, c.next);
  return { return: true };
};

const deleteTags: Handler = (op) => {
  const ids = strings(op.params, 'ResourceId');
  if (ids.length === 0)
    throw ec2Error('MissingParameter', 'The request must contain the parameter resourceIdSet');
  // A key alone deletes the tag whatever its value; a key with a value (even empty) only on a match.
  const selectors = members(op.params, 'Tag').map((m) => {
    const key = m.get('Key');
    if (!key) throw invalidValue('Tag keys must not be empty');
    if (key.toLowerCase().startsWith('aws:'))
      throw invalidValue(`Tag keys starting with 'aws:' are reserved for internal use: ${key}`);
    return { key, value: m.get('Value') };
  });
  const targets = ids.map((id) => taggableResource(op, id).tags);
  checkDryRun(op.params);
  for (const tags of targets) {
    if (selectors.length === 0) {
      // No Tag parameter deletes every user tag, never the aws: ones.
      for (const k of [...tags.keys()]) if (!k.startsWith('aws:')) tags.delete(k);
      continue;
    }
    for (const s of selectors) {
      if (s.value === undefined || tags.get(s.key) === s.value) tags.delete(s.key);
    }
  }
  return { return: true };
};

interface TagRow {
  resourceId: string;
  resourceType: string;
  key: string;
  value: string;
  resourceTags: ReadonlyMap<string, string>;
  order: number;
}

const TAG_FILTERS: FilterSchema<TagRow> = {
  fields: {
    key: (r) => r.key,
    value: (r) => r.value,
    'resource-id': (r) => r.resourceId,
    'resource-type': (r) => r.resourceType,
  },
  tags: (r) => r.resourceTags,
};

const describeTags: Handler = (op) => {
  const filters = parseFilters(op.params, TAG_FILTERS);
  checkDryRun(op.params);
  const resources: { id: string; type: string; seq: number; tags: Map<string, string> }[] = [];
  const { store, accountId } = op;
  for (const i of store.instances.values())
    if (i.accountId === accountId)
      resources.push({ id: i.instanceId, type: 'instance', seq: i.seq, tags: i.tags });
  for (const img of store.images.values())
    if (img.ownerId === accountId && img.state !== 'deregistered')
      resources.push({ id: img.imageId, type: 'image', seq: img.seq, tags: img.tags });
  for (const s of store.snapshots.values())
    if (s.ownerId === accountId)
      resources.push({ id: s.snapshotId, type: 'snapshot', seq: s.seq, tags: s.tags });
  for (const lt of store.launchTemplates.values())
    if (lt.ownerId === accountId)
      resources.push({ id: lt.launchTemplateId, type: 'launch-template', seq: lt.seq, tags: lt.tags });
  resources.sort((a, b) => a.seq - b.seq);
  // Rows are numbered in (resource creation, key) order; a token points past a row number, which is stable
  // unless tags change between pages (DescribeTags on EC2 makes no stronger promise).
  const rows: TagRow[] = [];
  for (const r of resources) {
    for (const key of [...r.tags.keys()].sort()) {
      rows.push({
        resourceId: r.id,
        resourceType: r.type,
        key,
        value: r.tags.get(key)!,
        resourceTags: r.tags,
        order: rows.length,
      });
    }
  }
  const page = paginate(op.params, 'DescribeTags', applyFilters(rows, filters, TAG_FILTERS), (r) => r.order, {
    min: 5,
    max: 1000,
  });
  return {
    tagSet: page.items.map((r) => ({
      resourceId: r.resourceId,
      resourceType: r.resourceType,
      key: r.key,
      value: r.value,
    })),
    nextToken: page.nextToken,
  };
};

export const tagOperations: Record<string, Handler> = {
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags,
};

/** `tagSet` as EC2 renders it; an empty set is left out, as EC2 leaves it out. */
export const tagSetXml = (tags: ReadonlyMap<string, string>) =>
  tags.size === 0 ? undefined : [...tags].map(([key, value]) => ({ key, value }));
