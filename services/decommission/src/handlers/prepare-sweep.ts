import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { liftExpiredHolds } from '../use-cases/holds';
import { loadSweepSettings } from '../use-cases/settings';
import { sweepIdSchema } from '../use-cases/sweep-id';
import { catalog } from '../wiring/catalog';
import { home } from '../wiring/home';
import { holdRegions } from '../wiring/regions';

/**
 * Decommission machine, first step: expired holds stop protecting (their EC2 deregistration protection
 * is lifted, the hold released), and the regions to read are named from the stored policy.
 */
export const handler = asStep(
  'PrepareSweep',
  createHandlerWithoutIdempotency({
    name: 'decommission-prepare',
    event: z.strictObject({ sweepId: sweepIdSchema, dryRun: z.boolean() }),
    correlationIdPath: 'sweepId',
    useCase: async () => {
      const settings = await loadSweepSettings(catalog());
      const holds = await liftExpiredHolds({
        catalog: catalog(),
        clock: home.clock,
        regions: holdRegions,
      });
      return {
        regions: [...settings.regions],
        holdsLifted: holds.lifted.length,
        holdsNotLifted: holds.failed.map((f) => `${f.hold.id}: ${String(f.error)}`).slice(0, 10),
      };
    },
  }),
);
