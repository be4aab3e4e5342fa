import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type ClientOptions, clientConfig, clientOptionsFromEnv } from './options';

/**
 * The EventBridge client alone: a function that imports this module bundles `@aws-sdk/client-eventbridge` and
 * no other client. Options default to the environment's region (`AWS_REGION`, then `AWS_DEFAULT_REGION`).
 */
export const eventBridgeClient = (options: ClientOptions = clientOptionsFromEnv()): EventBridgeClient =>
  new EventBridgeClient(clientConfig(options));

let shared: EventBridgeClient | undefined;

/** The process-wide EventBridge client the adapters default to, built on first use. */
export const sharedEventBridgeClient = (): EventBridgeClient => {
  shared ??= eventBridgeClient();
  return shared;
};
