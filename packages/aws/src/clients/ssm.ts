import { SSMClient } from '@aws-sdk/client-ssm';
import { type ClientOptions, clientConfig, clientOptionsFromEnv } from './options';

/**
 * The SSM client alone: a function that imports this module bundles `@aws-sdk/client-ssm` and
 * no other client. Options default to the environment's region (`AWS_REGION`, then `AWS_DEFAULT_REGION`).
 */
export const ssmClient = (options: ClientOptions = clientOptionsFromEnv()): SSMClient =>
  new SSMClient(clientConfig(options));

let shared: SSMClient | undefined;

/** The process-wide SSM client the adapters default to, built on first use. */
export const sharedSsmClient = (): SSMClient => {
  shared ??= ssmClient();
  return shared;
};
