import { imageBuilt } from '@ami-lifecycle/contracts';
import { INSTANCE_STATES } from '@ami-lifecycle/core';
import * as z from 'zod';

/**
 * What the build state machine carries from step to step (`$.build`): which image and builder, which
 * component runs, and the iteration counter of the polling loop it is in. Every step handler parses it
 * at the edge and answers an updated copy; the machine's Choice states read `builderState`,
 * `stepStatus`, `stepIndex`/`stepCount` and `checks`/`maxChecks`.
 */
export const buildProgressSchema = z.object({
  /** The image the build makes, named as its Image Built will name it. */
  family: imageBuilt.schema.shape.family,
  version: imageBuilt.schema.shape.version,
  buildId: z.string().min(1),
  correlationId: z.string().min(1),
  instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'Expected an instance id'),
  /** The component to run next, or running now; `stepCount` once every one succeeded. */
  stepIndex: z.number().int().min(0),
  stepCount: z.number().int().min(0),
  stepName: z.string().min(1).optional(),
  commandId: z.string().min(1).optional(),
  stepStatus: z.enum(['running', 'succeeded', 'failed']).optional(),
  /** Why the step failed: the component, SSM's status, the exit code and the tail of stderr. */
  reason: z.string().min(1).optional(),
  builderState: z.enum(INSTANCE_STATES).optional(),
  /** Polls so far in the current loop, and the bound the machine enforces. */
  checks: z.number().int().min(0),
  maxChecks: z.number().int().positive(),
  /** Set once CreateImage was accepted. */
  imageId: z
    .string()
    .regex(/^ami-[0-9a-f]{8,17}$/, 'Expected an AMI id')
    .optional(),
});
export type BuildProgress = z.infer<typeof buildProgressSchema>;

/** Simulated or real, the machine's `Wait` between two looks at the builder or a command. */
export const POLL_SECONDS = 30;

/** Boot and stop take about a minute on AWS (30 s on the local cloud); 20 looks is ten minutes. */
export const BUILDER_MAX_CHECKS = 20;

/**
 * How many polls a component may take: its own timeout (SSM kills it then and reports `timed-out`), plus
 * two polls for delivery and the last report, so the machine's bound never fires before SSM's does.
 */
export const maxChecksFor = (timeoutSeconds: number): number => Math.ceil(timeoutSeconds / POLL_SECONDS) + 2;
