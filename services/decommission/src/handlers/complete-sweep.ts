import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { completeSweep } from '../use-cases/complete-sweep';
import { deleteOrphanSnapshots } from '../use-cases/orphans';
import { loadSweepSettings } from '../use-cases/settings';
import { deps } from '../wiring';

const batchResult = z.object({
  done: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  problems: z.array(z.string()),
  freed: z
    .array(z.object({ family: z.string(), region: z.string(), gib: z.number().nonnegative() }))
    .optional(),
});

/** Decommission machine, last step: Retention Sweep Completed per family, with what the batches did. */
export const handler = asStep(
  'CompleteSweep',
  createHandler({
    name: 'decommission-complete',
    event: z.strictObject({
      sweepId: z.string().min(1).max(80),
      dryRun: z.boolean(),
      applied: z.array(batchResult),
    }),
    correlationIdPath: 'sweepId',
    useCase: async (input) => {
      const { prices, regions } = await loadSweepSettings(deps.catalog);
      const plan = await deps.catalog.getPlan(input.sweepId);
      // Orphaned snapshots go only when the sweep may act: not on a dry run, not past a tripped guard.
      const acting = plan !== undefined && !input.dryRun && plan.guard.status === 'ok';
      const orphans = acting ? await deleteOrphanSnapshots({ regions, dryRun: false }, deps) : [];
      const freed = orphans.map((o) => ({ family: o.family, region: o.region, gib: o.gib }));
      const applied =
        freed.length > 0
          ? [...input.applied, { done: 0, skipped: 0, failed: 0, problems: [], freed }]
          : input.applied;
      return {
        ...(await completeSweep({ ...input, applied, prices }, deps)),
        orphanSnapshotsDeleted: orphans.length,
      };
    },
  }),
);
