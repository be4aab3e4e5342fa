import { lambdaClock } from '@ami-lifecycle/lambda-kit';
import { env } from './env';

/**
 * What the use cases take besides their adapters: the Lambda clock (the host's when there is one, the
 * local cloud's simulated time; the system clock on Lambda) and the home region, where images are
 * inspected and whose AMI id is read.
 */
export const home = { clock: lambdaClock, region: env.AWS_REGION };
