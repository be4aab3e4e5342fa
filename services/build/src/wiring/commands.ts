import { SsmCommands, ssmClient } from '@ami-lifecycle/aws';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { env } from './env';
import { ssm } from './ssm';

// SendCommand without SDK retries: a retried step looks the command up first, an SDK retry would not.
const ssmWithoutRetries = lazy(() => ssmClient({ region: env.AWS_REGION, maxAttempts: 1 }));

/** The components run on the builder through SSM Run Command. */
export const commands = lazy(() => new SsmCommands(ssm(), ssmWithoutRetries()));
