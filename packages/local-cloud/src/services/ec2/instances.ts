import type { Handler, OpContext } from './context';
import { applyFilters, type FilterSchema, parseFilters } from './filters';
import { findOwnedInstances, scheduleTransition } from './instance-lifecycle';
import { reservationXml, STATE_CODES, stateChangeXml } from './instance-xml';
import type { Ec2Instance } from './model';
import { checkDryRun, ec2Error, paginate, strings } from './params';
import { runInstances } from './run-instances';

const INSTANCE_FILTERS: FilterSchema<Ec2Instance> = {
  fields: {
    architecture: (i) => i.architecture,
    'availability-zone': (i) => `${i.region}a`,
    'iam-instance-profile.arn': (i) => i.iamInstanceProfile,
    'image-id': (i) => i.imageId,
    'instance-id': (i) => i.instanceId,
    'instance-state-code': (i) => STATE_CODES[i.state],
    'instance-state-name': (i) => i.state,
    'instance-type': (i) => i.instanceType,
    'ip-address': (i) => i.publicIpAddress,
    'key-name': (i) => i.keyName,
    'launch-time': (i) => new Date(i.launchedAt).toISOString(),
    'metadata-options.http-tokens': (i) => i.metadataOptions.httpTokens,
    'owner-id': (i) => i.accountId,
    'private-ip-address': (i) => i.privateIpAddress,
    'reservation-id': (i) => i.reservationId,
    'root-device-name': (i) => i.rootDeviceName,
    'root-device-type': () => 'ebs',
    'subnet-id': (i) => i.subnetId,
    'vpc-id': (i) => i.vpcId,
    'virtualization-type': () => 'hvm',
    hypervisor: () => 'xen',
  },
  tags: (i) => i.tags,
};

const describeInstances: Handler = (op) => {
  const { params, store, accountId } = op;
  const ids = strings(params, 'InstanceId');
  const filters = parseFilters(params, INSTANCE_FILTERS);
  const chosen =
    ids.length > 0
      ? findOwnedInstances(op, ids)
      : [...store.instances.values()].filter((i) => i.accountId === accountId);
  const found = applyFilters(chosen, filters, INSTANCE_FILTERS).sort((a, b) => a.seq - b.seq);
  const page = paginate(
    params,
    'DescribeInstances',
    found,
    (i) => i.seq,
    { min: 5, max: 1000 },
    {
      exclusiveWith: 'InstanceId',
    },
  );
  // Instances come back grouped by the reservation that launched them, in launch order.
  const reservations = new Map<string, Ec2Instance[]>();
  for (const i of page.items) {
    const group = reservations.get(i.reservationId) ?? [];
    group.push(i);
    reservations.set(i.reservationId, group);
  }
  return {
    reservationSet: [...reservations].map(([id, instances]) => reservationXml(id, accountId, instances)),
    nextToken: page.nextToken,
  };
};

/** EC2's StateTransitionReason for a user action, e.g. `User initiated (2026-03-01 00:00:30 GMT)`. */
const userReason = (op: OpContext) =>
  `User initiated (${op.cloud.clock.now().toISOString().replace('T', ' ').slice(0, 19)} GMT)`;

const incorrectState = (i: Ec2Instance, verb: string) =>
  ec2Error(
    'IncorrectInstanceState',
    `This instance '${i.instanceId}' is not in a state from which it can be ${verb}.`,
  );

const stopInstances: Handler = (op) => {
  const instances = findOwnedInstances(op, requiredIds(op));
  for (const i of instances) {
    if (i.state === 'pending' || i.state === 'shutting-down' || i.state === 'terminated')
      throw incorrectState(i, 'stopped');
  }
  checkDryRun(op.params);
  return {
    instancesSet: instances.map((i) => {
      const previous = i.state;
      if (i.state === 'running') {
        i.state = 'stopping';
        i.stateTransitionReason = userReason(op);
        i.stateReason = {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        };
        scheduleTransition(op.cloud, op.options, op.store, i, 'stopping', 'stopped');
      }
      return stateChangeXml(i.instanceId, previous, i.state);
    }),
  };
};

const startInstances: Handler = (op) => {
  const instances = findOwnedInstances(op, requiredIds(op));
  for (const i of instances) {
    if (i.state === 'stopping' || i.state === 'shutting-down' || i.state === 'terminated')
      throw incorrectState(i, 'started');
  }
  checkDryRun(op.params);
  return {
    instancesSet: instances.map((i) => {
      const previous = i.state;
      if (i.state === 'stopped') {
        i.state = 'pending';
        i.stateTransitionReason = '';
        i.stateReason = undefined;
        scheduleTransition(op.cloud, op.options, op.store, i, 'pending', 'running');
      }
      return stateChangeXml(i.instanceId, previous, i.state);
    }),
  };
};

const terminateInstances: Handler = (op) => {
  const instances = findOwnedInstances(op, requiredIds(op));
  checkDryRun(op.params);
  return {
    instancesSet: instances.map((i) => {
      const previous = i.state;
      if (i.state !== 'terminated' && i.state !== 'shutting-down') {
        i.state = 'shutting-down';
        i.stateTransitionReason = userReason(op);
        i.stateReason = {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        };
        scheduleTransition(op.cloud, op.options, op.store, i, 'shutting-down', 'terminated');
      }
      return stateChangeXml(i.instanceId, previous, i.state);
    }),
  };
};

const requiredIds = (op: OpContext): string[] => {
  const ids = strings(op.params, 'InstanceId');
  if (ids.length === 0)
    throw ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  return ids;
};

export const instanceOperations: Record<string, Handler> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  StopInstances: stopInstances,
  StartInstances: startInstances,
  TerminateInstances: terminateInstances,
};
