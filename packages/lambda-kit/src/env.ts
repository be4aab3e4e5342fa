import type { z } from 'zod';

/** One variable that is missing or invalid; the value itself is never repeated, it may be a secret. */
export interface EnvironmentIssue {
  readonly variable: string;
  readonly message: string;
}

/**
 * The Lambda's environment does not satisfy its schema. Thrown at cold start (module scope), so a
 * misconfigured function fails its first invocation loudly instead of misbehaving later.
 */
export class EnvironmentError extends Error {
  constructor(
    readonly issues: readonly EnvironmentIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      `environment is invalid:\n${issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n')}`,
      options,
    );
    this.name = 'EnvironmentError';
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Typed configuration from environment variables, validated by a zod object schema whose keys are the
 * variable names (use `z.coerce` or transforms for non-strings). Unknown variables are ignored.
 * @throws EnvironmentError naming every missing or invalid variable at once
 */
export function loadEnv<S extends z.ZodObject>(schema: S, env: Environment = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue): EnvironmentIssue => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const name = issue.path[0];
    const unset = typeof name === 'string' && (env[name] === undefined || env[name] === '');
    return { variable, message: unset ? 'is not set' : issue.message };
  });
  throw new EnvironmentError(issues, { cause: result.error });
}
