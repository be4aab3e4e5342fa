import {
  type AwsClients,
  assumeRoleClients,
  type ClientOptions,
  createClients,
  Ec2Inventory,
  Ec2SharedUsage,
  startNamedExecution,
} from '@ami-lifecycle/aws';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { RefusedError } from './errors';
import type { RetentionPorts } from './retention-commands';

/** The decommission state machine of a stage, as serverless.yml names it. */
export const decommissionStateMachineName = (stage: string): string => `ami-lifecycle-${stage}-decommission`;

export interface AwsRetentionOptions {
  /** The home region: where the state machine runs and whose STS assumes the other accounts' roles. */
  home: string;
  /** What every client shares (the local cloud's endpoint and credentials); the region is set per client. */
  clientOptions?: ClientOptions;
  /**
   * The state machine `retention apply` starts: its ARN, or its name, completed with the home region and
   * the caller's account (STS GetCallerIdentity, asked once, when a sweep is first started). A `refused`
   * says why there is neither: a sweep start is refused with it (exit 1), naming what to set.
   */
  stateMachine: { arn: string } | { name: string } | { refused: string };
}

/**
 * `AmictlDeps.decommission` over AWS (or the local cloud): `Ec2Inventory` per region, `Ec2SharedUsage`
 * per account and region through the account's role (assumed with the home region's STS, refreshed
 * before the keys expire), and a starter of the decommission state machine whose execution is named after
 * the sweep, so that starting one sweep twice is one run. Clients are made when first needed.
 */
export const awsRetentionPorts = (options: AwsRetentionOptions): RetentionPorts => {
  const clients = new Map<string, AwsClients>();
  const clientsIn = (region: string): AwsClients => {
    let regional = clients.get(region);
    if (regional === undefined) {
      regional = createClients({ ...options.clientOptions, region });
      clients.set(region, regional);
    }
    return regional;
  };
  const inventories = new Map<string, Ec2Inventory>();
  const shared = new Map<string, Ec2SharedUsage>();
  let arn: Promise<string> | undefined;
  const stateMachineArn = async (): Promise<string> => {
    const { stateMachine } = options;
    if ('arn' in stateMachine) return stateMachine.arn;
    if ('refused' in stateMachine) throw new RefusedError(stateMachine.refused);
    const identity = await clientsIn(options.home).sts.send(new GetCallerIdentityCommand({}));
    const partition = identity.Arn?.split(':')[1] ?? 'aws';
    return `arn:${partition}:states:${options.home}:${identity.Account}:stateMachine:${stateMachine.name}`;
  };
  return {
    inventory: (region) => {
      let inventory = inventories.get(region);
      if (inventory === undefined) {
        inventory = new Ec2Inventory(clientsIn(region).ec2);
        inventories.set(region, inventory);
      }
      return inventory;
    },
    sharedUsage: (account, region) => {
      const key = `${account.id}|${region}|${account.roleArn}`;
      let usage = shared.get(key);
      if (usage === undefined) {
        const theirs = assumeRoleClients(account.roleArn, {
          ...options.clientOptions,
          region,
          sts: clientsIn(options.home).sts,
        });
        usage = new Ec2SharedUsage(theirs.ec2, account.id);
        shared.set(key, usage);
      }
      return usage;
    },
    sweeps: {
      start: async (input) => {
        // A failed look-up is not kept: the next start asks again.
        arn ??= stateMachineArn().catch((error: unknown) => {
          arn = undefined;
          throw error;
        });
        const outcome = await startNamedExecution(
          clientsIn(options.home).sfn,
          await arn,
          input.sweepId,
          input,
        );
        return { outcome, executionName: input.sweepId };
      },
    },
  };
};

/**
 * Where `main.ts` finds the state machine: `DECOMMISSION_STATE_MACHINE_ARN`, else the stage's machine,
 * the stage read from the catalog table's name (`ami-lifecycle-<stage>`, as serverless.yml names both).
 */
export const stateMachineFromEnv = (
  env: NodeJS.ProcessEnv,
  catalogTable: string,
): AwsRetentionOptions['stateMachine'] => {
  const arn = env.DECOMMISSION_STATE_MACHINE_ARN?.trim();
  if (arn) return { arn };
  const stage = /^ami-lifecycle-(.+)$/.exec(catalogTable)?.[1];
  if (stage !== undefined) return { name: decommissionStateMachineName(stage) };
  return {
    refused:
      `cannot tell the decommission state machine from CATALOG_TABLE=${catalogTable} (not ami-lifecycle-<stage>): ` +
      'set DECOMMISSION_STATE_MACHINE_ARN',
  };
};
