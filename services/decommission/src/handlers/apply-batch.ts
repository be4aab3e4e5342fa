import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { applyBatch } from '../use-cases/apply-batch';
import { sweepIdSchema } from '../use-cases/sweep-id';
import { deps } from '../wiring';

/** Decommission machine, one Map item: one batch of the plan's actions, its outcome stored with the sweep. */
export const handler = asStep(
  'ApplyBatch',
  createHandlerWithoutIdempotency({
    name: 'decommission-apply',
    event: z.strictObject({ sweepId: sweepIdSchema, batch: z.number().int().nonnegative() }),
    correlationIdPath: 'sweepId',
    useCase: (input) => applyBatch(input, deps),
  }),
);
