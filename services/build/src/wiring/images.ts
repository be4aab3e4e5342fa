import { Ec2Images } from '@ami-lifecycle/aws';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { ec2 } from './ec2';
import { ssm } from './ssm';

/** AMIs through EC2, and the public SSM parameters that name a source image. */
export const images = lazy(() => new Ec2Images(ec2(), ssm()));
