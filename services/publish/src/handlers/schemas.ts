/** The inputs of the publish state machine's steps, as the definition's `Parameters` shape them. */
import { imagePublished } from '@ami-lifecycle/contracts';
import * as z from 'zod';
import { publicationPlanSchema, publicationRequestSchema } from '../use-cases/publication';

const counter = z.number().int().nonnegative();
const plan = publicationPlanSchema.extend({ configVersion: z.number().int().positive() });

export const planStepSchema = z.strictObject({ request: publicationRequestSchema });
export const copyStepSchema = z.strictObject({ request: publicationRequestSchema, plan });
export const checkCopiesStepSchema = z.strictObject({
  request: publicationRequestSchema,
  plan,
  checks: counter,
});
export const shareStepSchema = copyStepSchema;
export const parametersStepSchema = z.strictObject({
  request: publicationRequestSchema,
  plan,
  progress: z
    .strictObject({
      checks: counter,
      /** Per parameter, keyed `<region>|<name>` by the step itself. */
      entries: imagePublished.refusingPrototypeKey(
        z.record(z.string(), z.strictObject({ writes: counter, looksSinceWrite: counter })),
        'Expected a parameter of the plan (<region>|<name>)',
      ),
    })
    .optional(),
});
export const completeStepSchema = copyStepSchema;
export const recordFailureStepSchema = z.strictObject({
  request: publicationRequestSchema,
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }),
  // Absent from the executions of a definition that did not hand the parameters over.
  parameters: publicationPlanSchema.shape.parameters.optional(),
});
