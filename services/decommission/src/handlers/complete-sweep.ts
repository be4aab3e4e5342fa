import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { finishSweep } from '../use-cases/complete-sweep';
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
  byFamily: z
    .array(
      z.object({
        family: z.string(),
        done: z.number().int().nonnegative(),
        skipped: z.number().int().nonnegative(),
        failed: z.number().int().nonnegative(),
      }),
    )
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
    useCase: async (input) => finishSweep(input, await loadSweepSettings(deps.catalog), deps),
  }),
);
