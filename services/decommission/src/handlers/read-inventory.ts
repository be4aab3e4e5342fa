import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { readRegionInventory } from '../use-cases/plan-sweep';
import { loadSweepSettings } from '../use-cases/settings';
import { sweepIdSchema } from '../use-cases/sweep-id';
import { deps } from '../wiring';

/**
 * Decommission machine, one region: its managed AMIs, their references in the owner account and their
 * usage in every account they are shared with, stored for the plan. Answers counts, not the reading.
 */
export const handler = asStep(
  'ReadInventory',
  createHandlerWithoutIdempotency({
    name: 'decommission-inventory',
    event: z.strictObject({
      sweepId: sweepIdSchema,
      region: z
        .string()
        .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'must be an AWS region like eu-west-1'),
    }),
    correlationIdPath: 'sweepId',
    useCase: async (input) => readRegionInventory(input, await loadSweepSettings(deps.catalog), deps),
  }),
);
