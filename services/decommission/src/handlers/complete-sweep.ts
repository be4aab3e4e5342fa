import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { finishSweep } from '../use-cases/complete-sweep';
import { loadSweepSettings } from '../use-cases/settings';
import { sweepIdSchema } from '../use-cases/sweep-id';
import { catalog } from '../wiring/catalog';
import { events } from '../wiring/events';
import { home } from '../wiring/home';
import { inventoryIn } from '../wiring/regions';

/**
 * Decommission machine, last step: orphaned snapshots deleted when the sweep may act, then Retention Sweep
 * Completed per family with what the batches (their outcomes stored with the sweep) and the orphans did.
 */
export const handler = asStep(
  'CompleteSweep',
  createHandlerWithoutIdempotency({
    name: 'decommission-complete',
    event: z.strictObject({ sweepId: sweepIdSchema, dryRun: z.boolean() }),
    correlationIdPath: 'sweepId',
    useCase: async (input) =>
      finishSweep(input, await loadSweepSettings(catalog()), {
        ...home,
        catalog: catalog(),
        events: events(),
        inventory: inventoryIn,
      }),
  }),
);
