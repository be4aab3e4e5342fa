/**
 * What a refused event looks like, in one place: the rest of the suite only asks "was this event refused
 * as malformed, naming that field?" and "did this event get past the function's edge?".
 *
 * A function refuses a malformed event in one of two ways:
 * - an EventBridge-triggered function answers `{ status: 'rejected', reason: 'invalid', error }`, having
 *   kept the event in the events dead-letter queue (a `dropped` answer, refused in a log line only, is not
 *   a refusal: the event would be lost);
 * - a Step Functions task fails with `StepInputRejectedError`, so the machine's Catch sees it.
 * Either way `error.message` lists each offending field as `<path>: <why>`, joined by `; `.
 *
 * `reason: 'refused'` is something else: a well-formed event the use case turned down for good (a family
 * without a config, an image that is not ours). Such an event got past the edge.
 */
import { formatPath, type Path } from './paths';

/** How one invocation ended: the function's answer, or the error the Lambda runtime reported. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export const capture = async (run: () => Promise<unknown>): Promise<Outcome> => {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
};

/** AWS calls a refusal may make: handing the refused event to the events dead-letter queue. */
export const REFUSAL_AWS_CALLS: ReadonlySet<string> = new Set(['sqs:SendMessage']);

const REFUSED_STATUSES = new Set(['rejected']);
const STEP_REJECTION = 'StepInputRejectedError';

interface Refusal {
  name: string;
  message: string;
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;

/** The reason a step's rejection carries, when the runtime kept the error it reports as its cause. */
const stepReason = (error: Error): unknown => asRecord(asRecord(asRecord(error.cause)?.dropped))?.reason;

/**
 * The refusal of a malformed event an outcome is, or undefined when the event got past the function's
 * edge (whatever the use case then did with it).
 */
export const refusalOf = (outcome: Outcome): Refusal | undefined => {
  if (outcome.ok) {
    const answer = asRecord(outcome.value);
    const error = asRecord(answer?.error);
    if (
      answer !== undefined &&
      REFUSED_STATUSES.has(String(answer.status)) &&
      answer.reason === 'invalid' &&
      typeof error?.message === 'string'
    ) {
      return { name: String(error.name), message: error.message };
    }
    return undefined;
  }
  const error = outcome.error;
  if (error instanceof Error && error.name === STEP_REJECTION) {
    const reason = stepReason(error);
    if (reason === undefined || reason === 'invalid') return { name: error.name, message: error.message };
  }
  return undefined;
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `a.b.0` and `a.b[0]`: the two spellings of a path the handler stack uses. */
const spellings = (path: Path): string[] => {
  if (path.length === 0) return ['(root)'];
  const bracketed = path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
  return [...new Set([formatPath(path), bracketed])];
};

/** Whether `message` reports an issue at exactly `path` (`<path>: <why>`). */
const reportsAt = (message: string, path: Path): boolean =>
  spellings(path).some((spelled) => new RegExp(`(^|[\\s;:])${escapeRegExp(spelled)}: `).test(message));

/**
 * Whether the message names the field at `path`: an issue at the path itself, or, for a key the object
 * does not allow, an issue at its object that quotes the key.
 */
export const namesField = (message: string, path: Path): boolean => {
  if (reportsAt(message, path)) return true;
  const key = path[path.length - 1];
  if (typeof key !== 'string') return false;
  return (
    reportsAt(message, path.slice(0, -1)) &&
    (message.includes(`"${key}"`) || message.includes(JSON.stringify(key)))
  );
};

const describe = (outcome: Outcome): string => {
  if (outcome.ok) return `answered ${JSON.stringify(outcome.value)?.slice(0, 600)}`;
  const error = outcome.error;
  return error instanceof Error
    ? `failed with ${error.name}: ${error.message.slice(0, 600)}`
    : `failed with ${String(error).slice(0, 600)}`;
};

/** Throws unless the outcome is a refusal whose message names the field at `path` (the root: `[]`). */
export const expectRefused = (outcome: Outcome, expected: { path: Path }): void => {
  const refusal = refusalOf(outcome);
  if (refusal === undefined) {
    throw new Error(
      `expected a refusal naming ${formatPath(expected.path)}, but the function ${describe(outcome)}`,
    );
  }
  if (!namesField(refusal.message, expected.path)) {
    throw new Error(
      `refused, but the error does not name ${formatPath(expected.path)}: ${refusal.name}: ${refusal.message.slice(0, 1200)}`,
    );
  }
};

/** Throws if the outcome is a malformed-event refusal: the event got past the function's edge. */
export const expectAccepted = (outcome: Outcome): void => {
  const refusal = refusalOf(outcome);
  if (refusal !== undefined) {
    throw new Error(
      `expected the event to be accepted, but it was refused: ${refusal.name}: ${refusal.message}`,
    );
  }
};

/**
 * What became of an event, coarsely: refused as malformed, answered, or failed with an error of a kind.
 * The same valid event must come to the same end before and after the fuzzing.
 */
export const outcomeClass = (outcome: Outcome): string => {
  if (refusalOf(outcome) !== undefined) return 'refused as malformed';
  if (outcome.ok) return 'answered';
  const error = outcome.error;
  return `failed with ${error instanceof Error ? error.name : typeof error}`;
};

/** Whether an AWS call made while refusing is one a refusal may make. */
export const isRefusalCall = (action: string): boolean => REFUSAL_AWS_CALLS.has(action);

// --- Policy files ----------------------------------------------------------------------------------------

/**
 * What a refused policy must name. A policy is refused as a whole with a `ValidationError` whose `issues`
 * each give a dotted `path` (`''` for the file itself) and a message; `amictl` prints them as
 * `  - <path>: <message>` after `amictl: <file> is invalid:` and exits 1.
 */
export type PolicyRefusal =
  /** The field at this path; `wholeFile`: or the file as a whole, when the parser cannot read it. */
  | { path: Path; wholeFile?: boolean }
  /** A limit of the file as a whole, named in the message. */
  | { limit: RegExp }
  /** Garbage: every problem placed by its path or by its line and column in the file. */
  | { located: true };

interface PolicyIssue {
  path: string;
  message: string;
}

const issuesOf = (error: unknown): PolicyIssue[] | undefined => {
  if (!(error instanceof Error) || error.name !== 'ValidationError') return undefined;
  const issues = (error as { issues?: unknown }).issues;
  return Array.isArray(issues) ? (issues as PolicyIssue[]) : undefined;
};

const dotted = (path: Path): string => path.map(String).join('.');

/** A problem of the file as a whole says where (line and column) or what (the file is empty, too large). */
const LOCATED = /line \d+, column \d+|^the file is /;

/** Whether the issues (or amictl's lines) meet the expectation; undefined when they do, else why not. */
const unmet = (issues: readonly PolicyIssue[], expected: PolicyRefusal): string | undefined => {
  if ('located' in expected) {
    const loose = issues.filter((i) => i.path === '' && !LOCATED.test(i.message));
    return loose.length === 0 ? undefined : `problems placed nowhere: ${JSON.stringify(loose)}`;
  }
  if ('limit' in expected) {
    return issues.some((i) => i.path === '' && expected.limit.test(i.message))
      ? undefined
      : `no problem of the file as a whole names ${expected.limit}`;
  }
  const path = dotted(expected.path);
  if (issues.some((i) => i.path === path)) return undefined;
  if (
    expected.wholeFile &&
    issues.length > 0 &&
    issues.every((i) => i.path === '' && LOCATED.test(i.message))
  ) {
    return undefined;
  }
  return `no problem names ${path || '(root)'}`;
};

/** Throws unless the policy text was refused as the expectation says. */
export const expectPolicyRefused = (parse: () => unknown, expected: PolicyRefusal): void => {
  let error: unknown;
  try {
    parse();
  } catch (e) {
    error = e;
  }
  if (error === undefined) {
    if ('located' in expected) return; // Garbage that happens to be a valid policy is read whole.
    throw new Error('the policy was accepted');
  }
  const issues = issuesOf(error);
  if (issues === undefined) {
    throw new Error(
      `the policy was not refused but broke the parser: ${String((error as Error)?.stack ?? error)}`,
    );
  }
  const why = unmet(issues, expected);
  if (why !== undefined)
    throw new Error(`${why}; the refusal said:\n${(error as Error).message.slice(0, 3000)}`);
};

/** Throws unless amictl refused the file (exit 1), naming what the expectation says. */
export const expectAmictlRefused = (run: { code: number; err: string }, expected: PolicyRefusal): void => {
  if (run.code !== 1) throw new Error(`amictl exited ${run.code}, not 1: ${run.err.slice(0, 2000)}`);
  const lines = run.err.split('\n');
  const rootIssues = lines
    .filter((line) => line.startsWith('  - (root): '))
    .map((line) => ({ path: '', message: line.slice('  - (root): '.length) }));
  const named = (path: Path) => lines.some((line) => line.startsWith(`  - ${dotted(path) || '(root)'}: `));
  const ok =
    'located' in expected
      ? rootIssues.every((i) => LOCATED.test(i.message))
      : 'limit' in expected
        ? rootIssues.some((i) => expected.limit.test(i.message))
        : named(expected.path) ||
          (expected.wholeFile === true &&
            rootIssues.length > 0 &&
            rootIssues.every((i) => LOCATED.test(i.message)));
  if (!ok) throw new Error(`amictl did not name what it refused; it said:\n${run.err.slice(0, 3000)}`);
};

/** Throws unless `validatePolicy`'s answer is a refusal naming what the expectation says. */
export const expectPolicyInvalid = (
  result: { ok: true } | { ok: false; issues: readonly PolicyIssue[] },
  expected: PolicyRefusal,
): void => {
  if (result.ok) throw new Error('validatePolicy accepted the policy');
  const why = unmet(result.issues, expected);
  if (why !== undefined)
    throw new Error(`${why}; validatePolicy said: ${JSON.stringify(result.issues).slice(0, 3000)}`);
};
