import * as z from 'zod';
import { ValidationError } from '../errors';
import { regionSchema } from '../model';
import { organizationNotifySchema } from './notify-schema';
import { accountIdSchema, type Policy } from './policy-schema';
import { sweepGuardsSchema } from './retention-schema';

// The same rules as the policy file's (policy-schema.ts keeps its own private): a stored config is
// checked again when it is read, so it must stand on its own.
const ROLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const accountNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be 1-63 characters of a-z, 0-9 and -, starting with a letter');

const storedAccountSchema = z.strictObject({
  id: accountIdSchema.describe('The 12-digit account id.'),
  roleArn: z
    .string()
    .regex(ROLE_ARN, 'must be an IAM role ARN like arn:aws:iam::123456789012:role/name')
    .optional()
    .describe("Assumed for cross-account work (usage inventory); absent for the controller's own account."),
  regions: z
    .array(regionSchema)
    .min(1)
    .describe(
      "The regions this account uses, resolved: the organisation's enabled regions when the file said none.",
    ),
});

/**
 * The organisation-wide sections of the policy as the catalog stores them (next to the family configs):
 * what the decommission sweep and the notifications need besides the families. Derived from a parsed
 * policy by `organizationConfigOf`, so every default is applied and every account lists its regions.
 */
export const organizationConfigSchema = z
  .strictObject({
    organization: z
      .strictObject({
        id: z
          .string()
          .regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id like o-a1b2c3d4e5')
          .describe('The AWS Organizations id (`o-...`).'),
        managementAccountId: accountIdSchema.describe("The organization's management account."),
      })
      .optional()
      .describe("The policy's organization section, when it has one."),
    accounts: z
      .record(accountNameSchema, storedAccountSchema)
      .describe('The accounts by name, each with its role and its regions resolved.'),
    regions: z
      .strictObject({
        home: regionSchema.describe('Where the controller runs.'),
        enabled: z
          .array(regionSchema)
          .min(1)
          .describe('Every region images may be published to or used in; the home region is one of them.'),
      })
      .describe("The organisation's regions."),
    sweep: sweepGuardsSchema.describe('The retention sweep settings, every default applied.'),
    // Defaulted: organisation configs stored before notifications existed have none, and tell nobody.
    notify: organizationNotifySchema
      .prefault({})
      .describe(
        "The policy's notify section, every default applied: who is told what, and which requesters.",
      ),
  })
  .superRefine((config, ctx) => {
    const enabled = new Set(config.regions.enabled);
    if (!enabled.has(config.regions.home)) {
      ctx.addIssue({ code: 'custom', path: ['regions', 'enabled'], message: 'must include the home region' });
    }
    for (const [name, account] of Object.entries(config.accounts)) {
      account.regions.forEach((region, i) => {
        if (!enabled.has(region)) {
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', name, 'regions', i],
            message: `${region} is not one of the enabled regions`,
          });
        }
      });
    }
  });
export type OrganizationConfig = z.infer<typeof organizationConfigSchema>;

/** One stored version of the organisation config, as the catalog returns it (parse `config` to use it). */
export interface StoredOrganizationConfig {
  version: number;
  config: unknown;
  storedAt: string;
  storedBy: string;
}

/** The organisation config of a parsed policy: organization, accounts, regions, sweep guards, notify. */
export const organizationConfigOf = (policy: Policy): OrganizationConfig => ({
  ...(policy.organization === undefined
    ? {}
    : {
        organization: {
          id: policy.organization.id,
          managementAccountId: policy.organization.managementAccountId,
        },
      }),
  accounts: Object.fromEntries(
    Object.entries(policy.accounts).map(([name, account]) => [
      name,
      {
        id: account.id,
        ...(account.roleArn === undefined ? {} : { roleArn: account.roleArn }),
        regions: [...(account.regions ?? policy.regions.enabled)],
      },
    ]),
  ),
  regions: { home: policy.regions.home, enabled: [...policy.regions.enabled] },
  sweep: {
    maxRetirementsPerRun: policy.sweep.maxRetirementsPerRun,
    maxInventoryAgeMinutes: policy.sweep.maxInventoryAgeMinutes,
    afterPolicyChange: policy.sweep.afterPolicyChange,
    snapshotPricePerGiBMonth: { ...policy.sweep.snapshotPricePerGiBMonth },
  },
  notify: {
    recipients: policy.notify.recipients.map((r) => ({ address: r.address, events: [...r.events] })),
    ...(policy.notify.topicArn === undefined ? {} : { topicArn: policy.notify.topicArn }),
    originators: {
      domains: [...policy.notify.originators.domains],
      events: [...policy.notify.originators.events],
    },
  },
});

/** One stored version, parsed again; refused with its paths when it no longer parses. */
export const parseStoredOrganizationConfig = (
  stored: StoredOrganizationConfig,
): { config: OrganizationConfig; version: number } => {
  const parsed = organizationConfigSchema.safeParse(stored.config);
  if (!parsed.success) {
    throw new ValidationError(
      `stored organization config (version ${stored.version})`,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return { config: parsed.data, version: stored.version };
};
