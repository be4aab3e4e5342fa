/**
 * What both adapters compute before they write: input checks, the next image, audit records and channel
 * moves. Kept pure and shared so the DynamoDB adapter and the in-memory twin cannot disagree on them.
 */
import {
  type AuditContext,
  type AuditRecord,
  type Channel,
  channelSchema,
  familyNameSchema,
  type Image,
  imageSchema,
  isoTimestampSchema,
  type LifecycleState,
  type OrganizationConfig,
  organizationConfigSchema,
  type RetentionPlan,
  retentionPlanSchema,
  type TransitionRequest,
  ValidationError,
} from '@ami-lifecycle/core';
import * as z from 'zod';
import { ChannelTargetNotPublishedError } from './errors';

const issuesOf = (error: z.ZodError, prefix = '') =>
  error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.'),
    message: issue.message,
  }));

/** Parses an input with `schema`, or throws core's `ValidationError` naming every bad path. */
export const parseInput = <S extends z.ZodType>(schema: S, value: unknown, subject: string): z.infer<S> => {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(subject, issuesOf(result.error));
  return result.data;
};

const auditContextSchema = z.strictObject({
  actor: z.string().min(1),
  reason: z.string().min(1),
  correlationId: z.string().min(1),
  policyVersion: z.number().int().positive().optional(),
});

export const parseAuditContext = (audit: AuditContext): AuditContext =>
  parseInput(auditContextSchema, audit, 'audit context');

/** Checks the audit of a non-state update; returns its parts. */
export const parseUpdateAudit = (
  audit: AuditContext & { at: string; action: string },
): { at: string; action: string; context: AuditContext } => {
  const { at, action, ...context } = audit;
  parseInput(z.string().min(1), action, 'audit action');
  return { at: parseTimestamp(at, 'update time'), action, context: parseAuditContext(context) };
};

export const parseTimestamp = (at: string, subject: string): string =>
  parseInput(isoTimestampSchema, at, subject);

export const parseFamily = (family: string): string => parseInput(familyNameSchema, family, 'family');

const stateVersionSchema = z.number().int().nonnegative();
export const parseStateVersion = (n: number): number =>
  parseInput(stateVersionSchema, n, 'expected stateVersion');

export const expectedRevisionSchema = z.number().int().positive().nullable();

export const holdReleaseSchema = z.strictObject({
  id: z.string().min(1),
  at: isoTimestampSchema,
  by: z.string().min(1),
});

export type PlanListing = Pick<RetentionPlan, 'sweepId' | 'generatedAt' | 'guard' | 'summary'>;

/** What `listPlans` shows of a plan. */
export const planListing = (plan: PlanListing): PlanListing => ({
  sweepId: plan.sweepId,
  generatedAt: plan.generatedAt,
  guard: plan.guard,
  summary: plan.summary,
});

/**
 * The longest `by` a config apply may record (a user name or an e-mail address fits many times over):
 * bounded, so the size of a stored config item is known before the apply is run.
 */
export const MAX_CONFIG_AUTHOR_LENGTH = 256;

const configOptsSchema = z.strictObject({
  expectedCurrent: z.number().int().positive().nullable(),
  at: isoTimestampSchema,
  by: z.string().min(1).max(MAX_CONFIG_AUTHOR_LENGTH),
});

/** Checks the options of a config apply (the version read, when and by whom). */
export const parseConfigOpts = (opts: {
  expectedCurrent: number | null;
  at: string;
  by: string;
}): z.infer<typeof configOptsSchema> => parseInput(configOptsSchema, opts, 'config apply options');

/** Checks a config apply; the config must survive JSON, which is how both adapters store it. */
export const parseConfigInput = (
  family: string,
  config: unknown,
  opts: { expectedCurrent: number | null; at: string; by: string },
): { family: string; configJson: string; opts: z.infer<typeof configOptsSchema> } => {
  parseFamily(family);
  const parsedOpts = parseConfigOpts(opts);
  let configJson: string | undefined;
  try {
    configJson = JSON.stringify(config);
  } catch (error) {
    throw new ValidationError('family config', [{ path: '', message: 'must be JSON-serialisable' }], {
      cause: error,
    });
  }
  if (configJson === undefined) {
    throw new ValidationError('family config', [{ path: '', message: 'must be JSON-serialisable' }]);
  }
  return { family, configJson, opts: parsedOpts };
};

/**
 * Checks an organisation config apply: the config must be one the readers can parse again (unlike a
 * family's, which `config apply` checks against the whole file), and survive JSON.
 */
export const parseOrganizationConfigInput = (
  config: OrganizationConfig,
  opts: { expectedCurrent: number | null; at: string; by: string },
): { configJson: string; opts: z.infer<typeof configOptsSchema> } => {
  const parsedOpts = parseConfigOpts(opts);
  const parsed = parseInput(organizationConfigSchema, config, 'organization config');
  return { configJson: JSON.stringify(parsed), opts: parsedOpts };
};

const IMMUTABLE = ['family', 'version', 'state', 'stateVersion', 'stateChangedAt', 'createdAt'] as const;

/**
 * The image after a change: patch fields replace the current ones, except `amiIds`, which are merged
 * per region (publish adds the copies' ids without repeating the build region's). `undefined` in a patch
 * means "not given"; fields cannot be removed. The result must satisfy the image schema.
 */
export const nextImage = (
  current: Image,
  patch: TransitionRequest['patch'],
  change: { state?: LifecycleState; at?: string },
): Image => {
  const given = Object.fromEntries(Object.entries(patch ?? {}).filter(([, v]) => v !== undefined));
  const immutable = IMMUTABLE.filter((k) => k in given);
  if (immutable.length > 0) {
    throw new ValidationError(
      'image patch',
      immutable.map((k) => ({ path: k, message: 'cannot be patched' })),
    );
  }
  const candidate = {
    ...current,
    ...given,
    amiIds: { ...current.amiIds, ...(patch?.amiIds ?? {}) },
    stateVersion: current.stateVersion + 1,
    ...(change.state === undefined ? {} : { state: change.state, stateChangedAt: change.at }),
  };
  return parseInput(imageSchema, candidate, 'image patch');
};

/** Regions whose AMI id is new or different in `after`: their pointer items must be (re)written. */
export const changedAmiIds = (before: Image | undefined, after: Image): [region: string, amiId: string][] =>
  Object.entries(after.amiIds).filter(([region, amiId]) => before?.amiIds[region] !== amiId);

export const createAudit = (image: Image, audit: AuditContext): AuditRecord =>
  record(image, image.createdAt, image.stateVersion, audit, { action: 'create', to: image.state });

export const transitionAudit = (req: TransitionRequest, next: Image): AuditRecord =>
  record(next, req.at, next.stateVersion, req.audit, { action: 'transition', from: req.from, to: req.to });

export const updateAudit = (
  next: Image,
  audit: AuditContext & { at: string; action: string },
): AuditRecord => {
  const { at, action, ...context } = audit;
  return record(next, at, next.stateVersion, context, { action });
};

/** Channel moves are audited on the image the channel now points at. */
export const channelAudit = (image: Image, channel: Channel, audit: AuditContext): AuditRecord =>
  record(image, channel.updatedAt, image.stateVersion, audit, { action: `set-channel:${channel.name}` });

const record = (
  image: Pick<Image, 'family' | 'version'>,
  at: string,
  seq: number,
  audit: AuditContext,
  what: { action: string; from?: LifecycleState; to?: LifecycleState },
): AuditRecord => ({
  family: image.family,
  version: image.version,
  at,
  seq,
  action: what.action,
  ...(what.from === undefined ? {} : { from: what.from }),
  ...(what.to === undefined ? {} : { to: what.to }),
  actor: audit.actor,
  reason: audit.reason,
  ...(audit.policyVersion === undefined ? {} : { policyVersion: audit.policyVersion }),
  correlationId: audit.correlationId,
});

/** The channel after pointing it at `version`; revisions count moves from 1. */
export const nextChannel = (
  family: string,
  name: string,
  version: string,
  current: Channel | undefined,
  at: string,
  by: string,
): Channel =>
  parseInput(
    channelSchema,
    { family, name, version, updatedAt: at, updatedBy: by, revision: (current?.revision ?? 0) + 1 },
    'channel',
  );

/** Checks a transition request before any read, so an illegal or malformed one touches nothing. */
export const checkTransitionRequest = (req: TransitionRequest): TransitionRequest => {
  parseFamily(req.family);
  parseStateVersion(req.expectedStateVersion);
  parseTimestamp(req.at, 'transition time');
  parseAuditContext(req.audit);
  const channels = req.moveChannels ?? [];
  if (new Set(channels).size !== channels.length) {
    throw new ValidationError('transition', [{ path: 'moveChannels', message: 'names a channel twice' }]);
  }
  const [first] = channels;
  if (first !== undefined && req.to !== 'published') {
    throw new ChannelTargetNotPublishedError(req.family, first, req.version, req.to);
  }
  return req;
};

/**
 * A plan's decisions name each image once, and every action is one of those images: the decision item
 * of an image carries its action.
 */
export const checkPlan = (plan: RetentionPlan): RetentionPlan => {
  const parsed = parseInput(retentionPlanSchema, plan, 'retention plan');
  const decided = new Set<string>();
  const issues: { path: string; message: string }[] = [];
  parsed.decisions.forEach((d, i) => {
    const key = `${d.family}@${d.version}`;
    if (decided.has(key)) issues.push({ path: `decisions.${i}`, message: `${key} is decided twice` });
    decided.add(key);
  });
  const acted = new Set<string>();
  parsed.actions.forEach((a, i) => {
    const key = `${a.family}@${a.version}`;
    if (!decided.has(key)) issues.push({ path: `actions.${i}`, message: `${key} has no decision` });
    if (acted.has(key)) issues.push({ path: `actions.${i}`, message: `${key} has two actions` });
    acted.add(key);
  });
  if (issues.length > 0) throw new ValidationError('retention plan', issues);
  return parsed;
};
