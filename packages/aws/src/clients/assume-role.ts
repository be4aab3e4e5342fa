import type { Clock } from '@ami-lifecycle/core';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { AssumeRoleFailedError, callAws } from '../errors';
import { sharedStsClient } from './sts';

/** Refresh this long before the assumed role's keys expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface AssumeRoleOptions {
  /** The client that calls `sts:AssumeRole`; the process-wide one by default. */
  sts?: STSClient;
  sessionName?: string;
  durationSeconds?: number;
  /** What the keys' expiry is compared with: the clock STS stamped it by (the host's, where simulated). */
  clock?: Clock;
}

export interface AssumedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/**
 * The credentials of `roleArn` through `sts:AssumeRole`, as a provider any SDK client takes: keys are
 * fetched on first use and refreshed before they expire. Give it to one client factory (`ec2Client({
 * credentials })`) to act in another account without building a client of every service.
 */
export const assumeRoleCredentials = (
  roleArn: string,
  options: AssumeRoleOptions = {},
): (() => Promise<AssumedCredentials>) => {
  const sts = options.sts ?? sharedStsClient();
  const now = () => (options.clock ? options.clock.now().getTime() : Date.now());
  let cached: AssumedCredentials | undefined;
  return async () => {
    if (cached && cached.expiration.getTime() - REFRESH_MARGIN_MS > now()) return cached;
    const out = await callAws('sts', 'AssumeRole', () =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: options.sessionName ?? 'ami-lifecycle',
          DurationSeconds: options.durationSeconds ?? 3600,
        }),
      ),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
      throw new AssumeRoleFailedError(roleArn, 'the answer carried no credentials');
    cached = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
    return cached;
  };
};
