import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Inspector2Client } from '@aws-sdk/client-inspector2';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { type AssumeRoleOptions, assumeRoleCredentials } from './clients/assume-role';
import { ec2Client, sharedEc2Client } from './clients/ec2';
import { eventBridgeClient, sharedEventBridgeClient } from './clients/eventbridge';
import { inspector2Client, sharedInspector2Client } from './clients/inspector2';
import { type ClientOptions, clientOptionsFromEnv } from './clients/options';
import { sfnClient, sharedSfnClient } from './clients/sfn';
import { sharedSsmClient, ssmClient } from './clients/ssm';
import { sharedStsClient, stsClient } from './clients/sts';

export { type ClientOptions, clientOptionsFromEnv };

/**
 * A client of every service at once. Tools and tests use it; a Lambda function takes the factories of
 * `./clients/*` for the services it calls (`ec2Client()`, `ssmClient()`, ...), so that its bundle holds
 * those clients alone: whatever calls `createClients` bundles all six.
 */
export interface AwsClients {
  ec2: EC2Client;
  ssm: SSMClient;
  inspector2: Inspector2Client;
  eventBridge: EventBridgeClient;
  sts: STSClient;
  sfn: SFNClient;
}

/** One client per service, built once per caller (module scope in a tool). */
export const createClients = (options: ClientOptions = clientOptionsFromEnv()): AwsClients => ({
  ec2: ec2Client(options),
  ssm: ssmClient(options),
  inspector2: inspector2Client(options),
  eventBridge: eventBridgeClient(options),
  sts: stsClient(options),
  sfn: sfnClient(options),
});

let shared: AwsClients | undefined;
/**
 * The process-wide clients, created on first use so that importing the package costs nothing and a test
 * that passes its own clients never builds these. Each is the one its factory shares
 * (`sharedEc2Client()`, ...).
 */
export const sharedClients = (): AwsClients => {
  shared ??= {
    ec2: sharedEc2Client(),
    ssm: sharedSsmClient(),
    inspector2: sharedInspector2Client(),
    eventBridge: sharedEventBridgeClient(),
    sts: sharedStsClient(),
    sfn: sharedSfnClient(),
  };
  return shared;
};

/**
 * Clients acting in another account through `sts:AssumeRole` (cross-account inventory). Keys are
 * fetched on first use and refreshed before they expire (`assumeRoleCredentials`).
 */
export const assumeRoleClients = (
  roleArn: string,
  options: ClientOptions & AssumeRoleOptions = {},
): AwsClients => {
  const { sts, sessionName, durationSeconds, clock, ...rest } = options;
  const credentials = assumeRoleCredentials(roleArn, { sts, sessionName, durationSeconds, clock });
  return createClients({ ...clientOptionsFromEnv(), ...rest, credentials });
};
