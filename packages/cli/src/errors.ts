/** The command's input was understood but refused; nothing was changed. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** Node's codes for a connection that could not be made or was lost (undici's start with UND_ERR_). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EPIPE',
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** The SDK's names for a request that timed out or never got an answer. */
const NETWORK_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

/** No credentials, or credentials AWS does not take. */
const CREDENTIAL_NAMES = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'AuthFailure',
]);

/** Credentials AWS takes, without the permission to do this. */
const PERMISSION_NAMES = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

export interface Unreachable {
  /** What went wrong, with the underlying error's own words. */
  problem: string;
  /** What to check. */
  hint: string;
}

/** Where amictl's clients go: the endpoint they were made with (none: AWS's own) and the home region. */
export interface Target {
  /** `AWS_ENDPOINT_URL`, when set: every client of amictl uses it. */
  endpoint: string | undefined;
  region: string;
}

/** `http://127.0.0.1:4566 (AWS_ENDPOINT_URL) in eu-west-1`, or `AWS in eu-west-1 (no AWS_ENDPOINT_URL set)`. */
export const describeTarget = (target: Target): string =>
  target.endpoint === undefined
    ? `AWS in ${target.region} (no AWS_ENDPOINT_URL set)`
    : `${target.endpoint} (AWS_ENDPOINT_URL) in ${target.region}`;

/**
 * Whether `error` (or an error it was caused by) says that AWS or the local cloud could not be
 * reached or would not take the caller: the environment is wrong, not the request. The problem and the
 * hint name the endpoint and the region the clients used.
 */
export const unreachable = (error: unknown, target: Target): Unreachable | undefined => {
  const where = describeTarget(target);
  for (const e of causes(error)) {
    const name = typeof e.name === 'string' ? e.name : '';
    const words = (wordsOf(e) || name).replace(/^AWS SDK error wrapper for /, '');
    // The SDK wraps what is not an Error of its own realm in an Error carrying only its text.
    const code = typeof e.code === 'string' ? e.code : /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(words)?.[1];
    const fromAws = typeof e.$metadata === 'object' && e.$metadata !== null;
    if (
      (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) ||
      NETWORK_NAMES.has(name)
    )
      return {
        problem: `could not reach ${where}: ${words}${code && !words.includes(code) ? ` (${code})` : ''}`,
        hint:
          target.endpoint === undefined
            ? `check the network and AWS_REGION (${target.region}); for the local cloud set AWS_ENDPOINT_URL (npm run local-cloud prints it)`
            : `check that the local cloud is up at ${target.endpoint} (npm run local-cloud prints its endpoint) and AWS_REGION (${target.region}); unset AWS_ENDPOINT_URL for AWS`,
      };
    if (CREDENTIAL_NAMES.has(name))
      return {
        problem: `${where} did not take the credentials: ${name}: ${words}`,
        hint: 'check your credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an expired session) and AWS_ENDPOINT_URL',
      };
    if (fromAws && PERMISSION_NAMES.has(name))
      return {
        problem: `${where} refused the call: ${name}: ${words}`,
        hint: 'the credentials work but may not do this: check the role or profile in use (AWS_PROFILE) and its permissions',
      };
    if (fromAws && name === 'StateMachineDoesNotExist')
      return {
        problem: `${where} has no such state machine: ${words}`,
        hint: 'check DECOMMISSION_STATE_MACHINE_ARN, or CATALOG_TABLE whose stage names the machine, and AWS_REGION and AWS_ENDPOINT_URL',
      };
    if (fromAws && name === 'ResourceNotFoundException')
      return {
        problem: `${where} has no such resource: ${words}`,
        hint: 'check CATALOG_TABLE and EVENT_BUS_NAME (the stage deployed), AWS_REGION and AWS_ENDPOINT_URL',
      };
  }
  return undefined;
};

/** The error's message; an AggregateError's own is often empty, its errors' say what happened. */
const wordsOf = (e: ErrorLike): string => {
  const own = typeof e.message === 'string' ? e.message.trim() : '';
  if (own !== '' || !(e instanceof AggregateError)) return own;
  return [...new Set(e.errors.map((inner) => (inner instanceof Error ? inner.message : String(inner))))].join(
    '; ',
  );
};

type ErrorLike = { name?: unknown; code?: unknown; message?: unknown; $metadata?: unknown };

/** The error, its causes and, for an AggregateError (a connection tried on several addresses), its errors. */
const causes = (error: unknown): ErrorLike[] => {
  const seen = new Set<unknown>();
  const found: ErrorLike[] = [];
  const visit = (e: unknown, depth: number) => {
    if (typeof e !== 'object' || e === null || seen.has(e) || depth > 8) return;
    seen.add(e);
    found.push(e as ErrorLike);
    if (e instanceof AggregateError) for (const inner of e.errors) visit(inner, depth + 1);
    visit((e as { cause?: unknown }).cause, depth + 1);
  };
  visit(error, 0);
  return found;
};
