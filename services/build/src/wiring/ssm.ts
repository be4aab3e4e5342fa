import { ssmClient } from '@ami-lifecycle/aws';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { env } from './env';

/** SSM in the home region, shared by the image (public parameters) and command adapters of a container. */
export const ssm = lazy(() => ssmClient({ region: env.AWS_REGION }));
