import {
  type Clock,
  type ComputePort,
  type InstanceDescription,
  type InstanceState,
  isManaged,
  type LaunchInstanceRequest,
  launchInstanceRequestSchema,
  UnmanagedInstanceError,
  ValidationError,
} from '@ami-lifecycle/core';
import { ResourceNotFoundError } from '../errors';
import { idSequence, isoSeconds } from './ids';
import { SimulatedAwsError } from './simulated-aws-error';

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** What the fake records of a launch: the request as parsed, plus what the adapter enforces. */
export interface MemoryInstance {
  instanceId: string;
  state: InstanceState;
  imageId: string;
  launchedAt: Date;
  tags: Record<string, string>;
  request: LaunchInstanceRequest;
  /** Always `required`: the real adapter sends `HttpTokens: required` on every launch. */
  httpTokens: 'required';
  /** Always undefined: no key pair is ever sent. */
  keyName: undefined;
  /** Always undefined: the network interface is launched with `AssociatePublicIpAddress: false`. */
  publicIpAddress: undefined;
}

interface InstanceRecord extends MemoryInstance {
  transition?: { to: InstanceState; atMs: number } | undefined;
  forgetAtMs?: number | undefined;
}

export interface MemoryComputeOptions {
  clock: Clock;
  /** Seconds each transition takes (pending -> running, stopping -> stopped, ...): the local cloud's 30. */
  transitionSeconds?: number;
  /** How long a terminated instance stays visible before it is gone: the local cloud's 3600. */
  terminatedRetentionSeconds?: number;
  /** Whether an AMI can be launched; every id is accepted when absent. `MemoryImages` wires this in. */
  imageExists?: (imageId: string) => boolean;
}

/**
 * `ComputePort` in memory, with `Ec2Compute`'s semantics on an injected clock: transitions take
 * `transitionSeconds`, terminate is idempotent, terminated instances drop out of tag searches and later
 * out of existence. Every launch is recorded with IMDSv2 required, no key pair and no public IP. Stop
 * and terminate re-read the instance's tags from the fake's own state and throw `UnmanagedInstanceError`
 * unless it is tagged `ami-lifecycle:managed=true`.
 */
export class MemoryCompute implements ComputePort {
  private readonly clock: Clock;
  private readonly transitionMs: number;
  private readonly retentionMs: number;
  private readonly instancesById = new Map<string, InstanceRecord>();
  private readonly byClientToken = new Map<string, string>();
  private readonly nextId = idSequence('i');
  imageExists: (imageId: string) => boolean;

  constructor(options: MemoryComputeOptions) {
    this.clock = options.clock;
    this.transitionMs = (options.transitionSeconds ?? 30) * 1000;
    this.retentionMs = (options.terminatedRetentionSeconds ?? 3600) * 1000;
    this.imageExists = options.imageExists ?? (() => true);
  }

  async launchInstance(request: LaunchInstanceRequest): Promise<{ instanceId: string }> {
    const parsed = launchInstanceRequestSchema.safeParse(request);
    if (!parsed.success)
      throw new ValidationError(
        'launch request',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    const r = parsed.data;
    this.settle();
    const retried = r.clientToken === undefined ? undefined : this.byClientToken.get(r.clientToken);
    if (retried !== undefined) return { instanceId: retried };
    if (!this.imageExists(r.imageId)) throw new ResourceNotFoundError('image', r.imageId);
    const instanceId = this.nextId();
    const now = this.clock.now();
    this.instancesById.set(instanceId, {
      instanceId,
      state: 'pending',
      imageId: r.imageId,
      launchedAt: now,
      tags: { ...r.tags },
      request: structuredClone(r),
      httpTokens: 'required',
      keyName: undefined,
      publicIpAddress: undefined,
      transition: { to: 'running', atMs: now.getTime() + this.transitionMs },
    });
    if (r.clientToken !== undefined) this.byClientToken.set(r.clientToken, instanceId);
    return { instanceId };
  }

  async describeInstance(instanceId: string): Promise<InstanceDescription | undefined> {
    const i = this.find(instanceId);
    return i ? describe(i) : undefined;
  }

  async stopInstance(instanceId: string): Promise<void> {
    const i = this.find(instanceId);
    if (!i) throw new ResourceNotFoundError('instance', instanceId);
    if (!isManaged(i.tags)) throw new UnmanagedInstanceError(instanceId, 'stop');
    if (i.state === 'stopping' || i.state === 'stopped') return;
    if (i.state !== 'running' && i.state !== 'pending')
      throw new SimulatedAwsError(
        'IncorrectInstanceState',
        `The instance '${instanceId}' is not in a state from which it can be stopped.`,
      );
    this.begin(i, 'stopping', 'stopped');
  }

  async terminateInstance(instanceId: string): Promise<void> {
    const i = this.find(instanceId);
    // Gone is as good as terminated, as for the real adapter.
    if (!i || i.state === 'shutting-down' || i.state === 'terminated') return;
    if (!isManaged(i.tags)) throw new UnmanagedInstanceError(instanceId, 'terminate');
    this.begin(i, 'shutting-down', 'terminated');
  }

  async findInstancesByTag(key: string, value: string): Promise<InstanceDescription[]> {
    this.settle();
    return [...this.instancesById.values()]
      .filter((i) => i.tags[key] === value && i.state !== 'terminated')
      .map(describe);
  }

  // --- test controls -------------------------------------------------------------------------------

  /** The launch as recorded (request, IMDSv2, key pair, public IP), or undefined once gone. */
  instance(instanceId: string): MemoryInstance | undefined {
    const i = this.find(instanceId);
    if (!i) return undefined;
    const { transition: _t, forgetAtMs: _f, ...rest } = i;
    return structuredClone(rest);
  }

  /** Every instance still known, terminated ones included, in launch order. */
  instances(): MemoryInstance[] {
    this.settle();
    return [...this.instancesById.keys()].map((id) => this.instance(id)!);
  }

  /** Puts an instance in a state at once, cancelling a transition under way (a crash, a spot reclaim). */
  setState(instanceId: string, state: InstanceState): void {
    const i = this.find(instanceId);
    if (!i) throw new ResourceNotFoundError('instance', instanceId);
    i.state = state;
    i.transition = undefined;
    i.forgetAtMs = state === 'terminated' ? this.clock.now().getTime() + this.retentionMs : undefined;
  }

  private begin(i: InstanceRecord, now: InstanceState, then: InstanceState): void {
    i.state = now;
    i.transition = { to: then, atMs: this.clock.now().getTime() + this.transitionMs };
  }

  private find(instanceId: string): InstanceRecord | undefined {
    if (!INSTANCE_ID.test(instanceId)) return undefined;
    this.settle();
    return this.instancesById.get(instanceId);
  }

  /** Applies every transition that the clock has reached; state is computed lazily on each call. */
  private settle(): void {
    const nowMs = this.clock.now().getTime();
    for (const i of this.instancesById.values()) {
      if (i.transition && i.transition.atMs <= nowMs) {
        i.state = i.transition.to;
        if (i.state === 'terminated') i.forgetAtMs = i.transition.atMs + this.retentionMs;
        i.transition = undefined;
      }
      if (i.forgetAtMs !== undefined && i.forgetAtMs <= nowMs) this.instancesById.delete(i.instanceId);
    }
  }
}

const describe = (i: InstanceRecord): InstanceDescription => ({
  instanceId: i.instanceId,
  state: i.state,
  imageId: i.imageId,
  launchedAt: isoSeconds(i.launchedAt),
  tags: { ...i.tags },
});
