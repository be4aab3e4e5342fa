import type { z } from 'zod';

/**
 * An incoming event failed the zod schema its handler declared. Raised only at the edge, by the
 * handler stack's parsing step, so "invalid event" never means a zod error from deeper in a use case.
 */
export class InvalidEventError extends Error {
  readonly issues: readonly { path: string; message: string }[];

  constructor(handler: string, zodError: z.core.$ZodError) {
    const issues = zodError.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(root)',
      message: issue.message,
    }));
    super(`event for ${handler} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      cause: zodError,
    });
    this.name = 'InvalidEventError';
    this.issues = issues;
  }
}
