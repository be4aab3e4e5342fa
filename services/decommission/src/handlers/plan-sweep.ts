import { asStep, createHandler } from '@ami-lifecycle/lambda-kit';
import { z } from 'zod';
import { liftExpiredHolds } from '../use-cases/holds';
import { planSweep } from '../use-cases/plan-sweep';
import { loadSweepSettings } from '../use-cases/settings';
import { deps, holdRegions } from '../wiring';

/**
 * Decommission machine, first step: expired holds stop protecting (their EC2 deregistration protection
 * is lifted), then the plan is made from live inventory and usage and stored. Answers the Map's batches.
 */
export const handler = asStep(
  'PlanSweep',
  createHandler({
    name: 'decommission-plan',
    event: z.strictObject({ sweepId: z.string().min(1).max(80), dryRun: z.boolean() }),
    correlationIdPath: 'sweepId',
    useCase: async (input) => {
      const settings = await loadSweepSettings(deps.catalog);
      const holds = await liftExpiredHolds({
        catalog: deps.catalog,
        clock: deps.clock,
        regions: holdRegions,
      });
      const { plan, inventory, batches } = await planSweep(input, settings, deps);
      return {
        batches,
        actions: plan.actions.length,
        guard: plan.guard,
        summary: plan.summary,
        drift: { untracked: inventory.drift.untracked.length, missing: inventory.drift.missing.length },
        holdsLifted: holds.lifted.length,
        holdsNotLifted: holds.failed.map((f) => `${f.hold.id}: ${String(f.error)}`).slice(0, 10),
      };
    },
  }),
);
