/**
 * An error as AWS sends it: a code from the service's documented set, the HTTP status it comes with,
 * and a message. Protocol adapters render it in the service's wire format.
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** `Sender` for caller mistakes, `Receiver` for server-side failures (query protocol `Type`). */
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

export const invalidParameter = (message: string) => new AwsError('InvalidParameterValue', message);
export const missingParameter = (name: string) =>
  new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
