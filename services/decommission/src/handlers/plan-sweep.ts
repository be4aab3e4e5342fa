import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { planSweep } from '../use-cases/plan-sweep';
import { loadSweepSettings } from '../use-cases/settings';
import { sweepIdSchema } from '../use-cases/sweep-id';
import { deps } from '../wiring';

/**
 * Decommission machine, after every region is read: the plan from the stored readings (as old as the
 * oldest; the guard refuses a stale one), stored. Answers the Map's batches.
 */
export const handler = asStep(
  'PlanSweep',
  createHandlerWithoutIdempotency({
    name: 'decommission-plan',
    event: z.strictObject({ sweepId: sweepIdSchema, dryRun: z.boolean() }),
    correlationIdPath: 'sweepId',
    useCase: async (input) => {
      const settings = await loadSweepSettings(deps.catalog);
      const { plan, inventory, unreadable, batches } = await planSweep(
        { ...input, inventory: 'stored' },
        settings,
        deps,
      );
      return {
        batches,
        actions: plan.actions.length,
        guard: plan.guard,
        summary: plan.summary,
        inventoryAt: plan.inventoryAt,
        drift: { untracked: inventory.drift.untracked.length, missing: inventory.drift.missing.length },
        // In the execution's history, where the operator reads the sweep: their images were all kept.
        unreadableConfigs: unreadable.map((u) => `${u.family}: ${u.error}`.slice(0, 300)).slice(0, 20),
      };
    },
  }),
);
