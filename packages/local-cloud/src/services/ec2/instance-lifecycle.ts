import type { CloudContext, InstanceDirectory, InstanceState } from '../../types';
import type { OpContext, ResolvedEc2Options } from './context';
import type { Ec2Instance, RegionStore } from './model';
import { ec2Error } from './params';
import type { Ec2State } from './state';

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** Read access for SSM and Inspector: an account sees its own instances only. */
export const instanceDirectory = (state: Ec2State): InstanceDirectory => ({
  find: (accountId, region, instanceId) => {
    const i = state.region(region).instances.get(instanceId);
    return i && i.accountId === accountId ? i : undefined;
  },
  list: (accountId, region) =>
    [...state.region(region).instances.values()].filter((i) => i.accountId === accountId),
});

export const checkInstanceId = (id: string): void => {
  if (!INSTANCE_ID.test(id))
    throw ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}" (expecting "i-...")`);
};

/** The caller's instances by id, all found or the request fails naming the missing ones, as EC2 does. */
export const findOwnedInstances = (op: OpContext, ids: readonly string[]): Ec2Instance[] => {
  ids.forEach(checkInstanceId);
  const missing = ids.filter((id) => op.store.instances.get(id)?.accountId !== op.accountId);
  if (missing.length > 0) {
    throw ec2Error(
      'InvalidInstanceID.NotFound',
      `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' ${missing.length > 1 ? 'do' : 'does'} not exist`,
    );
  }
  return ids.map((id) => op.store.instances.get(id)!);
};

/**
 * Moves an instance from `from` to `to` after one transition time, unless something else changed its
 * state meanwhile (a terminate during boot replaces the boot).
 */
export const scheduleTransition = (
  cloud: CloudContext,
  options: ResolvedEc2Options,
  store: RegionStore,
  inst: Ec2Instance,
  from: InstanceState,
  to: InstanceState,
): void => {
  inst.transition?.cancel();
  inst.plannedTransition = {
    from,
    to,
    at: cloud.clock.nowMillis() + options.instanceTransitionSeconds * 1000,
  };
  armTransition(cloud, options, store, inst);
};

/** Sets the clock task of `inst.plannedTransition` (a new one, or one restored from a state file). */
export const armTransition = (
  cloud: CloudContext,
  options: ResolvedEc2Options,
  store: RegionStore,
  inst: Ec2Instance,
): void => {
  const plan = inst.plannedTransition;
  if (!plan) return;
  inst.transition = cloud.clock.at(plan.at, () => {
    if (inst.plannedTransition === plan) inst.plannedTransition = undefined;
    if (inst.state !== plan.from) return;
    inst.state = plan.to;
    inst.transition = undefined;
    if (plan.to === 'terminated') {
      // EC2 keeps terminated instances visible for a while, then forgets them.
      inst.forgetAt = cloud.clock.nowMillis() + options.terminatedInstanceRetentionSeconds * 1000;
      armForget(cloud, store, inst);
    }
  });
};

/** Forgets a terminated instance at its `forgetAt`. */
export const armForget = (cloud: CloudContext, store: RegionStore, inst: Ec2Instance): void => {
  if (inst.forgetAt === undefined) return;
  cloud.clock.at(inst.forgetAt, () => {
    if (inst.state === 'terminated') store.instances.delete(inst.instanceId);
  });
};
