import { AwsError } from '../errors';

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
