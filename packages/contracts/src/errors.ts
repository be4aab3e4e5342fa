import type { z } from 'zod';

/** One violated rule, with the path of the offending field relative to the EventBridge event. */
export interface ContractIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * A message does not match its contract. Never retryable: the same bytes fail the same way,
 * so error mapping sends it to the dead-letter queue rather than back to EventBridge.
 */
export class ContractViolationError extends Error {
  /** The detail-type whose detail failed, or undefined when the envelope itself failed. */
  readonly detailType: string | undefined;
  readonly issues: readonly ContractIssue[];

  constructor(detailType: string | undefined, zodError: z.ZodError, root: readonly PropertyKey[]) {
    const issues = toContractIssues(zodError.issues, root);
    const subject = detailType === undefined ? 'EventBridge event' : `"${detailType}" detail`;
    super(`${subject} violates its contract: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      cause: zodError,
    });
    this.name = 'ContractViolationError';
    this.detailType = detailType;
    this.issues = issues;
  }

  get paths(): string[] {
    return this.issues.map((issue) => issue.path);
  }
}

/**
 * The detail-type is not one this version of the contracts knows. Kept apart from
 * ContractViolationError because a consumer older than its producer may choose to drop it.
 */
export class UnknownDetailTypeError extends Error {
  readonly detailType: string;

  constructor(detailType: string, known: readonly string[]) {
    super(`Unknown detail-type "${detailType}"; known: ${known.join(', ')}`);
    this.name = 'UnknownDetailTypeError';
    this.detailType = detailType;
  }
}

/** `detail.snapshotIds[1]`, `detail-type`; `(root)` when the whole value is wrong. */
export function formatPath(segments: readonly PropertyKey[]): string {
  const text = segments
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      return index === 0 ? String(segment) : `.${String(segment)}`;
    })
    .join('');
  return text === '' ? '(root)' : text;
}

function toContractIssues(
  issues: readonly z.core.$ZodIssue[],
  root: readonly PropertyKey[],
): ContractIssue[] {
  return issues.flatMap((issue): ContractIssue[] => {
    const path = [...root, ...issue.path];
    // zod reports all unknown keys as one issue at the object; one issue per key names each
    // offending field by path, which is what a reader of the message is looking for.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'Unrecognized key' }));
    }
    if (issue.code === 'invalid_key') {
      const why = issue.issues.map((inner) => inner.message).join(', ');
      return [{ path: formatPath(path), message: `${issue.message}: ${why}` }];
    }
    return [{ path: formatPath(path), message: issue.message }];
  });
}
