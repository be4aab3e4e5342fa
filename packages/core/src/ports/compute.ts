import * as z from 'zod';
import { PermanentError } from '../errors';

/** EC2's instance states, as the lifecycle services see them. */
export const INSTANCE_STATES = [
  'pending',
  'running',
  'stopping',
  'stopped',
  'shutting-down',
  'terminated',
] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/**
 * What a builder or test instance is launched with. Parsed by the adapter, so a bad request fails
 * before EC2 is called. IMDSv2, no key pair and no public IP are not options: the adapter always
 * enforces them.
 */
export const launchInstanceRequestSchema = z.strictObject({
  imageId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'Expected an AMI id'),
  instanceType: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'Expected an instance type'),
  /** An instance profile name or ARN; the SSM agent needs it to be managed. */
  instanceProfile: z.string().min(1),
  subnetId: z
    .string()
    .regex(/^subnet-[0-9a-f]+$/, 'Expected a subnet id')
    .optional(),
  securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/, 'Expected a security group id')).optional(),
  tags: z.record(z.string(), z.string()),
  rootVolume: z.strictObject({
    sizeGiB: z.number().int().min(1).max(16384),
    encrypted: z.boolean(),
    /** The account's default EBS key when absent. */
    kmsKeyId: z.string().min(1).optional(),
  }),
  /** Makes a retried launch (Step Functions retry, redelivered event) answer the same instance. */
  clientToken: z.string().min(1).max(64).optional(),
});
export type LaunchInstanceRequest = z.infer<typeof launchInstanceRequestSchema>;

export interface InstanceDescription {
  instanceId: string;
  state: InstanceState;
  imageId: string;
  /** ISO-8601. */
  launchedAt: string;
  tags: Record<string, string>;
}

/**
 * A stop or terminate was asked for an instance that is not tagged `ami-lifecycle:managed=true`.
 * Never retryable: the instance is not ours.
 */
export class UnmanagedInstanceError extends PermanentError {
  constructor(
    readonly instanceId: string,
    readonly action: string,
  ) {
    super(`refusing to ${action} ${instanceId}: it is not tagged ami-lifecycle:managed=true`);
  }
}

/**
 * Builder and test instances. Missing instances are `undefined` where a lookup is asked for. Stop and
 * terminate read the instance's tags right before acting and throw `UnmanagedInstanceError` unless it
 * is managed, as `ImagePort` does for images: callers are never trusted on that.
 */
export interface ComputePort {
  launchInstance(request: LaunchInstanceRequest): Promise<{ instanceId: string }>;
  describeInstance(instanceId: string): Promise<InstanceDescription | undefined>;
  stopInstance(instanceId: string): Promise<void>;
  /** Idempotent: an instance already terminated, or gone, is not an error. */
  terminateInstance(instanceId: string): Promise<void>;
  /** Instances carrying the tag, terminated ones left out: what the reconciler looks for. */
  findInstancesByTag(key: string, value: string): Promise<InstanceDescription[]>;
}
