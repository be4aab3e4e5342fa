import { STSClient } from '@aws-sdk/client-sts';
import { type ClientOptions, clientConfig, clientOptionsFromEnv } from './options';

/**
 * The STS client alone: a function that imports this module bundles `@aws-sdk/client-sts` and
 * no other client. Options default to the environment's region (`AWS_REGION`, then `AWS_DEFAULT_REGION`).
 */
export const stsClient = (options: ClientOptions = clientOptionsFromEnv()): STSClient =>
  new STSClient(clientConfig(options));

let shared: STSClient | undefined;

/** The process-wide STS client the adapters default to, built on first use. */
export const sharedStsClient = (): STSClient => {
  shared ??= stsClient();
  return shared;
};
