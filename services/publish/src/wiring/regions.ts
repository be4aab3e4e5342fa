import { Ec2Images, ec2Client, SsmParameters, ssmClient } from '@ami-lifecycle/aws';
import { perKey } from '@ami-lifecycle/lambda-kit';
import type { RegionalPorts } from '../use-cases/deps';

/**
 * EC2 images and SSM parameters of each region the family publishes to (the home region among them): one
 * EC2 and one SSM client per region, built on first use of the region and kept for the container.
 */
export const regions: RegionalPorts = perKey((region) => {
  const ec2 = ec2Client({ region });
  const ssm = ssmClient({ region });
  return { images: new Ec2Images(ec2, ssm), parameters: new SsmParameters(ssm) };
});
