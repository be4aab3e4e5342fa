import { ec2Client } from '@ami-lifecycle/aws';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { env } from './env';

/** EC2 in the home region: the test instances. */
export const ec2 = lazy(() => ec2Client({ region: env.AWS_REGION }));
