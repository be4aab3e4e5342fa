import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { type ClientOptions, clientConfig, clientOptionsFromEnv } from './options';

/**
 * The Inspector2 client alone: a function that imports this module bundles `@aws-sdk/client-inspector2` and
 * no other client. Options default to the environment's region (`AWS_REGION`, then `AWS_DEFAULT_REGION`).
 */
export const inspector2Client = (options: ClientOptions = clientOptionsFromEnv()): Inspector2Client =>
  new Inspector2Client(clientConfig(options));

let shared: Inspector2Client | undefined;

/** The process-wide Inspector2 client the adapters default to, built on first use. */
export const sharedInspector2Client = (): Inspector2Client => {
  shared ??= inspector2Client();
  return shared;
};
