import { Ec2Pacer } from '@ami-lifecycle/aws';
import { perKey } from '@ami-lifecycle/lambda-kit';

/**
 * EC2's request tokens are per account and region: one pacer for each (`owner|<region>` for the owner
 * account, `<account id>|<region>` for another), shared by every client that spends them, so the sweep
 * waits for a token instead of provoking RequestLimitExceeded storms. Real time: on the local cloud a
 * sweep's handful of calls never empties a bucket.
 */
export const pacerFor = perKey(() => new Ec2Pacer());
