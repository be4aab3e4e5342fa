import { lambdaClock } from '@ami-lifecycle/lambda-kit';
import { env } from './env';

/**
 * What every use case of the service takes besides its adapters: the Lambda clock (the host's simulated
 * one on the local cloud) and the home region, where builds run and whose parent AMI ids are read.
 */
export const home = { clock: lambdaClock, region: env.AWS_REGION };
