import { Ec2Compute } from '@ami-lifecycle/aws';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { ec2 } from './ec2';

/** Builders: launched, described, stopped and terminated through EC2. */
export const compute = lazy(() => new Ec2Compute(ec2()));
