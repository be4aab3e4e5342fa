import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { completeSweep } from '../use-cases/complete-sweep';
import { deps } from '../wiring';

const batchResult = z.object({
  done: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  problems: z.array(z.string()),
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
    useCase: (input) => completeSweep(input, deps),
  }),
);
