import { createHash, randomBytes } from 'node:crypto';
import { AwsError } from './errors';

export interface AccountSpec {
  id: string;
  name: string;
  /** The OU the account sits in, when it belongs to the organisation. */
  organizationalUnitId?: string;
}

export interface OrganizationSpec {
  id: string;
  managementAccountId: string;
}

export interface Principal {
  accountId: string;
  arn: string;
  userId: string;
  /** Set for temporary credentials from AssumeRole. */
  expiresAt?: number;
  sessionToken?: string;
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The accounts a cloud models unless told otherwise: a tooling account (the default, where the
 * controller runs and builds), a workloads account in the same organisation (images are shared to it,
 * roles are assumed into it) and an outsider that belongs to no organisation (sharing to it is refused).
 */
export const DEFAULT_ACCOUNTS: readonly AccountSpec[] = [
  { id: '111111111111', name: 'tooling', organizationalUnitId: 'ou-root-tooling1' },
  { id: '222222222222', name: 'workloads', organizationalUnitId: 'ou-root-workload' },
  { id: '333333333333', name: 'outsider' },
];
export const DEFAULT_ORGANIZATION: OrganizationSpec = {
  id: 'o-testorg123',
  managementAccountId: '111111111111',
};

/**
 * The accounts the cloud models and the credentials that act in them. Every access key the cloud has
 * not issued belongs to the default account, so `AWS_ACCESS_KEY_ID=test` works as with any local stack;
 * keys issued by AssumeRole act in the role's account until they expire on the simulated clock.
 */
export class Accounts {
  readonly defaultAccountId: string;
  private readonly accounts = new Map<string, AccountSpec>();
  private readonly keys = new Map<string, Principal & { secretAccessKey: string }>();

  constructor(
    specs: readonly AccountSpec[],
    readonly organization?: OrganizationSpec,
  ) {
    if (specs.length === 0) throw new RangeError('the local cloud needs at least one account');
    for (const s of specs) {
      if (!ACCOUNT_ID.test(s.id)) throw new RangeError(`account id "${s.id}" is not 12 digits`);
      if (this.accounts.has(s.id)) throw new RangeError(`account ${s.id} is listed twice`);
      this.accounts.set(s.id, s);
    }
    this.defaultAccountId = specs[0]!.id;
  }

  list(): AccountSpec[] {
    return [...this.accounts.values()];
  }

  get(accountId: string): AccountSpec | undefined {
    return this.accounts.get(accountId);
  }

  /** True when the account belongs to the modelled organisation (and, if given, sits in that OU). */
  inOrganization(accountId: string, organizationalUnitId?: string): boolean {
    const spec = this.accounts.get(accountId);
    if (!spec || !this.organization) return false;
    if (organizationalUnitId === undefined)
      return spec.organizationalUnitId !== undefined || accountId === this.organization.managementAccountId;
    return spec.organizationalUnitId === organizationalUnitId;
  }

  /** The principal behind an access key at `nowMs`; expired temporary keys are refused as AWS does. */
  resolve(accessKeyId: string | undefined, nowMs: number): Principal {
    const issued = accessKeyId ? this.keys.get(accessKeyId) : undefined;
    if (issued) {
      if (issued.expiresAt !== undefined && issued.expiresAt <= nowMs) {
        throw new AwsError('ExpiredToken', 'The security token included in the request is expired', 400);
      }
      return issued;
    }
    return {
      accountId: this.defaultAccountId,
      arn: `arn:aws:iam::${this.defaultAccountId}:root`,
      userId: this.defaultAccountId,
    };
  }

  /** Issues temporary credentials acting as `roleArn`'s account; the account must be modelled. */
  issueRoleCredentials(roleArn: string, sessionName: string, nowMs: number, durationSeconds: number) {
    const m = /^arn:aws:iam::(\d{12}):role\/([\w+=,.@\-/]+)$/.exec(roleArn);
    if (!m) throw new AwsError('ValidationError', `${roleArn} is not a valid role ARN`);
    const accountId = m[1]!;
    const roleName = m[2]!.split('/').pop()!;
    if (!this.accounts.has(accountId)) {
      throw new AwsError('AccessDenied', `Account ${accountId} is not modelled by the local cloud`, 403);
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString('base64');
    const sessionToken = randomBytes(32).toString('base64');
    // Stable per role and distinct between roles, shaped like IAM's 21-character role ids.
    const roleId = `AROA${createHash('sha256').update(roleArn).digest('hex').slice(0, 17).toUpperCase()}`;
    const principal = {
      accountId,
      arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleId}:${sessionName}`,
      expiresAt: nowMs + durationSeconds * 1000,
      sessionToken,
      secretAccessKey,
    };
    this.keys.set(accessKeyId, principal);
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiresAt: principal.expiresAt,
      arn: principal.arn,
      assumedRoleId: principal.userId,
    };
  }
}
