import { assumeRoleCredentials, Ec2SharedUsage, ec2Client, pace, stsClient } from '@ami-lifecycle/aws';
import { lambdaClock, lazy, perKey } from '@ami-lifecycle/lambda-kit';
import type { DecommissionDeps } from '../use-cases/deps';
import { env } from './env';
import { pacerFor } from './pacers';

/** STS in the home region: the client that assumes the other accounts' roles. */
const sts = lazy(() => stsClient({ region: env.AWS_REGION }));

// Another account's EC2 in one region through its role, the keys refreshed before they expire (by the
// Lambda clock: STS stamps their expiry by the host's, where simulated); it waits for that account's tokens.
const sharedIn = perKey((key) => {
  const [accountId, region, roleArn] = key.split('|') as [string, string, string];
  const ec2 = ec2Client({
    region,
    credentials: assumeRoleCredentials(roleArn, { sts: sts(), clock: lambdaClock }),
  });
  pace(ec2, pacerFor(`${accountId}|${region}`));
  return new Ec2SharedUsage(ec2, accountId);
});

/** The usage of the owner's AMIs in every account they are shared with, one account and region at a time. */
export const sharedUsage: DecommissionDeps['sharedUsage'] = (account, region) =>
  sharedIn(`${account.id}|${region}|${account.roleArn}`);
