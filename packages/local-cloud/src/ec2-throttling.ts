/**
 * EC2's request throttling as AWS publishes it, per API action: the category of each action, its token
 * bucket's size and refill rate, and the separate resource buckets of the instance actions.
 *
 * Source: "Request throttling for the Amazon EC2 API", Amazon EC2 Developer Guide,
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html (sections "Request token
 * bucket sizes and refill rates" and "Resource token bucket sizes and refill rates"). Buckets are per
 * account, per Region and per API action ("each API is evaluated individually").
 *
 * Not modelled: the "console non-mutating actions" category (the local cloud cannot tell a console
 * request from any other) and uncategorized actions the emulator does not implement.
 */

export type Ec2ThrottleCategory =
  | 'non-mutating'
  | 'unfiltered-unpaginated-non-mutating'
  | 'mutating'
  | 'resource-intensive'
  | 'uncategorized';

export interface BucketSpec {
  /** Bucket maximum capacity, in tokens. */
  capacity: number;
  /** Tokens added back per second. */
  refillPerSecond: number;
}

export const CATEGORY_BUCKETS: Readonly<Record<Exclude<Ec2ThrottleCategory, 'uncategorized'>, BucketSpec>> = {
  'non-mutating': { capacity: 100, refillPerSecond: 20 },
  'unfiltered-unpaginated-non-mutating': { capacity: 50, refillPerSecond: 10 },
  mutating: { capacity: 50, refillPerSecond: 5 },
  'resource-intensive': { capacity: 50, refillPerSecond: 5 },
};

/** Non-mutating actions that use the smaller bucket when called with neither a filter nor pagination. */
const UNFILTERED_SMALL_BUCKET = new Set([
  'DescribeInstances',
  'DescribeInstanceStatus',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroups',
  'DescribeSnapshots',
  'DescribeSpotInstanceRequests',
  'DescribeVolumes',
]);

const RESOURCE_INTENSIVE = new Set([
  'AcceptVpcPeeringConnection',
  'AuthorizeSecurityGroupIngress',
  'CancelSpotInstanceRequests',
  'CreateKeyPair',
  'CreateVpcPeeringConnection',
  'DeleteVpcPeeringConnection',
  'RejectVpcPeeringConnection',
  'RevokeSecurityGroupIngress',
  'RequestSpotInstances',
]);

/**
 * The uncategorized actions with their own buckets, limited to those around instances, images,
 * snapshots, volumes, tags and launch templates (what an AMI lifecycle calls); the page lists more.
 */
export const UNCATEGORIZED_BUCKETS: Readonly<Record<string, BucketSpec>> = {
  AssociateIamInstanceProfile: { capacity: 100, refillPerSecond: 5 },
  CopyImage: { capacity: 100, refillPerSecond: 1 },
  CreateLaunchTemplateVersion: { capacity: 100, refillPerSecond: 5 },
  CreateRestoreImageTask: { capacity: 50, refillPerSecond: 0.1 },
  CreateSnapshot: { capacity: 100, refillPerSecond: 5 },
  CreateSnapshots: { capacity: 100, refillPerSecond: 5 },
  CreateStoreImageTask: { capacity: 50, refillPerSecond: 0.1 },
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  CreateVolume: { capacity: 100, refillPerSecond: 5 },
  DeleteSnapshot: { capacity: 100, refillPerSecond: 5 },
  DeleteTags: { capacity: 100, refillPerSecond: 10 },
  DeleteVolume: { capacity: 100, refillPerSecond: 5 },
  DeregisterImage: { capacity: 100, refillPerSecond: 5 },
  DescribeInstanceTopology: { capacity: 1, refillPerSecond: 1 },
  DescribeStoreImageTasks: { capacity: 50, refillPerSecond: 0.5 },
  DisableFastLaunch: { capacity: 5, refillPerSecond: 2 },
  DisableImageBlockPublicAccess: { capacity: 1, refillPerSecond: 0.1 },
  DisableSnapshotBlockPublicAccess: { capacity: 1, refillPerSecond: 0.1 },
  DisassociateIamInstanceProfile: { capacity: 100, refillPerSecond: 5 },
  EnableFastLaunch: { capacity: 5, refillPerSecond: 2 },
  EnableImageBlockPublicAccess: { capacity: 1, refillPerSecond: 0.1 },
  EnableSnapshotBlockPublicAccess: { capacity: 1, refillPerSecond: 0.1 },
  ModifyImageAttribute: { capacity: 100, refillPerSecond: 5 },
  ModifyInstanceMetadataDefaults: { capacity: 2, refillPerSecond: 2 },
  ModifyInstanceMetadataOptions: { capacity: 100, refillPerSecond: 5 },
  ModifyLaunchTemplate: { capacity: 100, refillPerSecond: 5 },
  ModifySnapshotAttribute: { capacity: 100, refillPerSecond: 5 },
  RunInstances: { capacity: 5, refillPerSecond: 2 },
  StartInstances: { capacity: 5, refillPerSecond: 2 },
  TerminateInstances: { capacity: 100, refillPerSecond: 5 },
};

/**
 * Resource buckets: besides the request bucket, these actions spend one token per instance they act on
 * (RunInstances: per instance launched, i.e. `MaxCount`).
 */
export const RESOURCE_BUCKETS: Readonly<
  Record<string, BucketSpec & { countParam: 'MaxCount' | 'InstanceId' }>
> = {
  RunInstances: { capacity: 1000, refillPerSecond: 2, countParam: 'MaxCount' },
  TerminateInstances: { capacity: 1000, refillPerSecond: 20, countParam: 'InstanceId' },
  StartInstances: { capacity: 1000, refillPerSecond: 2, countParam: 'InstanceId' },
  StopInstances: { capacity: 1000, refillPerSecond: 20, countParam: 'InstanceId' },
};

const NON_MUTATING = /^(Describe|List|Search|Get)/;

/** Whether a Query request narrows its answer: any `Filter.N.*`, `MaxResults` or `NextToken`. */
const isFilteredOrPaginated = (params: ReadonlyMap<string, string>): boolean => {
  for (const key of params.keys()) {
    if (key === 'MaxResults' || key === 'NextToken' || key.startsWith('Filter.')) return true;
  }
  return false;
};

/** The category and request bucket of one EC2 request. */
export const ec2RequestBucket = (
  action: string,
  params: ReadonlyMap<string, string>,
): { category: Ec2ThrottleCategory; spec: BucketSpec } => {
  const own = UNCATEGORIZED_BUCKETS[action];
  if (own) return { category: 'uncategorized', spec: own };
  if (RESOURCE_INTENSIVE.has(action)) {
    return { category: 'resource-intensive', spec: CATEGORY_BUCKETS['resource-intensive'] };
  }
  if (NON_MUTATING.test(action)) {
    const category =
      UNFILTERED_SMALL_BUCKET.has(action) && !isFilteredOrPaginated(params)
        ? 'unfiltered-unpaginated-non-mutating'
        : 'non-mutating';
    return { category, spec: CATEGORY_BUCKETS[category] };
  }
  return { category: 'mutating', spec: CATEGORY_BUCKETS.mutating };
};

/** How many resource tokens a request spends, or undefined when the action has no resource bucket. */
export const ec2ResourceCost = (
  action: string,
  params: ReadonlyMap<string, string>,
): { spec: BucketSpec; tokens: number } | undefined => {
  const spec = RESOURCE_BUCKETS[action];
  if (!spec) return undefined;
  if (spec.countParam === 'MaxCount') {
    const n = Number(params.get('MaxCount') ?? '1');
    return { spec, tokens: Number.isInteger(n) && n > 0 ? n : 1 };
  }
  let n = 0;
  for (const key of params.keys()) if (/^InstanceId\.\d+$/.test(key)) n += 1;
  return { spec, tokens: Math.max(1, n) };
};
