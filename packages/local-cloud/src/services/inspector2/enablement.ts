import { z } from 'zod';
import type { Caller } from './api';
import { parseRequest } from './filters';

/**
 * Which resource types Inspector2 scans, per account and region: Enable and BatchGetAccountStatus.
 *
 * The emulator's scanner covers every running EC2 instance in every account and region, whatever this
 * says (other tests and the lifecycle flows depend on that), so EC2 scanning is ENABLED from the start
 * here: the status reflects what the scanner does. AWS starts an account with everything DISABLED until
 * Enable is called. The other resource types start DISABLED; enabling them records the state only, as the
 * emulator scans no ECR images, Lambda functions or code repositories.
 */

export const RESOURCE_TYPES = ['EC2', 'ECR', 'LAMBDA', 'LAMBDA_CODE', 'CODE_REPOSITORY'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];
type Status = 'ENABLING' | 'ENABLED' | 'DISABLED';

/** The wire member each resource type is reported under (ResourceStatus, ResourceState). */
const MEMBER: Record<ResourceType, string> = {
  EC2: 'ec2',
  ECR: 'ecr',
  LAMBDA: 'lambda',
  LAMBDA_CODE: 'lambdaCode',
  CODE_REPOSITORY: 'codeRepository',
};

/** Scanned from the start: the scanner covers EC2 instances unconditionally (see above). */
const ENABLED_BY_DEFAULT: ReadonlySet<ResourceType> = new Set(['EC2']);

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit account ID');

const EnableRequestSchema = z.strictObject({
  accountIds: z.array(accountId).min(0).max(100).optional(),
  resourceTypes: z.array(z.enum(RESOURCE_TYPES)).min(0).max(RESOURCE_TYPES.length),
  clientToken: z.string().min(1).max(64).optional(),
});

const BatchGetAccountStatusRequestSchema = z.strictObject({
  accountIds: z.array(accountId).min(0).max(10).optional(),
});

const accessDenied = (id: string) => ({
  accountId: id,
  errorCode: 'ACCESS_DENIED',
  errorMessage: `Account ${id} is not the caller's account, and the local cloud models no Inspector delegated administrator or members.`,
});

export class Enablement {
  /** `account/region` -> resource types enabled there; absent until Enable changes it. */
  private readonly enabled = new Map<string, Set<ResourceType>>();

  private typesOf(accountId: string, region: string): Set<ResourceType> {
    const key = `${accountId}/${region}`;
    let types = this.enabled.get(key);
    if (!types) {
      types = new Set(ENABLED_BY_DEFAULT);
      this.enabled.set(key, types);
    }
    return types;
  }

  /** What Enable changed, per `account/region`, for a state file. */
  exportState(): Map<string, Set<ResourceType>> {
    return this.enabled;
  }

  /** Replaces every account's and region's settings with those of `exportState`. */
  importState(saved: Map<string, Set<ResourceType>>): void {
    for (const [key, types] of saved) {
      for (const t of types) {
        if (!RESOURCE_TYPES.includes(t)) throw new Error(`${key}: ${String(t)} is not a resource type`);
      }
    }
    this.enabled.clear();
    for (const [k, v] of saved) this.enabled.set(k, v);
  }

  /** Whether Inspector2 scans `type` in that account and region. */
  isEnabled(accountId: string, region: string, type: ResourceType): boolean {
    return this.typesOf(accountId, region).has(type);
  }

  /**
   * Enables scanning of `resourceTypes` for the caller's account (the only one it may name: there is no
   * delegated administrator). Types newly enabled answer ENABLING, as AWS's Enable does; the emulator
   * completes the change at once, so BatchGetAccountStatus already reports them ENABLED.
   */
  enable(caller: Caller, body: unknown) {
    const req = parseRequest(EnableRequestSchema, body);
    const ids = unique(req.accountIds?.length ? req.accountIds : [caller.accountId]);
    const types = this.typesOf(caller.accountId, caller.region);
    const accounts = [];
    const failedAccounts = [];
    for (const id of ids) {
      if (id !== caller.accountId) {
        failedAccounts.push(accessDenied(id));
        continue;
      }
      const wasEnabled = types.size > 0;
      const added = new Set(req.resourceTypes.filter((t) => !types.has(t)));
      for (const t of added) types.add(t);
      const status = (t: ResourceType): Status =>
        added.has(t) ? 'ENABLING' : types.has(t) ? 'ENABLED' : 'DISABLED';
      accounts.push({
        accountId: id,
        status: wasEnabled ? 'ENABLED' : 'ENABLING',
        resourceStatus: Object.fromEntries(RESOURCE_TYPES.map((t) => [MEMBER[t], status(t)])),
      });
    }
    return { accounts, failedAccounts };
  }

  /** The caller's account's state in the caller's region (the default when `accountIds` is absent). */
  batchGetAccountStatus(caller: Caller, body: unknown) {
    const req = parseRequest(BatchGetAccountStatusRequestSchema, body);
    const ids = unique(req.accountIds?.length ? req.accountIds : [caller.accountId]);
    const accounts = [];
    const failedAccounts = [];
    for (const id of ids) {
      if (id !== caller.accountId) {
        failedAccounts.push(accessDenied(id));
        continue;
      }
      const types = this.typesOf(id, caller.region);
      const state = (on: boolean) => ({ status: on ? 'ENABLED' : 'DISABLED' });
      accounts.push({
        accountId: id,
        state: state(types.size > 0),
        resourceState: Object.fromEntries(RESOURCE_TYPES.map((t) => [MEMBER[t], state(types.has(t))])),
      });
    }
    return { accounts, failedAccounts };
  }
}

const unique = (ids: readonly string[]): string[] => [...new Set(ids)];
