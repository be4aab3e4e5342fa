import { Ec2Images, Ec2Inventory, ec2Client, pace, ssmClient } from '@ami-lifecycle/aws';
import { perKey } from '@ami-lifecycle/lambda-kit';
import { pacerFor } from './pacers';

// The owner account's clients in each region (the home region among them), built on first use of the
// region; its EC2 client waits for the region's tokens.
const ec2In = perKey((region) => {
  const ec2 = ec2Client({ region });
  pace(ec2, pacerFor(`owner|${region}`));
  return ec2;
});
const ssmIn = perKey((region) => ssmClient({ region }));

/** The owner account's AMIs, snapshots and their references in each region. */
export const inventoryIn = perKey((region) => new Ec2Inventory(ec2In(region)));

/** The owner account's images in each region: deprecate, disable, deregister, protect. */
export const imagesIn = perKey((region) => new Ec2Images(ec2In(region), ssmIn(region)));

/** The regional EC2 images the hold use cases mirror protection through. */
export const holdRegions = (region: string) => ({ images: imagesIn(region) });
