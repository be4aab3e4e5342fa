import { createHash } from 'node:crypto';
import { imageBuilt } from '@ami-lifecycle/contracts';
import { amiIdSchema, familyNameSchema, MANAGED_TAG, TAG_PREFIX } from '@ami-lifecycle/core';
import * as z from 'zod';

/** `candidate` decides approval; `reinspection` of a published image only feeds findings and `vulnerable`. */
export const PURPOSES = ['candidate', 'reinspection'] as const;
export type InspectionPurpose = (typeof PURPOSES)[number];

/**
 * One inspection, as the state machine carries it from step to step. `inspectionId` is derived from the
 * triggering event's idempotency key: it names the execution (one per event, however often delivered),
 * is the EC2 client token of the test instance (a retried launch answers the same instance) and tags it.
 */
export const inspectionRequestSchema = z.strictObject({
  inspectionId: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'Expected letters, digits, _ and -'),
  family: familyNameSchema,
  /** As the Image Built (or the catalog's published image) the inspection is of carries it. */
  version: imageBuilt.schema.shape.version,
  imageId: amiIdSchema,
  purpose: z.enum(PURPOSES),
  correlationId: z.string().min(1).max(128),
});
export type InspectionRequest = z.infer<typeof inspectionRequestSchema>;

/** Tags of a test instance: ours (`managed`), which image it tests, and which inspection owns it. */
export const TEST_INSTANCE_TAG = `${TAG_PREFIX}test-instance`;
export const INSPECTION_ID_TAG = `${TAG_PREFIX}inspection-id`;

export const testInstanceTags = (request: InspectionRequest): Record<string, string> => ({
  Name: `${request.family}-${request.version}-inspect`,
  [MANAGED_TAG]: 'true',
  [`${TAG_PREFIX}family`]: request.family,
  [`${TAG_PREFIX}version`]: request.version,
  // Not `build-id`: the build service terminates whatever carries its build id, and the reconciler
  // tells builders from test instances by this tag.
  [TEST_INSTANCE_TAG]: `${request.family}@${request.version}`,
  [INSPECTION_ID_TAG]: request.inspectionId,
});

/**
 * An id for an inspection: readable (purpose, family, version) and unique per key (a hash of it), within
 * the 64 characters of an EC2 client token and of the characters a Step Functions execution name allows.
 */
export const inspectionIdFor = (
  purpose: InspectionPurpose,
  family: string,
  version: string,
  key: string,
): string => {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
  const readable = `${purpose === 'candidate' ? 'inspect' : 'reinspect'}-${family}-${version}`
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 50);
  return `${readable}-${hash}`;
};

/**
 * Timing of the polling loops, from the Inspector scan timing: an instance boots in about 30 s, Inspector
 * sees it at its next poll (every 60 s) and completes the first scan 120 s later, so the first look at
 * 240 s usually finds it scanned, and later looks follow Inspector's poll interval. SSM delivers in about a
 * second and test commands take seconds, so tests are looked at every 15 s.
 */
export const TIMING = {
  firstScanWaitSeconds: 240,
  scanPollSeconds: 60,
  testPollSeconds: 15,
} as const;

/** How many coverage checks fit in the family's scan timeout (the first one after the first wait). */
export const maxCoverageChecks = (scanTimeoutMinutes: number): number =>
  1 +
  Math.max(0, Math.ceil((scanTimeoutMinutes * 60 - TIMING.firstScanWaitSeconds) / TIMING.scanPollSeconds));

/** How many test checks fit in the longest test's timeout, plus two for delivery and the last look. */
export const maxTestChecks = (timeouts: readonly number[]): number =>
  Math.ceil(Math.max(0, ...timeouts) / TIMING.testPollSeconds) + 2;
