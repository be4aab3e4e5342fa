import type { Clock } from '@ami-lifecycle/core';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AssumeRoleFailedError, callAws } from './errors';

/** What every client of the factory shares. Endpoints are not here: the SDK reads `AWS_ENDPOINT_URL_<SERVICE>`. */
export interface ClientOptions {
  region?: string | undefined;
  credentials?: EC2ClientConfig['credentials'];
  /** SDK attempts per call, throttling retries included (the SDK's default is 3). */
  maxAttempts?: number;
  /** Only for tests and tools that talk to one endpoint for every service (the local cloud). */
  endpoint?: string;
}

export interface AwsClients {
  ec2: EC2Client;
  ssm: SSMClient;
  inspector2: Inspector2Client;
  eventBridge: EventBridgeClient;
  sts: STSClient;
  sfn: SFNClient;
}

/** Region from `AWS_REGION` (set by Lambda) or `AWS_DEFAULT_REGION`; undefined lets the SDK decide. */
export const clientOptionsFromEnv = (env: NodeJS.ProcessEnv = process.env): ClientOptions => ({
  region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
});

const config = (o: ClientOptions) => ({
  ...(o.region === undefined ? {} : { region: o.region }),
  ...(o.credentials === undefined ? {} : { credentials: o.credentials }),
  ...(o.maxAttempts === undefined ? {} : { maxAttempts: o.maxAttempts }),
  ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
});

/** One client per service, built once per caller (module scope in a Lambda). */
export const createClients = (options: ClientOptions = clientOptionsFromEnv()): AwsClients => {
  const c = config(options);
  return {
    ec2: new EC2Client(c),
    ssm: new SSMClient(c),
    inspector2: new Inspector2Client(c),
    eventBridge: new EventBridgeClient(c),
    sts: new STSClient(c),
    sfn: new SFNClient(c),
  };
};

let shared: AwsClients | undefined;
/**
 * The process-wide clients the adapters default to, created on first use so that importing the
 * package costs nothing and a test that passes its own clients never builds these.
 */
export const sharedClients = (): AwsClients => {
  shared ??= createClients();
  return shared;
};

/** Refresh this long before the assumed role's keys expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Clients acting in another account through `sts:AssumeRole` (cross-account inventory). Keys are
 * fetched on first use and refreshed before they expire.
 */
export const assumeRoleClients = (
  roleArn: string,
  options: ClientOptions & {
    sts?: STSClient;
    sessionName?: string;
    durationSeconds?: number;
    /** What the keys' expiry is compared with: the clock STS stamped it by (the host's, where simulated). */
    clock?: Clock;
  } = {},
): AwsClients => {
  const sts = options.sts ?? sharedClients().sts;
  const now = () => (options.clock ? options.clock.now().getTime() : Date.now());
  let cached:
    | { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date }
    | undefined;
  const credentials = async () => {
    if (cached && cached.expiration.getTime() - REFRESH_MARGIN_MS > now()) return cached;
    const out = await callAws('sts', 'AssumeRole', () =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: options.sessionName ?? 'ami-lifecycle',
          DurationSeconds: options.durationSeconds ?? 3600,
        }),
      ),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
      throw new AssumeRoleFailedError(roleArn, 'the answer carried no credentials');
    cached = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
    return cached;
  };
  const { sts: _sts, sessionName: _s, durationSeconds: _d, clock: _c, ...rest } = options;
  return createClients({ ...clientOptionsFromEnv(), ...rest, credentials });
};
