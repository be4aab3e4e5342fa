import type { EC2ClientConfig } from '@aws-sdk/client-ec2';

/**
 * What every client of the factories shares. Endpoints are not here: the SDK reads
 * `AWS_ENDPOINT_URL_<SERVICE>`.
 */
export interface ClientOptions {
  region?: string | undefined;
  credentials?: EC2ClientConfig['credentials'];
  /** SDK attempts per call, throttling retries included (the SDK's default is 3). */
  maxAttempts?: number;
  /** Only for tests and tools that talk to one endpoint for every service (the local cloud). */
  endpoint?: string;
}

/** Region from `AWS_REGION` (set by Lambda) or `AWS_DEFAULT_REGION`; undefined lets the SDK decide. */
export const clientOptionsFromEnv = (env: NodeJS.ProcessEnv = process.env): ClientOptions => ({
  region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
});

/** The SDK client configuration for `options`: only what is set, so the SDK's defaults hold for the rest. */
export const clientConfig = (o: ClientOptions) => ({
  ...(o.region === undefined ? {} : { region: o.region }),
  ...(o.credentials === undefined ? {} : { credentials: o.credentials }),
  ...(o.maxAttempts === undefined ? {} : { maxAttempts: o.maxAttempts }),
  ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
});
