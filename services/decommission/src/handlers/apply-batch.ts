import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { applyActions } from '../use-cases/apply-actions';
import { deps } from '../wiring';

/** The most problems one batch reports back into the execution (its history is bounded). */
const MAX_PROBLEMS = 10;

/** Decommission machine, one Map item: one batch of the plan's actions. Answers counts, not every result. */
export const handler = asStep(
  'ApplyBatch',
  createHandler({
    name: 'decommission-apply',
    event: z.strictObject({ sweepId: z.string().min(1).max(80), batch: z.number().int().nonnegative() }),
    correlationIdPath: 'sweepId',
    useCase: async (input) => {
      const { results } = await applyActions(input, deps);
      const problems = results.filter((r) => r.outcome !== 'done');
      const freed = new Map<string, { family: string; region: string; gib: number }>();
      const byFamily = new Map<string, { family: string; done: number; skipped: number; failed: number }>();
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
      return {
        freed: [...freed.values()],
        byFamily: [...byFamily.values()],
        done: results.length - problems.length,
        skipped: problems.filter((r) => r.outcome === 'skipped').length,
        failed: problems.filter((r) => r.outcome === 'failed').length,
        problems: problems
          .slice(0, MAX_PROBLEMS)
          .map((r) => `${r.family}@${r.version} ${r.decision} ${r.outcome}: ${r.reason ?? ''}`),
      };
    },
  }),
);
