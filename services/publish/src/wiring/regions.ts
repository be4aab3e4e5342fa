import { Ec2Images, ec2Client, SsmParameters, ssmClient } from '@ami-lifecycle/aws';
import type { RegionalPorts } from '../use-cases/deps';

type Ports = ReturnType<RegionalPorts>;
const cache = new Map<string, Ports>();

/**
 * EC2 images and SSM parameters of each region the family publishes to (the home region among them): one
 * EC2 and one SSM client per region, built on first use of the region and kept for the container.
 */
export const regions: RegionalPorts = (region) => {
  let ports = cache.get(region);
  if (ports === undefined) {
    const ec2 = ec2Client({ region });
    const ssm = ssmClient({ region });
    ports = { images: new Ec2Images(ec2, ssm), parameters: new SsmParameters(ssm) };
    cache.set(region, ports);
  }
  return ports;
};
