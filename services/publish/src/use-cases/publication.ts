import { createHash } from 'node:crypto';
import { imageApproved, imageBuilt, imagePublished } from '@ami-lifecycle/contracts';
import { amiIdSchema, familyNameSchema, type LaunchPermissionGrants } from '@ami-lifecycle/core';
import * as z from 'zod';
import { PlanNotExecutableError } from '../errors';
import type { PublishFamilyConfig } from './family-config';

/** What the publish state machine is started with: one approved image to publish. */
export const publicationRequestSchema = z.strictObject({
  /** The execution's name: at most 80 characters of what Step Functions accepts. */
  publicationId: z
    .string()
    .max(80)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'Expected an id of letters, digits, and _ . -'),
  family: familyNameSchema,
  /** As the Image Approved that starts the publication carries it. */
  version: imageApproved.schema.shape.version,
  /** The image in the home region. */
  imageId: amiIdSchema,
  correlationId: z.string().min(1).max(128),
});
export type PublicationRequest = z.infer<typeof publicationRequestSchema>;

const digest = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex');

/**
 * The publication of `family@version` started by one `Image Approved` (its idempotency key): every
 * delivery of that event names the same execution, so it publishes once.
 */
export const publicationIdFor = (family: string, version: string, idempotencyKey: string): string =>
  `${`${family}-${version}`.slice(0, 55)}-${digest(family, version, idempotencyKey).slice(0, 24)}`;

/** CopyImage's client token for one region's copy: a retried copy answers the first one. */
export const copyClientToken = (family: string, version: string, region: string): string =>
  `publish-${digest(family, version, region).slice(0, 48)}`;

/** A channel's SSM parameter name: the family's template with `{family}` and `{channel}` filled in. */
export const parameterName = (template: string, family: string, channel: string): string =>
  template.replaceAll('{family}', family).replaceAll('{channel}', channel);

const KEY_ARN = /^(arn:[a-z-]+:kms:)([a-z0-9-]+)(:\d{12}:key\/mrk-[0-9a-f]{32})$/;

/**
 * The family's root-volume key as it is named in `region`. An alias names a key per region, so it is
 * used as it is (the alias must exist there); a multi-Region key ARN is rewritten to its replica in
 * `region`. A single-Region key ARN cannot encrypt anywhere else, and the policy refuses it for a family
 * that publishes to other regions, so meeting one here is a stored config that bypassed validation.
 */
export const kmsKeyInRegion = (key: string, homeRegion: string, region: string): string => {
  if (key.startsWith('alias/') || region === homeRegion) return key;
  const m = KEY_ARN.exec(key);
  if (m === null) {
    throw new PlanNotExecutableError(
      region,
      `${key} is a single-Region key of ${homeRegion}; it cannot encrypt a copy in ${region}`,
    );
  }
  return `${m[1]}${region}${m[3]}`;
};

// The plan names what Image Published will carry (regions, channels, parameter names), so its fields
// follow that contract's rules.
const region = imageBuilt.schema.shape.region;
const channel = imagePublished.schema.shape.channels.element;
const { refusingPrototypeKey } = imagePublished;

/**
 * An SSM parameter a publication reads and writes: a name under one of the policy's templates, which
 * never start with `/aws` or `/ssm` (AWS reserves them; a name there is not one of ours).
 */
export const parameterNameSchema = imagePublished.ssmParameterName.refine(
  (name) => !/^\/(?:aws|ssm)(?:\/|$)/i.test(name),
  'Expected an SSM parameter name outside /aws and /ssm, which AWS reserves',
);

const PARTITION = 'aws(?:-cn|-us-gov)?';
const KMS_KEY_ARN = new RegExp(
  `^arn:${PARTITION}:kms:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\\d:\\d{12}:key/` +
    '(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$',
);
const KMS_ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

/**
 * A root-volume key as the policy admits it (an alias, or a key ARN), or as `kmsKeyInRegion` makes it
 * from one (a multi-Region key's ARN in another region).
 */
export const kmsKeySchema = z
  .string()
  .refine(
    (key) => KMS_ALIAS.test(key) || KMS_KEY_ARN.test(key),
    'Expected a KMS alias (alias/...) or a key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
  );

const regionList = z.array(region).min(1);

/** Everything a publication does, derived once from the family's config and carried by the execution. */
export const publicationPlanSchema = z.strictObject({
  homeRegion: region,
  regions: regionList,
  copyRegions: z.array(region),
  kmsKeyIds: refusingPrototypeKey(z.record(region, kmsKeySchema), 'Expected an AWS region such as eu-west-1'),
  channels: z.array(channel).min(1),
  grants: z.strictObject({
    accountIds: z.array(z.string().regex(/^\d{12}$/, 'Expected a 12-digit account id')),
    organizationArns: z.array(z.string().min(1)),
    organizationalUnitArns: z.array(z.string().min(1)),
  }),
  parameters: z.array(z.strictObject({ region, channel, name: parameterNameSchema })),
  /** How long the machine waits between looks at the copies, and how many looks it takes at most. */
  copyPollSeconds: z.number().int().positive(),
  maxCopyChecks: z.number().int().positive(),
  /** The same for SSM's asynchronous validation of the parameters. */
  parameterPollSeconds: z.number().int().positive(),
});

/** Everything a publication does, derived from the family's config alone. */
export interface PublicationPlan {
  homeRegion: string;
  /** The home region first, then the others in the order the config lists them. */
  regions: string[];
  /** The regions the image is copied to (every region but home). */
  copyRegions: string[];
  kmsKeyIds: Record<string, string>;
  channels: string[];
  /** Exactly whom the image is shared with in every region; anything else granted is taken away. */
  grants: LaunchPermissionGrants;
  /** One parameter per region and channel. */
  parameters: { region: string; channel: string; name: string }[];
  copyPollSeconds: number;
  maxCopyChecks: number;
  parameterPollSeconds: number;
}

// EC2 copies a small image within minutes and a large one within hours; four hours of looks a minute
// apart is the bound past which a copy is treated as failed.
const COPY_POLL_SECONDS = 60;
const MAX_COPY_CHECKS = 240;
// SSM validates an aws:ec2:image value within seconds.
const PARAMETER_POLL_SECONDS = 5;

export const publicationPlan = (config: PublishFamilyConfig, homeRegion: string): PublicationPlan => {
  const { publish } = config;
  const regions = [homeRegion, ...(publish.regions ?? []).filter((r) => r !== homeRegion)];
  const copyRegions = regions.slice(1);
  const key = config.build.rootVolume.kmsKeyId;
  return {
    homeRegion,
    regions,
    copyRegions,
    kmsKeyIds: Object.fromEntries(regions.map((r) => [r, kmsKeyInRegion(key, homeRegion, r)])),
    channels: [...publish.channels],
    grants: {
      accountIds: [...new Set(publish.sharing.accounts)].sort(),
      organizationArns:
        publish.sharing.organization && publish.sharing.organizationArn !== undefined
          ? [publish.sharing.organizationArn]
          : [],
      organizationalUnitArns: [...new Set(publish.sharing.organizationalUnits)].sort(),
    },
    parameters: regions.flatMap((region) =>
      publish.channels.map((channel) => ({
        region,
        channel,
        name: parameterName(publish.ssmParameterPath, config.name, channel),
      })),
    ),
    copyPollSeconds: COPY_POLL_SECONDS,
    maxCopyChecks: MAX_COPY_CHECKS,
    parameterPollSeconds: PARAMETER_POLL_SECONDS,
  };
};
