import { AwsError } from '../../errors';
import { decodePageToken, encodePageToken } from '../../page-token';
import { listParam, type QueryParams, structListParam } from '../../protocols/query';
import type { BlockDeviceSpec } from './model';

/** An error in EC2's vocabulary; every one the emulator raises goes through here. */
export const ec2Error = (code: string, message: string, status = 400): AwsError =>
  new AwsError(code, message, status);

export const invalidValue = (message: string): AwsError => ec2Error('InvalidParameterValue', message);

/** A scalar parameter; an empty string counts as given, since `Description=` clears a description. */
export const str = (p: QueryParams, name: string): string | undefined => p.get(name);

/** A scalar that must be present and non-empty. */
export const required = (p: QueryParams, name: string): string => {
  const v = p.get(name);
  if (v === undefined || v === '')
    throw ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
  return v;
};

export const bool = (p: QueryParams, name: string): boolean | undefined => {
  const v = p.get(name);
  if (v === undefined || v === '') return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidValue(`Invalid value '${v}' for ${name}. A Boolean value must be true or false.`);
};

export const int = (
  p: QueryParams,
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined => {
  const v = p.get(name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw invalidValue(`Invalid value '${v}' for ${name}. It must be an integer.`);
  if ((bounds.min !== undefined && n < bounds.min) || (bounds.max !== undefined && n > bounds.max)) {
    throw invalidValue(
      `Value (${v}) for parameter ${name} is invalid. Expecting a value between ${bounds.min ?? '-∞'} and ${bounds.max ?? '∞'}.`,
    );
  }
  return n;
};

/** `Name.1`, `Name.2`, ... as a string list. */
export const strings = (p: QueryParams, prefix: string): string[] => listParam(p, prefix);

/** `Prefix.N.Member` groups, one map per N with the `Prefix.N.` part stripped. */
export const members = (p: QueryParams, prefix: string): Map<string, string>[] => structListParam(p, prefix);

/** The parameters under `Prefix.` with that part stripped: `LaunchTemplateData.ImageId` -> `ImageId`. */
export const sub = (p: QueryParams, prefix: string): Map<string, string> => {
  const head = `${prefix}.`;
  const out = new Map<string, string>();
  for (const [k, v] of p) if (k.startsWith(head)) out.set(k.slice(head.length), v);
  return out;
};

export const hasAny = (p: QueryParams, prefix: string): boolean => {
  const head = `${prefix}.`;
  for (const k of p.keys()) if (k === prefix || k.startsWith(head)) return true;
  return false;
};

export type TagPairs = [key: string, value: string][];

export const TAG_LIMIT = 50;

/** `Tag.N.Key` / `Tag.N.Value` pairs, validated as CreateTags validates them. */
export const tagPairs = (p: QueryParams, prefix = 'Tag'): TagPairs =>
  members(p, prefix).map((m) => {
    const key = m.get('Key');
    if (key === undefined || key === '') throw invalidValue('Tag keys must not be empty');
    if (key.length > 128) throw invalidValue(`Tag key exceeds the maximum length of 128 characters: ${key}`);
    // `aws:` keys belong to AWS (the launch template tags it adds to instances); callers may not write them.
    if (key.toLowerCase().startsWith('aws:'))
      throw invalidValue(`Tag keys starting with 'aws:' are reserved for internal use: ${key}`);
    const value = m.get('Value') ?? '';
    if (value.length > 256)
      throw invalidValue(`Tag value exceeds the maximum length of 256 characters: ${key}`);
    return [key, value];
  });

export interface TagSpecification {
  resourceType: string;
  tags: TagPairs;
}

/** `TagSpecification.N.ResourceType` + `.Tag.M.Key/Value`; each operation names the resource types it tags. */
export const tagSpecifications = (
  p: QueryParams,
  allowed: readonly string[],
  prefix = 'TagSpecification',
): TagSpecification[] =>
  members(p, prefix).map((m) => {
    const resourceType = m.get('ResourceType');
    if (!resourceType) throw ec2Error('MissingParameter', 'A tag specification must name its ResourceType');
    if (!allowed.includes(resourceType)) {
      throw invalidValue(
        `'${resourceType}' is not a valid taggable resource type for this operation. Valid types: ${allowed.join(', ')}`,
      );
    }
    return { resourceType, tags: tagPairs(m, 'Tag') };
  });

/** Tags a specification list gives one resource type, later specifications overriding earlier keys. */
export const tagsFor = (specs: readonly TagSpecification[], resourceType: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const s of specs) if (s.resourceType === resourceType) for (const [k, v] of s.tags) out.set(k, v);
  return out;
};

/** `BlockDeviceMapping.N.DeviceName`, `.NoDevice`, `.Ebs.*`, the shape RunInstances, CreateImage and launch templates share. */
export const blockDeviceMappings = (p: QueryParams, prefix = 'BlockDeviceMapping'): BlockDeviceSpec[] =>
  members(p, prefix).map((m) => {
    const deviceName = required(m, 'DeviceName');
    const ebs = sub(m, 'Ebs');
    const spec: BlockDeviceSpec = { deviceName };
    if (m.has('NoDevice')) spec.noDevice = true;
    const virtualName = m.get('VirtualName');
    if (virtualName) spec.virtualName = virtualName;
    if (ebs.size > 0) {
      spec.ebs = {
        snapshotId: ebs.get('SnapshotId'),
        volumeSize: int(ebs, 'VolumeSize', { min: 1, max: 65536 }),
        volumeType: ebs.get('VolumeType'),
        encrypted: bool(ebs, 'Encrypted'),
        kmsKeyId: ebs.get('KmsKeyId'),
        deleteOnTermination: bool(ebs, 'DeleteOnTermination'),
        iops: int(ebs, 'Iops'),
        throughput: int(ebs, 'Throughput'),
      };
    }
    return spec;
  });

export interface NetworkInterfaceSpec {
  deviceIndex?: number;
  associatePublicIpAddress?: boolean;
  subnetId?: string;
  groups: string[];
  deleteOnTermination?: boolean;
  description?: string;
  networkInterfaceId?: string;
  privateIpAddress?: string;
}

/** `NetworkInterface.N.*`; security groups are `SecurityGroupId.M` inside each member. */
export const networkInterfaces = (p: QueryParams, prefix = 'NetworkInterface'): NetworkInterfaceSpec[] =>
  members(p, prefix).map((m) => ({
    deviceIndex: int(m, 'DeviceIndex', { min: 0 }),
    associatePublicIpAddress: bool(m, 'AssociatePublicIpAddress'),
    subnetId: m.get('SubnetId'),
    groups: strings(m, 'SecurityGroupId'),
    deleteOnTermination: bool(m, 'DeleteOnTermination'),
    description: m.get('Description'),
    networkInterfaceId: m.get('NetworkInterfaceId'),
    privateIpAddress: m.get('PrivateIpAddress'),
  }));

/** Fails with `DryRunOperation` as EC2 does once a request with `DryRun=true` would have succeeded. */
export const checkDryRun = (p: QueryParams): void => {
  if (bool(p, 'DryRun') === true) {
    throw ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  }
};

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Pages `items` (already in their stable order, keyed by a number that only grows: the creation sequence)
 * after `NextToken`. The token names the last key returned rather than an offset, so resources created or
 * removed between pages never make a later page repeat or skip an older one.
 */
export const paginate = <T>(
  p: QueryParams,
  op: string,
  items: readonly T[],
  key: (item: T) => number,
  bounds: { min: number; max: number },
  opts: { exclusiveWith?: string } = {},
): Page<T> => {
  const max = int(p, 'MaxResults');
  if (max !== undefined && (max < bounds.min || max > bounds.max)) {
    throw invalidValue(
      `Value (${max}) for parameter maxResults is invalid. Expecting a value greater than ${bounds.min - 1} and less than ${bounds.max + 1}.`,
    );
  }
  if (max !== undefined && opts.exclusiveWith && hasAny(p, opts.exclusiveWith)) {
    throw ec2Error(
      'InvalidParameterCombination',
      `The parameter ${opts.exclusiveWith}s cannot be used with the parameter maxResults`,
    );
  }
  const token = p.get('NextToken');
  let start = 0;
  if (token !== undefined && token !== '') {
    const after = decodeToken(token, op);
    start = items.findIndex((i) => key(i) > after);
    if (start < 0) start = items.length;
  }
  if (max === undefined) return { items: items.slice(start) };
  const page = items.slice(start, start + max);
  const more = start + max < items.length;
  return more
    ? { items: page, nextToken: encodePageToken({ l: op, after: key(page[page.length - 1]!) }) }
    : { items: page };
};

const decodeToken = (token: string, op: string): number => {
  const after = decodePageToken(token, op, 'number');
  if (after === undefined) {
    throw ec2Error('InvalidPaginationToken', `The pagination token '${token}' is invalid or has expired.`);
  }
  return after;
};
