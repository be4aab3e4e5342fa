/**
 * An error shaped like an SDK v3 service exception (`name` is the AWS error code), for the few cases
 * where the real adapter lets EC2's own error through unmapped. `awsErrorCode` reads it the same way.
 */
export class SimulatedAwsError extends Error {
  readonly $fault = 'client' as const;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}
