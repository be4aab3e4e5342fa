import { SFNClient } from '@aws-sdk/client-sfn';
import { type ClientOptions, clientConfig, clientOptionsFromEnv } from './options';

/**
 * The Step Functions client alone: a function that imports this module bundles `@aws-sdk/client-sfn` and
 * no other client. Options default to the environment's region (`AWS_REGION`, then `AWS_DEFAULT_REGION`).
 */
export const sfnClient = (options: ClientOptions = clientOptionsFromEnv()): SFNClient =>
  new SFNClient(clientConfig(options));

let shared: SFNClient | undefined;

/** The process-wide Step Functions client the adapters default to, built on first use. */
export const sharedSfnClient = (): SFNClient => {
  shared ??= sfnClient();
  return shared;
};
