/** The inputs of the inspect state machine's steps, as the definition's `Parameters` shape them. */
import * as z from 'zod';
import { inspectionRequestSchema } from '../use-cases/inspection';

const instanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/, 'Expected an instance id');
const counter = z.number().int().nonnegative();

export const startStepSchema = z.strictObject({ request: inspectionRequestSchema });

export const coverageStepSchema = z.strictObject({
  instanceId,
  attempts: counter,
  maxChecks: counter.min(1),
});

export const runTestsStepSchema = z.strictObject({
  family: inspectionRequestSchema.shape.family,
  instanceId,
  // Optional: an execution started before the definition passed it still runs its tests.
  inspectionId: inspectionRequestSchema.shape.inspectionId.optional(),
});

export const checkTestsStepSchema = z.strictObject({
  instanceId,
  commands: z.array(z.strictObject({ name: z.string().min(1), commandId: z.string().min(1) })),
  attempts: counter,
  maxChecks: counter.min(1),
});

export const recordVerdictStepSchema = z.strictObject({
  request: inspectionRequestSchema,
  instanceId,
  tests: z.array(
    z.strictObject({ name: z.string().min(1), passed: z.boolean(), detail: z.string().optional() }),
  ),
});

export const terminateStepSchema = z.strictObject({ request: inspectionRequestSchema });

export const recordFailureStepSchema = z.strictObject({
  request: inspectionRequestSchema,
  // What a Catch puts at its ResultPath: `Error` and `Cause` (a Lambda error's cause is JSON text).
  failure: z.object({ Error: z.string().min(1), Cause: z.string().optional() }),
});
