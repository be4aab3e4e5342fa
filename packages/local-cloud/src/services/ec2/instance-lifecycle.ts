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
  inst.transition = cloud.clock.after(options.instanceTransitionSeconds * 1000, () => {
    if (inst.state !== from) return;
    inst.state = to;
    inst.transition = undefined;
    if (to === 'terminated') {
      // EC2 keeps terminated instances visible for a while, then forgets them.
      cloud.clock.after(options.terminatedInstanceRetentionSeconds * 1000, () => {
        if (inst.state === 'terminated') store.instances.delete(inst.instanceId);
      });
    }
  });
};
