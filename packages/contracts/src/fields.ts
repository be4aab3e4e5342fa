import * as z from 'zod';

/** The EventBridge `source` of every event this product emits. */
export const EVENT_SOURCE = 'ami-lifecycle';

// Identifiers are pattern-checked here rather than left as plain strings, so a producer bug
// (an instance id where an AMI id belongs, a local time without offset) is refused at the edge
// instead of surfacing later as a failed EC2 call in another service.

export const familyName = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'Expected a kebab-case family name such as golden-al2023');

/** Calendar `YYYY.MM.DD.N` or semver, whichever the family uses (design 3). */
export const imageVersion = z
  .string()
  .regex(
    /^(?:\d{4}\.\d{2}\.\d{2}\.\d+|\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/,
    'Expected a calendar (YYYY.MM.DD.N) or semver image version',
  );

export const amiId = z
  .string()
  .regex(/^ami-[0-9a-f]{8,17}$/, 'Expected an AMI id (ami- and 8 to 17 hex digits)');

export const snapshotId = z
  .string()
  .regex(/^snap-[0-9a-f]{8,17}$/, 'Expected a snapshot id (snap- and 8 to 17 hex digits)');

export const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'Expected an AWS region such as eu-west-1');

export const channelName = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9-]*$/, 'Expected a lower-case channel name such as stable');

export const isoTimestamp = z.iso.datetime({
  offset: true,
  error: 'Expected an ISO-8601 timestamp with Z or a UTC offset',
});

/** Free text that must say something: empty reasons make audit records useless. */
export const nonEmptyText = z.string().max(2048).regex(/\S/, 'Expected non-blank text');

/** Ids we mint ourselves (build, sweep); 80 is the Step Functions execution-name limit they end up in. */
export const runId = z
  .string()
  .max(80)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'Expected an id of letters, digits, and _ . : -');

/**
 * zod's records skip a `__proto__` key without a word (so that it cannot become the parsed object's
 * prototype), which would let an entry named `__proto__` through as if it were absent. Refused here
 * instead, as strict objects refuse it, before the record reads the rest; `message` says what the
 * record's keys are.
 */
export const refusingPrototypeKey = <T extends z.ZodType>(record: T, message: string) =>
  z.preprocess((input, ctx) => {
    if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message });
    }
    return input;
  }, record);

export const imageRef = z.strictObject({
  family: familyName,
  version: imageVersion,
  imageId: amiId,
});

export const severityCounts = z.strictObject({
  CRITICAL: z.int().nonnegative(),
  HIGH: z.int().nonnegative(),
  MEDIUM: z.int().nonnegative(),
  LOW: z.int().nonnegative(),
  INFORMATIONAL: z.int().nonnegative(),
  UNTRIAGED: z.int().nonnegative(),
});

export const severity = severityCounts.keyof();

/**
 * Fields every detail carries (design 4). `correlationId` follows one lifecycle story across
 * services; `idempotencyKey` is what consumers deduplicate on, because EventBridge delivers at
 * least once. `occurredAt` is the producer's (injectable) clock, not the envelope `time`,
 * so replays and simulated-clock runs stay deterministic.
 */
export const tracing = {
  correlationId: z.string().min(1).max(128),
  idempotencyKey: z.string().min(1).max(256),
  occurredAt: isoTimestamp,
};

/** The common identity of an event about one image version. */
export const imageIdentity = {
  family: familyName,
  version: imageVersion,
  ...tracing,
};

/** Who approved or rejected: the gate on its own (`auto`) or a named principal. */
export const approver = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('auto') }),
  z.strictObject({ kind: z.literal('person'), principal: z.string().min(1).max(256) }),
]);

/** What Image Deprecated / Disabled / Retired share: the sweep that decided it, and why. */
export const decommissionStep = {
  ...imageIdentity,
  imageId: amiId,
  sweepId: runId,
  reasons: z.array(nonEmptyText).min(1),
};
