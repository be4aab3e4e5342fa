import { SNSClient } from '@aws-sdk/client-sns';
import { type ClientOptions, clientConfig, clientOptionsFromEnv } from './options';

/**
 * The SNS client alone: a function that imports this module bundles `@aws-sdk/client-sns` and no other
 * client. Options default to the environment's region (`AWS_REGION`, then `AWS_DEFAULT_REGION`).
 */
export const snsClient = (options: ClientOptions = clientOptionsFromEnv()): SNSClient =>
  new SNSClient(clientConfig(options));

let shared: SNSClient | undefined;

/** The process-wide SNS client of the environment's region, built on first use. */
export const sharedSnsClient = (): SNSClient => {
  shared ??= snsClient();
  return shared;
};
