import type { BatchOutcome } from '@ami-lifecycle/core';
import { applyActions } from './apply-actions';
import type { DecommissionDeps } from './deps';

/** The most problems one batch keeps (the sweep's event counts them all; these say why). */
const MAX_PROBLEMS = 10;
/** Each problem's text at most, so a batch's outcome stays a small item. */
const MAX_PROBLEM_CHARS = 500;

/**
 * One batch of a sweep: its actions carried out (`applyActions`), and what they came to stored with the
 * sweep, where the last step reads it. Answers only the counts: the Step Functions state stays small
 * however many batches a sweep has.
 */
export const applyBatch = async (
  input: { sweepId: string; batch: number },
  deps: DecommissionDeps,
): Promise<Pick<BatchOutcome, 'done' | 'skipped' | 'failed'>> => {
  const { results } = await applyActions(input, deps);
  const freed = new Map<string, BatchOutcome['freed'][number]>();
  const byFamily = new Map<string, BatchOutcome['byFamily'][number]>();
  for (const r of results) {
    const counts = byFamily.get(r.family) ?? { family: r.family, done: 0, skipped: 0, failed: 0 };
    counts[r.outcome] += 1;
    byFamily.set(r.family, counts);
    for (const [region, gib] of Object.entries(r.freedGiB ?? {})) {
      const key = `${r.family}|${region}`;
      const sum = freed.get(key) ?? { family: r.family, region, gib: 0 };
      sum.gib += gib;
      freed.set(key, sum);
    }
  }
  const problems = results.filter((r) => r.outcome !== 'done');
  const outcome: BatchOutcome = {
    done: results.length - problems.length,
    skipped: problems.filter((r) => r.outcome === 'skipped').length,
    failed: problems.filter((r) => r.outcome === 'failed').length,
    problems: problems
      .slice(0, MAX_PROBLEMS)
      .map((r) =>
        `${r.family}@${r.version} ${r.decision} ${r.outcome}: ${r.reason ?? ''}`.slice(0, MAX_PROBLEM_CHARS),
      ),
    freed: [...freed.values()],
    byFamily: [...byFamily.values()],
  };
  await deps.catalog.saveBatchOutcome(input.sweepId, input.batch, outcome);
  return { done: outcome.done, skipped: outcome.skipped, failed: outcome.failed };
};
