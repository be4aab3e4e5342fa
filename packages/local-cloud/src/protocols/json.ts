import { AwsError } from '../errors';
import type { ServiceRequest, ServiceResponse } from '../types';

/** Parses a JSON-protocol body; an empty body is `{}`, as the SDKs send for operations without input. */
export const parseJsonBody = (body: string): Record<string, unknown> => {
  if (body.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new AwsError(
      'SerializationException',
      `request body is not a JSON object: ${(e as Error).message}`,
    );
  }
};

/** The operation of a JSON-protocol request, from `X-Amz-Target: <prefix><Operation>`. */
export const targetOperation = (req: Pick<ServiceRequest, 'headers'>, prefix: string): string => {
  const target = req.headers['x-amz-target'];
  const value = Array.isArray(target) ? target[0] : target;
  return value?.startsWith(prefix) ? value.slice(prefix.length) : (value ?? '');
};

/** Runs `operations[operation]` on the parsed body; an operation the emulator lacks is refused as AWS does. */
export const dispatchJson = <C>(
  operations: Readonly<Record<string, (caller: C, body: Record<string, unknown>) => unknown>>,
  operation: string,
  serviceName: string,
  caller: C,
  body: string,
): unknown => {
  const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
  if (!run) {
    throw new AwsError(
      'UnknownOperationException',
      `The local cloud's ${serviceName} does not implement "${operation}".`,
    );
  }
  return run(caller, parseJsonBody(body));
};

/** A JSON-protocol reply carrying AWS's request id and, for errors, `x-amzn-errortype`. */
export const jsonReply = (
  contentType: string,
  status: number,
  body: unknown,
  req: Pick<ServiceRequest, 'requestId'>,
  errorType?: string,
): ServiceResponse => ({
  status,
  headers: {
    'content-type': contentType,
    'x-amzn-requestid': req.requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  },
  body: JSON.stringify(body),
});

/**
 * A JSON-protocol error, with the code in `__type` and `x-amzn-errortype`. The edge names unexpected
 * failures `InternalError`; `internalCode` is what the service's own model calls them.
 */
export const jsonErrorReply = (
  contentType: string,
  err: AwsError,
  req: Pick<ServiceRequest, 'requestId'>,
  internalCode?: string,
): ServiceResponse => {
  const code = internalCode !== undefined && err.code === 'InternalError' ? internalCode : err.code;
  return jsonReply(contentType, err.status, { __type: code, message: err.message }, req, code);
};
