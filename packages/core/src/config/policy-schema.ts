import * as z from 'zod';
import { amiIdSchema, channelSchema, familyNameSchema, regionSchema } from '../model';
import { gateSchema } from './gate-schema';
import { familyNotifySchema, organizationNotifySchema } from './notify-schema';
import { retentionPolicySchema, sweepGuardsSchema } from './retention-schema';

/** The only policy format this controller reads. */
export const POLICY_API_VERSION = 'ami-lifecycle/v1';

/** Where a channel's current AMI id is written unless the family says otherwise. */
export const DEFAULT_SSM_PARAMETER_PATH = '/ami-lifecycle/{family}/{channel}';

export const PUBLIC_SHARING_MESSAGE =
  'public sharing is never allowed: images are shared only with the accounts, organization and OUs listed under sharing';

const PUBLIC_SHARING_KEYS = new Set([
  'public',
  'all',
  'everyone',
  'anyone',
  'world',
  'group',
  'groups',
  'usergroups',
]);
const PUBLIC_PRINCIPALS = new Set(['all', '*', 'public', 'everyone', 'anyone']);

/** Whether a key under `publish` or `sharing` is an attempt to share publicly (`public: true`, `group: all`...). */
export const isPublicSharingKey = (key: string): boolean => PUBLIC_SHARING_KEYS.has(key.toLowerCase());

/** Whether a sharing target names everyone rather than an account (`all`, `*`, `public`). */
export const isPublicPrincipal = (value: string): boolean =>
  PUBLIC_PRINCIPALS.has(value.trim().toLowerCase());

const PARTITION = 'aws(?:-cn|-us-gov)?';
const REGION = '[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\\d';
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}):role/[\\w+=,.@/-]{1,512}$`);
const INSTANCE_PROFILE = new RegExp(
  `^(?:[\\w+=,.@-]{1,128}|arn:${PARTITION}:iam::\\d{12}:instance-profile/[\\w+=,.@/-]{1,512})$`,
);
const KMS_KEY_ARN = new RegExp(
  `^arn:${PARTITION}:kms:(${REGION}):\\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`,
);
const KMS_ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
const OU_ARN = new RegExp(
  `^arn:${PARTITION}:organizations::(\\d{12}):ou/(o-[a-z0-9]{10,32})/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$`,
);
const ORGANIZATION_ARN = new RegExp(
  `^arn:${PARTITION}:organizations::\\d{12}:organization/o-[a-z0-9]{10,32}$`,
);
// The key AWS manages for EBS in each account cannot be used by another account, so an image
// encrypted with it cannot be launched by anyone it is shared with.
const AWS_MANAGED_EBS_KEY = 'alias/aws/ebs';
// SSM Run Command refuses an executionTimeout above 48 hours.
const MAX_COMMAND_SECONDS = 172_800;
// EC2 allows 50 tags per image; the controller writes its own five `ami-lifecycle:*` tags.
const MAX_USER_TAGS = 45;
const SSM_NAME_MAX_LENGTH = 1011;
const SSM_MAX_DEPTH = 15;

// YAML reads unquoted digits as a number and drops leading zeros, so `012345678901` would silently
// become another account; insisting on a string is the only safe reading.
const quotedDigits = (iss: { input?: unknown }): string | undefined =>
  typeof iss.input === 'number'
    ? 'must be a quoted string: YAML reads unquoted digits as a number'
    : undefined;

/** A 12-digit AWS account id, written as a string. */
export const accountIdSchema = z
  .string({ error: quotedDigits })
  .regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

const slugSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be 1-63 characters of a-z, 0-9 and -, starting with a letter');
const channelNameSchema = channelSchema.shape.name;
const positiveInt = z.number().int().positive();
const commandsSchema = z
  .array(z.string().refine((command) => command.trim() !== '', 'must not be empty'))
  .min(1, 'must list at least one command');
const commandTimeoutSchema = positiveInt.max(
  MAX_COMMAND_SECONDS,
  'must be at most 172800 (48 hours, the SSM limit)',
);

const componentSchema = z.strictObject({
  name: slugSchema.describe(
    "The component's name, unique in the family; the SSM command that runs it is labelled with it.",
  ),
  kind: z
    .enum(['os-update', 'agent', 'hardening', 'application', 'custom'])
    .describe('What the component does; `os-update` components run first, the others in the order listed.'),
  commands: commandsSchema.describe(
    'Shell commands run through SSM (`AWS-RunShellScript`) on the builder, in order; a failing command fails the build.',
  ),
  timeoutSeconds: commandTimeoutSchema
    .default(3600)
    .describe('How long the commands may run, in seconds; at most 172800 (48 hours, the SSM limit).'),
});

const testSchema = z.strictObject({
  name: slugSchema.describe("The test's name, unique in the family."),
  commands: commandsSchema.describe(
    'Shell commands run through SSM on the test instance, in order; the test passes when every one succeeds.',
  ),
  timeoutSeconds: commandTimeoutSchema
    .default(600)
    .describe('How long the commands may run, in seconds; at most 172800 (48 hours, the SSM limit).'),
});

const rootVolumeSchema = z.strictObject({
  sizeGiB: positiveInt
    .max(16_384, 'must be at most 16384 (the EBS volume limit)')
    .describe("The root volume's size in GiB; at most 16384 (the EBS volume limit)."),
  kmsKeyId: z
    .string()
    .refine(
      (v) => KMS_ALIAS.test(v) || KMS_KEY_ARN.test(v),
      'must be a KMS alias (alias/...) or a key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
    )
    .describe(
      'The customer-managed KMS key that encrypts the root volume and every copy: an alias that exists in every region the family publishes to, or a key ARN in the home region (a multi-Region key `mrk-...` when the family publishes to other regions). `alias/aws/ebs` cannot be shared.',
    ),
  encrypted: z
    .literal(true, {
      error: 'must be true: root volumes are always encrypted, and copies and shares inherit it',
    })
    .default(true)
    .meta({
      description: 'Always true: root volumes are always encrypted, and copies and shares inherit it.',
      examples: [true],
    }),
});

const buildSchema = z.strictObject({
  instanceType: z
    .string()
    .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type like t3.medium')
    .describe('The EC2 instance type of the builder and of the test instance.'),
  subnet: z
    .string()
    .regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id like subnet-0123456789abcdef0')
    .optional()
    .describe(
      "The subnet the builder and the test instance are launched in; the account's default subnet when absent. It needs a route to SSM (a NAT gateway or VPC endpoints).",
    ),
  securityGroup: z
    .string()
    .regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id like sg-0123456789abcdef0')
    .optional()
    .describe(
      "The security group of the builder and the test instance; the subnet's default group when absent. No inbound rule is needed: commands go through SSM.",
    ),
  instanceProfile: z
    .string()
    .regex(INSTANCE_PROFILE, 'must be an instance profile name or ARN')
    .describe(
      'The instance profile (name or ARN) of the builder and the test instance; its role needs SSM managed-instance permissions.',
    ),
  components: z
    .array(componentSchema)
    .default([])
    .describe(
      'What the builder runs, one SSM command each: the `os-update` ones first, the rest in this order; a failed component fails the build.',
    ),
  rootVolume: rootVolumeSchema.describe("The image's root volume: its size and its encryption key."),
});

const imageOwnerSchema = z
  .string({ error: quotedDigits })
  .regex(
    /^(?:\d{12}|amazon|self|aws-marketplace)$/,
    'must be a 12-digit account id, amazon, self or aws-marketplace',
  );
const ssmParameterNameSchema = z
  .string()
  .max(SSM_NAME_MAX_LENGTH)
  .regex(/^\/?[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/, 'must be an SSM parameter name like /aws/service/...');

type SourceVariant = { amiId: string } | { nameFilter: string; owners: string[] } | { ssmParameter: string };

const SOURCE_KINDS = 'exactly one of { amiId }, { nameFilter, owners } or { ssmParameter }';

// Written as one object so a typo inside a variant gets its own precise error.
const sourceSchema = z
  .strictObject(
    {
      amiId: amiIdSchema
        .optional()
        .meta({ description: 'Build from exactly this AMI.', examples: ['ami-0123456789abcdef0'] }),
      nameFilter: z
        .string()
        .min(1)
        .max(128)
        .optional()
        .describe('An EC2 image name filter (`*` wildcards); the newest match among `owners` is used.'),
      owners: z
        .array(imageOwnerSchema)
        .min(1)
        .optional()
        .describe(
          'Whose images `nameFilter` searches: 12-digit account ids, `amazon`, `self` or `aws-marketplace`; required with `nameFilter`, since anyone can publish an AMI with a matching name.',
        ),
      ssmParameter: ssmParameterNameSchema
        .optional()
        .describe(
          "An SSM parameter holding an AMI id, such as AWS's public `/aws/service/ami-amazon-linux-latest/...`; read in the home region at build time.",
        ),
    },
    {
      error: (iss) =>
        iss.input === undefined ? `is required for a golden family: ${SOURCE_KINDS}` : undefined,
    },
  )
  .superRefine((s, ctx) => {
    const given = [s.amiId, s.nameFilter, s.ssmParameter].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({ code: 'custom', message: `must be ${SOURCE_KINDS}`, input: s });
    } else if (s.nameFilter !== undefined && s.owners === undefined) {
      // Without owners, EC2 searches every public image, and anyone can publish an AMI whose name
      // matches the filter: the newest match could be an attacker's.
      ctx.addIssue({
        code: 'custom',
        path: ['owners'],
        message:
          'is required with nameFilter: without owners any public AMI with a matching name could be picked',
        input: s,
      });
    } else if (s.nameFilter === undefined && s.owners !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['owners'], message: 'only applies with nameFilter', input: s });
    }
  })
  // Only narrows the type: by now exactly one variant holds. A `.pipe` into a union would do the same,
  // but zod then lets the strict object's unknown keys through (a misspelt `owner` dropped unreported).
  .transform((s) => s as SourceVariant)
  .meta({
    description:
      'Where a golden image starts from: exactly one of `amiId`, `nameFilter` with `owners`, or `ssmParameter`.',
    oneOf: [{ required: ['amiId'] }, { required: ['nameFilter', 'owners'] }, { required: ['ssmParameter'] }],
  });

const parentRefSchema = z.strictObject(
  {
    family: familyNameSchema.describe('The family this one builds on; it must be a family of the policy.'),
    channel: channelNameSchema.describe(
      "The parent's channel whose current image this family builds on; the parent must publish it.",
    ),
  },
  {
    error: (iss) =>
      iss.input === undefined
        ? 'is required: an application family builds on { family, channel } of its parent'
        : undefined,
  },
);

const inspectSchema = z.strictObject({
  gate: gateSchema
    .prefault({})
    .describe("The security gate a candidate must pass on its test instance's Inspector findings."),
  tests: z
    .array(testSchema)
    .default([])
    .describe(
      'Commands run on the test instance through SSM after the scan; a failing test fails the inspection.',
    ),
  reinspectEveryDays: positiveInt
    .default(7)
    .describe('Published images are inspected again this often, besides on every new Inspector finding.'),
  scanTimeoutMinutes: positiveInt
    .max(1440)
    .default(60)
    .describe(
      'How long to wait for Inspector to cover and scan the test instance before failing the inspection; at most 1440.',
    ),
});

const publicKeysError = (iss: { code?: string; keys?: string[] }): string | undefined =>
  iss.code === 'unrecognized_keys' && iss.keys?.some(isPublicSharingKey) ? PUBLIC_SHARING_MESSAGE : undefined;

const sharingSchema = z.strictObject(
  {
    accounts: z
      .array(
        z
          .string({ error: quotedDigits })
          .min(1)
          .refine((v) => !isPublicPrincipal(v), PUBLIC_SHARING_MESSAGE),
      )
      .default([])
      .describe(
        'Accounts that may launch the image: names from `accounts`, or ids of accounts listed there; resolved to ids when parsed.',
      ),
    organization: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Share with the whole organization named at the top of the file (needs the `organization` section).',
        examples: [true],
      }),
    organizationalUnits: z
      .array(
        z.string().regex(OU_ARN, 'must be an OU ARN like arn:aws:organizations::<account>:ou/o-.../ou-...'),
      )
      .default([])
      .describe(
        "Organizational units whose accounts may launch the image, as OU ARNs of the file's organization.",
      ),
    organizationArn: z
      .string()
      .regex(
        ORGANIZATION_ARN,
        'must be an organization ARN like arn:aws:organizations::<account>:organization/o-...',
      )
      .optional()
      .meta({
        description:
          "Not written in a policy file: filled in from the file's `organization` section when `organization` is true, so that a family config stored on its own still says whom to share with.",
        examples: ['arn:aws:organizations::111111111111:organization/o-testorg123'],
      }),
  },
  { error: publicKeysError },
);

const ssmParameterPathSchema = z
  .string()
  .regex(
    /^\/[A-Za-z0-9_.\-/{}]+$/,
    'must be an absolute SSM path of A-Z, a-z, 0-9, _ . - / and {family} {channel}',
  )
  .superRefine((template, ctx) => {
    const unknown = [...template.matchAll(/\{([^}]*)\}/g)]
      .map((m) => m[1])
      .filter((p) => p !== 'family' && p !== 'channel');
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown placeholder {${unknown[0]}}: use {family} and {channel}`,
      });
    }
    if (/^\/(aws|ssm)(\/|$)/i.test(template)) {
      ctx.addIssue({ code: 'custom', message: 'must not start with /aws or /ssm, which AWS reserves' });
    }
    if (template.split('/').length - 1 > SSM_MAX_DEPTH) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${SSM_MAX_DEPTH} levels deep (the SSM limit)`,
      });
    }
  });

const publishSchema = z.strictObject(
  {
    approval: z
      .enum(['auto', 'manual'])
      .default('manual')
      .describe(
        '`auto` publishes on a passing gate; `manual` waits for a person (`amictl approve`), which is the safe default.',
      ),
    channels: z
      .array(channelNameSchema)
      .min(1)
      .default(['latest'])
      .describe(
        'The channels a publication moves to the new image; each has an SSM parameter per region. Children build on one of them.',
      ),
    regions: z
      .array(regionSchema)
      .min(1)
      .optional()
      .describe(
        'Regions the image is copied to, each one of `regions.enabled`; the home region, where it is built, when absent.',
      ),
    sharing: sharingSchema
      .prefault({})
      .describe('Who may launch the published image; never public. Nobody else when absent.'),
    ssmParameterPath: ssmParameterPathSchema.default(DEFAULT_SSM_PARAMETER_PATH).meta({
      description:
        "Template of each channel's SSM parameter, which holds the channel's AMI id in each region; `{family}` and `{channel}` are filled in.",
      examples: ['/golden/{family}/{channel}'],
    }),
  },
  { error: publicKeysError },
);

const refreshSchema = z.strictObject({
  onParentPublish: z
    .boolean()
    .default(true)
    .describe('Rebuild when the parent family publishes on the channel this family builds from.'),
  onVulnerable: z
    .boolean()
    .default(true)
    .describe('Rebuild when a published image of this family is found vulnerable.'),
  maxBaseAgeDays: positiveInt
    .optional()
    .describe(
      'Rebuild when the base (parent image or source AMI) is older than this many days, even if nothing changed; never when absent.',
    ),
});

const tagsSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(128)
      .refine(
        (k) => !/^(aws|ami-lifecycle):/i.test(k),
        // `ami-lifecycle:managed` decides what the controller may delete, so it must not be settable here.
        'must not start with aws: or ami-lifecycle:, which AWS and the controller reserve',
      ),
    z.string().max(256),
  )
  .refine((tags) => Object.keys(tags).length <= MAX_USER_TAGS, `must have at most ${MAX_USER_TAGS} tags`)
  .default({});

const familyFields = {
  name: familyNameSchema.optional().meta({
    description:
      "Optional; when given it must equal the family's key under `families`. It lets a stored family config stand alone.",
    examples: ['golden-al2023'],
  }),
  description: z
    .string()
    .max(255)
    .optional()
    .describe('What the family is for, for people; at most 255 characters.'),
  versioning: z
    .strictObject({
      scheme: z
        .enum(['calendar', 'semver'])
        .default('calendar')
        .describe(
          'How versions are numbered: `calendar` (`YYYY.MM.DD.N`, N from 1) or `semver` (`1.0.0`, the minor raised on each build).',
        ),
    })
    .prefault({})
    .describe("How the family's image versions are numbered."),
  build: buildSchema.describe(
    'How an image of the family is built: the builder, its components and its root volume.',
  ),
  inspect: inspectSchema
    .prefault({})
    .describe(
      'How a candidate is inspected (test instance, Inspector, tests, the gate) and how often a published image is inspected again.',
    ),
  publish: publishSchema
    .prefault({})
    .describe('How an approved image is published: approval, channels, regions, sharing and SSM parameters.'),
  refresh: refreshSchema
    .prefault({})
    .describe('When the refresh service rebuilds the family without being asked.'),
  retention: retentionPolicySchema.describe(
    "When the family's images are deprecated, disabled and retired; the never-rules keep whatever is in use, held, pointed to by a channel or the parent of an image that stays.",
  ),
  tags: tagsSchema.describe(
    'Extra tags on the image and its snapshots, e.g. for cost allocation; at most 45, none starting with `aws:` or `ami-lifecycle:`.',
  ),
  notify: familyNotifySchema
    .prefault({})
    .describe(
      "Who is told about this family's builds and images (inspection completed, image rejected, build failed, image vulnerable, image published), besides the organisation's recipients under `notify` at the top of the file. Nobody more when absent.",
    ),
};

const goldenFamilySchema = z.strictObject({
  kind: z
    .literal('golden')
    .describe(
      "`golden` builds from a source AMI; `application` builds on a parent family's published image.",
    ),
  source: sourceSchema,
  parent: z
    .never({
      error:
        'a golden family builds from its source, not a parent; use kind: application to build on a family',
    })
    .optional(),
  ...familyFields,
});

const applicationFamilySchema = z.strictObject({
  kind: z
    .literal('application')
    .describe(
      "`golden` builds from a source AMI; `application` builds on a parent family's published image.",
    ),
  parent: parentRefSchema.describe(
    "The family and channel an application family builds on: each build starts from the channel's current image.",
  ),
  source: z
    .never({
      error:
        "an application family builds on its parent's published image, so it has no source; use kind: golden",
    })
    .optional(),
  ...familyFields,
});

/**
 * One family's config, as written under `families.<name>`. Rules that need the rest of the file
 * (parents, regions, accounts) are checked by `policySchema`.
 */
export const familyConfigSchema = z.discriminatedUnion(
  'kind',
  [goldenFamilySchema, applicationFamilySchema],
  {
    error: (iss) => (iss.code === 'invalid_union' ? 'kind must be golden or application' : undefined),
  },
);

const accountSchema = z.strictObject({
  id: accountIdSchema.describe('The 12-digit account id, quoted: YAML reads unquoted digits as a number.'),
  roleArn: z
    .string()
    .regex(ROLE_ARN, 'must be an IAM role ARN like arn:aws:iam::123456789012:role/name')
    .optional()
    .describe(
      "A role in this account, assumed for cross-account work (usage inventory before an image is disabled or retired); absent for the controller's own account. Without it, images shared with the account are never retired, since their use cannot be seen.",
    ),
  regions: z
    .array(regionSchema)
    .min(1)
    .optional()
    .describe('Regions this account uses, each one of `regions.enabled`; every enabled region when absent.'),
});

type Path = (string | number)[];
type Report = (path: Path, message: string) => void;

// The file-wide rules run even when parts of the file are malformed, so that one run names every
// problem; they therefore read the raw values defensively and skip whatever they cannot read.
const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const asList = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);
const asText = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const texts = (v: unknown): string[] => (asList(v) ?? []).filter((x): x is string => typeof x === 'string');
const firstMessage = (schema: z.ZodType, v: unknown): string | undefined =>
  schema.safeParse(v).error?.issues[0]?.message;

const reportDuplicates = (
  items: unknown[] | undefined,
  keyOf: (item: unknown) => string | undefined,
  at: (index: number) => Path,
  what: string,
  report: Report,
): void => {
  const firstAt = new Map<string, number>();
  items?.forEach((item, index) => {
    const key = keyOf(item);
    if (key === undefined) return;
    const seen = firstAt.get(key);
    if (seen === undefined) firstAt.set(key, index);
    else report(at(index), `duplicate ${what} "${key}" (also at index ${seen})`);
  });
};

interface Org {
  regions: Set<string> | undefined;
  home: string | undefined;
  /** Account name -> id, for the accounts whose id is well formed. */
  accounts: Map<string, string>;
  organization: { id?: string; managementAccountId?: string } | undefined;
}

const checkRegions = (root: Record<string, unknown>, report: Report): Pick<Org, 'regions' | 'home'> => {
  const regions = asRecord(root.regions);
  const home = asText(regions?.home);
  const enabled =
    regions === undefined ? undefined : regions.enabled === undefined ? [] : asList(regions.enabled);
  reportDuplicates(enabled, asText, (i) => ['regions', 'enabled', i], 'region', report);
  return {
    home,
    regions:
      enabled === undefined ? undefined : new Set([...texts(enabled), ...(home === undefined ? [] : [home])]),
  };
};

const checkAccounts = (root: Record<string, unknown>, regions: Set<string> | undefined, report: Report) => {
  const names = new Map<string, string>();
  const ownerOfId = new Map<string, string>();
  for (const [name, value] of Object.entries(asRecord(root.accounts) ?? {})) {
    const nameProblem = firstMessage(slugSchema, name);
    if (nameProblem !== undefined) report(['accounts', name], `account name ${nameProblem}`);
    else if (isPublicPrincipal(name))
      report(['accounts', name], `"${name}" is reserved: ${PUBLIC_SHARING_MESSAGE}`);
    const account = asRecord(value);
    const id = asText(account?.id);
    if (account === undefined || id === undefined || !/^\d{12}$/.test(id)) continue;
    names.set(name, id);
    const other = ownerOfId.get(id);
    if (other !== undefined) report(['accounts', name, 'id'], `is also the id of account "${other}"`);
    else ownerOfId.set(id, name);
    const roleAccount = ROLE_ARN.exec(asText(account.roleArn) ?? '')?.[1];
    if (roleAccount !== undefined && roleAccount !== id) {
      report(
        ['accounts', name, 'roleArn'],
        `is a role in account ${roleAccount}; cross-account work assumes a role in ${id}`,
      );
    }
    const used = asList(account.regions);
    reportDuplicates(used, asText, (i) => ['accounts', name, 'regions', i], 'region', report);
    used?.forEach((region, i) => {
      if (
        regions !== undefined &&
        typeof region === 'string' &&
        regionSchema.safeParse(region).success &&
        !regions.has(region)
      ) {
        report(['accounts', name, 'regions', i], notEnabled(region, regions));
      }
    });
  }
  return names;
};

const notEnabled = (region: string, regions: Set<string>): string =>
  `${region} is not one of the organisation's regions (${[...regions].join(', ')}); add it under regions.enabled`;

interface FamilyFacts {
  kind: unknown;
  parent: Record<string, unknown> | undefined;
  /** The channels it publishes, defaults applied; undefined when unreadable. */
  channels: string[] | undefined;
  ssmParameterPath: string | undefined;
}

const checkFamily = (name: string, value: unknown, org: Org, report: Report): FamilyFacts | undefined => {
  const at = (...rest: Path): Path => ['families', name, ...rest];
  const nameProblem = firstMessage(familyNameSchema, name);
  if (nameProblem !== undefined) report(at(), `family name ${nameProblem}`);
  const family = asRecord(value);
  if (family === undefined) return undefined;
  if (typeof family.name === 'string' && family.name !== name) {
    report(at('name'), `must equal the family's key "${name}"`);
  }

  const build = asRecord(family.build);
  reportDuplicates(
    asList(build?.components),
    (c) => asText(asRecord(c)?.name),
    (i) => at('build', 'components', i, 'name'),
    'component',
    report,
  );
  const inspect = asRecord(family.inspect);
  reportDuplicates(
    asList(inspect?.tests),
    (t) => asText(asRecord(t)?.name),
    (i) => at('inspect', 'tests', i, 'name'),
    'test',
    report,
  );
  const waivers = asList(asRecord(inspect?.gate)?.waivers);
  reportDuplicates(
    waivers,
    (w) => asText(asRecord(w)?.id),
    (i) => at('inspect', 'gate', 'waivers', i, 'id'),
    'waiver',
    report,
  );

  const publish = family.publish === undefined ? {} : asRecord(family.publish);
  const channelList = publish?.channels === undefined ? ['latest'] : asList(publish.channels);
  reportDuplicates(channelList, asText, (i) => at('publish', 'channels', i), 'channel', report);
  const channels = channelList === undefined ? undefined : texts(channelList);

  const regionList =
    publish?.regions === undefined
      ? org.home === undefined
        ? undefined
        : [org.home]
      : asList(publish.regions);
  reportDuplicates(regionList, asText, (i) => at('publish', 'regions', i), 'region', report);
  regionList?.forEach((region, i) => {
    if (
      org.regions !== undefined &&
      typeof region === 'string' &&
      regionSchema.safeParse(region).success &&
      !org.regions.has(region)
    ) {
      report(at('publish', 'regions', i), notEnabled(region, org.regions));
    }
  });

  const sharing = asRecord(publish?.sharing);
  const shares = checkSharing(sharing, org, (path, message) =>
    report(at('publish', 'sharing', ...path), message),
  );
  checkKmsKey(asText(asRecord(build?.rootVolume)?.kmsKeyId), shares, texts(regionList), org.home, (message) =>
    report(at('build', 'rootVolume', 'kmsKeyId'), message),
  );

  const ssmParameterPath =
    publish?.ssmParameterPath === undefined ? DEFAULT_SSM_PARAMETER_PATH : asText(publish.ssmParameterPath);
  if (
    ssmParameterPath !== undefined &&
    channels !== undefined &&
    channels.length > 1 &&
    !ssmParameterPath.includes('{channel}')
  ) {
    report(
      at('publish', 'ssmParameterPath'),
      'must contain {channel} when the family publishes several channels, or they would overwrite one parameter',
    );
  }
  return { kind: family.kind, parent: asRecord(family.parent), channels, ssmParameterPath };
};

/** Checks sharing targets against the accounts and organization; returns whether the image is shared at all. */
const checkSharing = (sharing: Record<string, unknown> | undefined, org: Org, report: Report): boolean => {
  if (sharing === undefined) return false;
  const knownIds = new Set(org.accounts.values());
  const targets = asList(sharing.accounts);
  const resolved = targets?.map((target, i) => {
    if (typeof target !== 'string' || target === '' || isPublicPrincipal(target)) return undefined;
    const byName = org.accounts.get(target);
    if (byName !== undefined) return byName;
    if (/^\d{12}$/.test(target)) {
      if (!knownIds.has(target))
        report(['accounts', i], `account ${target} is not listed under accounts; list it there first`);
      return target;
    }
    const known = [...org.accounts.keys()].join(', ') || 'none';
    report(['accounts', i], `no account named "${target}" under accounts (known: ${known})`);
    return undefined;
  });
  reportDuplicates(resolved, asText, (i) => ['accounts', i], 'account', report);

  const ous = asList(sharing.organizationalUnits);
  reportDuplicates(ous, asText, (i) => ['organizationalUnits', i], 'organizational unit', report);
  const needsOrganization =
    'needs the organization section (id and managementAccountId) at the top of the file';
  if (sharing.organization === true && org.organization === undefined)
    report(['organization'], needsOrganization);
  ous?.forEach((ou, i) => {
    const match = OU_ARN.exec(asText(ou) ?? '');
    if (match === null) return;
    if (org.organization === undefined) report(['organizationalUnits', i], needsOrganization);
    else if (match[2] !== org.organization.id || match[1] !== org.organization.managementAccountId) {
      report(
        ['organizationalUnits', i],
        `belongs to organization ${match[2]} (management account ${match[1]}), not ${org.organization.id}`,
      );
    }
  });
  return (resolved?.length ?? 0) > 0 || sharing.organization === true || (ous?.length ?? 0) > 0;
};

const checkKmsKey = (
  key: string | undefined,
  shared: boolean,
  publishRegions: string[],
  home: string | undefined,
  report: (message: string) => void,
): void => {
  if (key === undefined) return;
  if (key === AWS_MANAGED_EBS_KEY && shared) {
    report(
      'alias/aws/ebs is AWS-managed and cannot be used by other accounts, so they could not launch the shared image; use a customer-managed key',
    );
    return;
  }
  const match = KMS_KEY_ARN.exec(key);
  if (match === null || home === undefined) return;
  const [, keyRegion, keyId] = match;
  if (keyRegion !== home) {
    report(`is a key in ${keyRegion}, but images are built in the home region ${home}`);
    return;
  }
  const elsewhere = publishRegions.filter((r) => r !== keyRegion);
  if (!keyId?.startsWith('mrk-') && elsewhere.length > 0) {
    report(
      `is a single-region key, so copies to ${elsewhere.join(', ')} would have no key there; use an alias that exists in every region or a multi-Region key (mrk-...)`,
    );
  }
};

const checkLineage = (families: Map<string, FamilyFacts>, report: Report): void => {
  const parentOf = new Map<string, string>();
  const known = [...families.keys()].join(', ');
  for (const [name, family] of families) {
    if (family.kind !== 'application' || family.parent === undefined) continue;
    const parentName = asText(family.parent.family);
    const channel = asText(family.parent.channel);
    if (parentName === undefined || !familyNameSchema.safeParse(parentName).success) continue;
    const parent = families.get(parentName);
    if (parent === undefined) {
      report(['families', name, 'parent', 'family'], `no family named "${parentName}" (families: ${known})`);
      continue;
    }
    parentOf.set(name, parentName);
    if (channel !== undefined && parent.channels !== undefined && !parent.channels.includes(channel)) {
      report(
        ['families', name, 'parent', 'channel'],
        `${parentName} does not publish channel "${channel}" (it publishes: ${parent.channels.join(', ')}); add it to families.${parentName}.publish.channels`,
      );
    }
  }
  // A cycle would make every refresh trigger another one forever, and no family in it has a base to build from.
  const settled = new Set<string>();
  for (const start of families.keys()) {
    const trail: string[] = [];
    let current: string | undefined = start;
    while (current !== undefined && !settled.has(current) && !trail.includes(current)) {
      trail.push(current);
      current = parentOf.get(current);
    }
    if (current !== undefined && trail.includes(current)) {
      const cycle = trail.slice(trail.indexOf(current));
      report(
        ['families', current, 'parent', 'family'],
        `parents form a cycle: ${[...cycle, current].join(' -> ')}`,
      );
    }
    for (const name of trail) settled.add(name);
  }
};

const checkSsmParameterCollisions = (families: Map<string, FamilyFacts>, report: Report): void => {
  const writer = new Map<string, string>();
  for (const [name, family] of families) {
    if (family.ssmParameterPath === undefined || family.channels === undefined) continue;
    const clashes = new Set<string>();
    for (const channel of new Set(family.channels)) {
      const parameter = family.ssmParameterPath.replaceAll('{family}', name).replaceAll('{channel}', channel);
      const other = writer.get(parameter);
      if (other !== undefined && other !== name) clashes.add(`${parameter} (also written by ${other})`);
      else writer.set(parameter, name);
    }
    if (clashes.size > 0) {
      report(
        ['families', name, 'publish', 'ssmParameterPath'],
        `resolves to parameters another family writes: ${[...clashes].join(', ')}`,
      );
    }
  }
};

/** The rules that need more than one section of the file. */
const checkPolicy = (value: unknown, report: Report): void => {
  const root = asRecord(value);
  if (root === undefined) return;
  const { regions, home } = checkRegions(root, report);
  const accounts = checkAccounts(root, regions, report);
  const orgSection = asRecord(root.organization);
  const org: Org = {
    regions,
    home,
    accounts,
    organization: orgSection && {
      id: asText(orgSection.id),
      managementAccountId: asText(orgSection.managementAccountId),
    },
  };
  const families = new Map<string, FamilyFacts>();
  for (const [name, family] of Object.entries(asRecord(root.families) ?? {})) {
    const facts = checkFamily(name, family, org, report);
    if (facts !== undefined) families.set(name, facts);
  }
  checkLineage(families, report);
  checkSsmParameterCollisions(families, report);
};

const mapValues = <T, U>(record: Record<string, T>, fn: (value: T, key: string) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value, key)]));

// Each family comes out self-contained (its name, its regions, account ids rather than names), so a
// family config stored on its own in the catalog means the same as it did in the file.
const resolvePolicy = (policy: z.output<typeof policyObjectSchema>) => {
  const { home } = policy.regions;
  const enabled = [...new Set([home, ...policy.regions.enabled])];
  const accountId = (ref: string): string => policy.accounts[ref]?.id ?? ref;
  return {
    ...policy,
    regions: { home, enabled },
    accounts: mapValues(policy.accounts, (account) => ({ ...account, regions: account.regions ?? enabled })),
    families: mapValues(policy.families, (family, name) => ({
      ...family,
      name,
      publish: {
        ...family.publish,
        regions: family.publish.regions ?? [home],
        sharing: {
          ...family.publish.sharing,
          accounts: family.publish.sharing.accounts.map(accountId),
          ...(family.publish.sharing.organization && policy.organization !== undefined
            ? {
                organizationArn: `arn:aws:organizations::${policy.organization.managementAccountId}:organization/${policy.organization.id}`,
              }
            : {}),
        },
      },
    })),
  };
};

// Map keys are checked by the file-wide rules rather than by the record: zod drops an entry whose key
// is invalid, so its contents would go unchecked and every reference to it would read as missing.
const keysLike = (schema: z.ZodType): Record<string, unknown> => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema);
  return rest;
};

const policyObjectSchema = z.strictObject({
  apiVersion: z
    .literal(POLICY_API_VERSION, { error: `must be ${POLICY_API_VERSION}` })
    .describe(`The policy format; always \`${POLICY_API_VERSION}\`.`),
  organization: z
    .strictObject({
      id: z
        .string()
        .regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id like o-a1b2c3d4e5')
        .describe('The AWS Organizations id (`o-...`).'),
      // The organization and OU ARNs that launch permissions take embed the management account.
      managementAccountId: accountIdSchema.describe(
        "The organization's management account, quoted; the organization and OU ARNs that launch permissions take embed it.",
      ),
    })
    .optional()
    .describe(
      'The AWS organization images may be shared with (`sharing.organization`, `sharing.organizationalUnits`); needed only for that.',
    ),
  accounts: z.record(z.string(), accountSchema).meta({
    description:
      "The accounts of the organisation by name (1-63 of a-z, 0-9 and -): the controller's own, and every account images are shared with.",
    propertyNames: keysLike(slugSchema),
  }),
  regions: z
    .strictObject({
      home: regionSchema.describe(
        'Where the controller runs: builds, inspections and the catalog; always counted as enabled.',
      ),
      enabled: z
        .array(regionSchema)
        .default([])
        .describe(
          'Every region images may be published to or used in; the home region is added when missing.',
        ),
    })
    .describe("The organisation's regions: the home region and every region images reach."),
  sweep: sweepGuardsSchema
    .prefault({})
    .describe(
      'Organisation-wide settings of the daily retention sweep: its guards, its first run after a policy change, snapshot prices.',
    ),
  waivers: z
    .strictObject({
      maxDays: positiveInt
        .max(3650)
        .default(180)
        .describe(
          'A waiver may expire at most this many days after the policy is validated or applied; at most 3650.',
        ),
    })
    .prefault({})
    .describe('Limits on the gate waivers of every family.'),
  notify: organizationNotifySchema
    .prefault({})
    .describe(
      "Who is told what, by email over Amazon SNS: recipients of every family's events and of the organisation-wide ones (retention sweeps, dead letters), an optional existing topic that receives every message too, and which requesters of a build are told its outcome. Each family may add its own under `families.<name>.notify`. Nobody is told anything when absent.",
    ),
  families: z.record(z.string(), familyConfigSchema).meta({
    description:
      'The image families by name (2-63 of a-z, 0-9 and -, starting with a letter): each golden or application, with how it is built, inspected, published, refreshed and retired.',
    propertyNames: keysLike(familyNameSchema),
  }),
});

/**
 * The whole policy file (design 8). Every section's own rules plus the file-wide ones: parents exist,
 * do not form cycles and publish the channel their children build from; regions and sharing targets
 * are among those listed once at the top; names are unique. Parsed, each family carries its `name`.
 */
export const policySchema = policyObjectSchema
  .superRefine(
    (policy, ctx) => checkPolicy(policy, (path, message) => ctx.addIssue({ code: 'custom', path, message })),
    {
      when: () => true,
    },
  )
  .transform(resolvePolicy);

export type PolicyInput = z.input<typeof policySchema>;
export type Policy = z.output<typeof policySchema>;
/** A family as parsed: its settings with defaults applied, its `name`, and account ids in `publish.sharing.accounts`. */
export type FamilyConfig = Policy['families'][string];
export type FamilyKind = FamilyConfig['kind'];
export type GoldenFamilyConfig = Extract<FamilyConfig, { kind: 'golden' }>;
export type ApplicationFamilyConfig = Extract<FamilyConfig, { kind: 'application' }>;
export type FamilySource = GoldenFamilyConfig['source'];
export type BuildComponent = FamilyConfig['build']['components'][number];
export type AccountConfig = Policy['accounts'][string];

/** The SSM parameter that holds a family's current AMI id for one of its channels. */
export const ssmParameterName = (family: Pick<FamilyConfig, 'name' | 'publish'>, channel: string): string =>
  family.publish.ssmParameterPath.replaceAll('{family}', family.name).replaceAll('{channel}', channel);
