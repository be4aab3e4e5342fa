import { EC2Client } from '@aws-sdk/client-ec2';
import { type ClientOptions, clientConfig, clientOptionsFromEnv } from './options';

/**
 * The EC2 client alone: a function that imports this module bundles `@aws-sdk/client-ec2` and
 * no other client. Options default to the environment's region (`AWS_REGION`, then `AWS_DEFAULT_REGION`).
 */
export const ec2Client = (options: ClientOptions = clientOptionsFromEnv()): EC2Client =>
  new EC2Client(clientConfig(options));

let shared: EC2Client | undefined;

/** The process-wide EC2 client the adapters default to, built on first use. */
export const sharedEc2Client = (): EC2Client => {
  shared ??= ec2Client();
  return shared;
};
