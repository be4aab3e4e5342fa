import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { policyJsonSchema } from '../src/config/json-schema';
import { parsePolicy, validatePolicy } from '../src/config/parse-policy';
import { type FamilyConfig, PUBLIC_SHARING_MESSAGE, ssmParameterName } from '../src/config/policy-schema';
import { parseStoredConfig, StoredConfigInvalidError } from '../src/config/stored-config';
import { PermanentError, ValidationError } from '../src/errors';

const FIXTURES = join(__dirname, 'fixtures', 'config');
const EXAMPLE_PATH = join(__dirname, '..', '..', '..', 'examples', 'ami-lifecycle.yaml');

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const refusal = (text: string, source?: string): ValidationError => {
  try {
    parsePolicy(text, source);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`${source ?? 'the policy'} was accepted`);
};

const pathsOf = (error: { issues: readonly { path: string }[] }): string[] =>
  error.issues.map((i) => i.path).sort();

const messageAt = (error: ValidationError, path: string): string | undefined =>
  error.issues.find((i) => i.path === path)?.message;

/** The minimal valid policy as a plain object, with one value replaced (or removed, for `undefined`). */
const minimalWith = (path: readonly string[], value: unknown): unknown => {
  const policy = parseYaml(fixture('valid-minimal.yaml')) as Record<string, unknown>;
  let node = policy;
  for (const segment of path.slice(0, -1)) {
    node[segment] ??= {};
    node = node[segment] as Record<string, unknown>;
  }
  const last = path.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return policy;
};

const family = (name: string, families: Record<string, FamilyConfig>): FamilyConfig => {
  const found = families[name];
  if (found === undefined) throw new Error(`no family ${name}`);
  return found;
};

describe('the example policy', () => {
  const policy = parsePolicy(readFileSync(EXAMPLE_PATH, 'utf8'), 'examples/ami-lifecycle.yaml');

  it('parses, with every family carrying its own name', () => {
    expect(Object.keys(policy.families)).toEqual([
      'golden-al2023',
      'golden-ubuntu',
      'payments-api',
      'orders-worker',
    ]);
    for (const [name, config] of Object.entries(policy.families)) expect(config.name).toBe(name);
  });

  it('builds the application families on channels their golden parent publishes', () => {
    const golden = family('golden-al2023', policy.families);
    for (const name of ['payments-api', 'orders-worker']) {
      const app = family(name, policy.families);
      if (app.kind !== 'application') throw new Error(`${name} should be an application family`);
      expect(app.parent.family).toBe('golden-al2023');
      expect(golden.publish.channels).toContain(app.parent.channel);
    }
  });

  it('resolves each golden source to exactly one kind of source', () => {
    const al2023 = family('golden-al2023', policy.families);
    const ubuntu = family('golden-ubuntu', policy.families);
    if (al2023.kind !== 'golden' || ubuntu.kind !== 'golden') throw new Error('expected golden families');
    expect(al2023.source).toEqual({
      ssmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    });
    expect(ubuntu.source).toEqual({
      nameFilter: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*',
      owners: ['099720109477'],
    });
  });

  it('shares with account ids, resolved from the account names the file uses', () => {
    expect(family('payments-api', policy.families).publish.sharing.accounts).toEqual(['222222222222']);
  });

  it('keeps components in the order they are written', () => {
    const names = family('golden-al2023', policy.families).build.components.map((c) => c.name);
    expect(names).toEqual(['os-update', 'cloudwatch-agent', 'hardening']);
  });

  it('names each channel parameter /ami-lifecycle/<family>/<channel>', () => {
    const payments = family('payments-api', policy.families);
    expect(payments.publish.channels.map((c) => ssmParameterName(payments, c))).toEqual([
      '/ami-lifecycle/payments-api/latest',
      '/ami-lifecycle/payments-api/stable',
    ]);
  });
});

describe('defaults', () => {
  const policy = parsePolicy(fixture('valid-minimal.yaml'));

  it('fills in everything a minimal family leaves out', () => {
    expect(family('golden-al2023', policy.families)).toEqual({
      name: 'golden-al2023',
      kind: 'golden',
      source: { ssmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' },
      versioning: { scheme: 'calendar' },
      build: {
        instanceType: 't3.medium',
        instanceProfile: 'ami-lifecycle-builder',
        components: [],
        rootVolume: { sizeGiB: 8, kmsKeyId: 'alias/ami-lifecycle', encrypted: true },
      },
      inspect: {
        gate: { maxFindings: { CRITICAL: 0, HIGH: 0 }, fixAvailableOnly: false, waivers: [] },
        tests: [],
        reinspectEveryDays: 7,
        scanTimeoutMinutes: 60,
      },
      publish: {
        approval: 'manual',
        channels: ['latest'],
        regions: ['eu-west-1'],
        sharing: { accounts: [], organization: false, organizationalUnits: [] },
        ssmParameterPath: '/ami-lifecycle/{family}/{channel}',
      },
      refresh: { onParentPublish: true, onVulnerable: true },
      retention: {
        keepLatest: 3,
        retainAtLeast: 1,
        disableAfterDeprecatedDays: 14,
        retireAfterDisabledDays: 14,
        inUseGraceDays: 30,
        failedRetireAfterDays: 7,
        maxRetirementsPerRun: 10,
      },
      tags: {},
      notify: { recipients: [] },
    });
  });

  it('applies the organisation-wide sweep guards', () => {
    expect(policy.sweep).toEqual({
      maxRetirementsPerRun: 50,
      maxInventoryAgeMinutes: 60,
      afterPolicyChange: 'dry-run',
      snapshotPricePerGiBMonth: {},
    });
  });

  it('counts the home region as enabled and gives each account every enabled region', () => {
    expect(policy.regions).toEqual({ home: 'eu-west-1', enabled: ['eu-west-1'] });
    expect(policy.accounts.tooling).toEqual({ id: '111122223333', regions: ['eu-west-1'] });
  });

  it('defaults component and test timeouts', () => {
    const result = validatePolicy(
      minimalWith(
        ['families', 'golden-al2023', 'build', 'components'],
        [{ name: 'os-update', kind: 'os-update', commands: ['dnf -y upgrade'] }],
      ),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(family('golden-al2023', result.policy.families).build.components[0]?.timeoutSeconds).toBe(3600);
  });
});

interface BadCase {
  title: string;
  fixture: string;
  paths: string[];
  /** The path whose message is checked; the first of `paths` unless given. */
  at?: string;
  message: RegExp;
  /** Other issues may accompany the named ones. */
  atLeast?: boolean;
}

const F = 'families.golden-al2023';
const BAD_CASES: BadCase[] = [
  {
    title: 'a value of the wrong type',
    fixture: 'bad-wrong-type.yaml',
    paths: [`${F}.retention.keepLatest`],
    message: /expected number, received string/,
  },
  {
    title: 'an unknown key, suggesting the key it resembles',
    fixture: 'bad-unknown-key.yaml',
    paths: [`${F}.build.instanceTyp`, `${F}.build.instanceType`],
    message: /unknown key \(did you mean "instanceType"\?\)/,
  },
  {
    title: 'an application family whose parent family does not exist',
    fixture: 'bad-missing-parent.yaml',
    paths: ['families.payments-api.parent.family'],
    message: /no family named "golden-rhel9"/,
  },
  {
    title: 'a cycle of parents, naming the cycle',
    fixture: 'bad-parent-cycle.yaml',
    paths: ['families.app-a.parent.family'],
    message: /parents form a cycle: app-a -> app-b -> app-a/,
  },
  {
    title: 'public sharing',
    fixture: 'bad-public-sharing.yaml',
    paths: [`${F}.publish.sharing.public`],
    message: /public sharing is never allowed/,
  },
  {
    title: 'a negative retention count',
    fixture: 'bad-negative-retention.yaml',
    paths: [`${F}.retention.keepLatest`],
    message: /expected number to be >=1/,
    // retentionPolicySchema also compares the default retainAtLeast with the invalid keepLatest.
    atLeast: true,
  },
  {
    title: 'retainAtLeast above keepLatest',
    fixture: 'bad-retain-at-least.yaml',
    paths: [`${F}.retention.retainAtLeast`],
    message: /must not exceed keepLatest \(2\)/,
  },
  {
    title: 'an unencrypted root volume',
    fixture: 'bad-unencrypted.yaml',
    paths: [`${F}.build.rootVolume.encrypted`],
    message: /always encrypted/,
  },
  {
    title: 'an application family with a source',
    fixture: 'bad-application-source.yaml',
    paths: ['families.payments-api.source'],
    message: /builds on its parent's published image, so it has no source/,
  },
  {
    title: 'a golden family with a parent',
    fixture: 'bad-golden-with-parent.yaml',
    paths: [`${F}.parent`],
    message: /a golden family builds from its source, not a parent/,
  },
  {
    title: 'a publish region the organisation has not enabled',
    fixture: 'bad-publish-region.yaml',
    paths: [`${F}.publish.regions.1`],
    message: /eu-south-2 is not one of the organisation's regions/,
  },
  {
    title: 'a region that is not a region code',
    fixture: 'bad-region-format.yaml',
    paths: ['regions.home'],
    message: /must be an AWS region/,
  },
  {
    title: 'an account id that is not twelve digits',
    fixture: 'bad-account-id.yaml',
    paths: ['accounts.tooling.id'],
    message: /must be a 12-digit AWS account id/,
  },
  {
    title: 'an unquoted account id, which YAML reads as a number',
    fixture: 'bad-unquoted-account-id.yaml',
    paths: ['accounts.tooling.id'],
    message: /must be a quoted string/,
  },
  {
    title: 'a duplicate component name, at the repeated component',
    fixture: 'bad-duplicate-component.yaml',
    paths: [`${F}.build.components.2.name`],
    message: /duplicate component "os-update" \(also at index 0\)/,
  },
  {
    title: 'a waiver whose expiry is a bare date',
    fixture: 'bad-waiver-timestamp.yaml',
    paths: [`${F}.inspect.gate.waivers.0.expiresAt`],
    message: /ISO 8601 date-time with a time zone/,
  },
  {
    title: 'a parent channel the parent does not publish',
    fixture: 'bad-parent-channel.yaml',
    paths: ['families.payments-api.parent.channel'],
    message: /golden-al2023 does not publish channel "stable" \(it publishes: latest\)/,
  },
  {
    title: 'sharing with an account that is not listed',
    fixture: 'bad-sharing-account.yaml',
    paths: [`${F}.publish.sharing.accounts.0`],
    message: /no account named "workload" under accounts \(known: tooling\)/,
  },
  {
    title: 'an unknown apiVersion',
    fixture: 'bad-api-version.yaml',
    paths: ['apiVersion'],
    message: /must be ami-lifecycle\/v1/,
  },
  {
    title: 'a zero timeout',
    fixture: 'bad-zero-timeout.yaml',
    paths: [`${F}.build.components.0.timeoutSeconds`],
    message: /expected number to be >0/,
  },
  {
    title: 'a shared image encrypted with the AWS-managed EBS key',
    fixture: 'bad-aws-managed-key-shared.yaml',
    paths: [`${F}.build.rootVolume.kmsKeyId`],
    message: /alias\/aws\/ebs is AWS-managed/,
  },
  {
    title: 'a name filter without owners',
    fixture: 'bad-name-filter-without-owners.yaml',
    paths: [`${F}.source.owners`],
    message: /any public AMI with a matching name could be picked/,
  },
  {
    title: 'two sources at once',
    fixture: 'bad-two-sources.yaml',
    paths: [`${F}.source`],
    message: /exactly one of \{ amiId \}, \{ nameFilter, owners \} or \{ ssmParameter \}/,
  },
  {
    title: 'a tag in the controller’s reserved prefix',
    fixture: 'bad-reserved-tag.yaml',
    paths: [`${F}.tags.ami-lifecycle:managed`],
    message: /must not start with aws: or ami-lifecycle:/,
  },
  {
    title: 'two families writing the same SSM parameter',
    fixture: 'bad-ssm-parameter-collision.yaml',
    paths: ['families.golden-ubuntu.publish.ssmParameterPath'],
    message: /\/images\/latest \(also written by golden-al2023\)/,
  },
  {
    title: 'an OU of another organization',
    fixture: 'bad-foreign-ou.yaml',
    paths: [`${F}.publish.sharing.organizationalUnits.0`],
    message: /belongs to organization o-zzzzzzzzzz/,
  },
  {
    title: 'an unknown family kind',
    fixture: 'bad-family-kind.yaml',
    paths: [`${F}.kind`],
    message: /kind must be golden or application/,
  },
  {
    title: 'a cross-account role in another account',
    fixture: 'bad-role-account.yaml',
    paths: ['accounts.tooling.roleArn'],
    message: /is a role in account 444455556666/,
  },
];

describe('a bad policy file', () => {
  it.each(BAD_CASES)('is refused for $title, naming the path', (bad) => {
    const error = refusal(fixture(bad.fixture), bad.fixture);

    if (bad.atLeast) expect(pathsOf(error)).toEqual(expect.arrayContaining(bad.paths));
    else expect(pathsOf(error)).toEqual([...bad.paths].sort());
    expect(messageAt(error, bad.at ?? bad.paths[0]!)).toMatch(bad.message);
  });

  it('is refused with every error at once, not only the first', () => {
    const error = refusal(fixture('bad-many-errors.yaml'), 'bad-many-errors.yaml');

    expect(pathsOf(error)).toEqual(
      [
        `${F}.build.colour`,
        `${F}.build.rootVolume.sizeGiB`,
        `${F}.publish.regions.0`,
        `${F}.publish.sharing.group`,
        `${F}.retention.retainAtLeast`,
        'families.payments-api.parent.family',
        'families.orders-worker.build.rootVolume.encrypted',
      ].sort(),
    );
    for (const issue of error.issues) expect(error.message).toContain(`${issue.path}: ${issue.message}`);
  });

  it('lists the issues in file order, each with its line', () => {
    const error = refusal(fixture('bad-many-errors.yaml'));
    const lines = error.issues.map((i) => Number(/\(line (\d+), column \d+\)$/.exec(i.message)?.[1]));

    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(messageAt(error, `${F}.build.colour`)).toMatch(/\(line 16, column 7\)$/);
    expect(messageAt(error, 'families.payments-api.parent.family')).toMatch(/\(line 30, column 15\)$/);
  });

  it('is a ValidationError naming the file', () => {
    const error = refusal(fixture('bad-api-version.yaml'), 'policies/prod.yaml');

    expect(error.name).toBe('ValidationError');
    expect(error.subject).toBe('policies/prod.yaml');
    expect(error.message).toMatch(/^policies\/prod\.yaml is invalid:/);
  });

  it('is refused for a YAML syntax error, naming the line', () => {
    // Inline rather than a fixture file, because the formatter refuses to read a broken YAML file.
    const broken = fixture('valid-minimal.yaml').replace(
      '    retention:',
      '    publish:\n      channels: [latest\n    retention:',
    );

    const error = refusal(broken);

    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.message).toMatch(/^YAML syntax error at line 21, column 5: /);
  });

  it('is refused for a family defined twice, naming the line of the second', () => {
    const error = refusal(fixture('bad-duplicate-family.yaml'));

    expect(error.issues).toEqual([
      {
        path: 'families.golden-al2023',
        message: 'family "golden-al2023" is listed twice (line 21, column 3); each may appear once',
      },
    ]);
  });

  it('is refused when empty', () => {
    expect(refusal('# nothing yet\n').issues).toEqual([
      { path: '', message: 'the file is empty; expected an ami-lifecycle/v1 policy' },
    ]);
  });
});

describe('public sharing', () => {
  const sharing = ['families', 'golden-al2023', 'publish', 'sharing'];
  const publish = ['families', 'golden-al2023', 'publish'];

  it.each([
    { how: 'group: all', path: [...sharing, 'group'], value: 'all', at: `${F}.publish.sharing.group` },
    {
      how: 'userGroups: [all]',
      path: [...sharing, 'userGroups'],
      value: ['all'],
      at: `${F}.publish.sharing.userGroups`,
    },
    {
      how: 'accounts: [all]',
      path: [...sharing, 'accounts'],
      value: ['all'],
      at: `${F}.publish.sharing.accounts.0`,
    },
    {
      how: "accounts: ['*']",
      path: [...sharing, 'accounts'],
      value: ['*'],
      at: `${F}.publish.sharing.accounts.0`,
    },
    { how: 'publish.public: true', path: [...publish, 'public'], value: true, at: `${F}.publish.public` },
    {
      how: 'publish.launchPermission: { group: all }',
      path: [...publish, 'launchPermission'],
      value: { group: 'all' },
      at: `${F}.publish.launchPermission`,
    },
  ])('is refused when written as $how', ({ path, value, at }) => {
    const result = validatePolicy(minimalWith(path, value));

    expect(result).toEqual({ ok: false, issues: [{ path: at, message: PUBLIC_SHARING_MESSAGE }] });
  });
});

describe('validatePolicy', () => {
  it('returns the policy of a valid object', () => {
    const result = validatePolicy(parseYaml(fixture('valid-minimal.yaml')));

    expect(result.ok).toBe(true);
    if (result.ok) expect(family('golden-al2023', result.policy.families).name).toBe('golden-al2023');
  });

  it('returns every issue of an invalid object instead of throwing', () => {
    const result = validatePolicy({
      apiVersion: 'ami-lifecycle/v1',
      regions: { home: 'eu-west-1' },
      extra: 1,
    });

    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'accounts', message: 'is required' },
        { path: 'families', message: 'is required' },
        {
          path: 'extra',
          message:
            'unknown key (allowed here: apiVersion, organization, accounts, regions, sweep, waivers, notify, families)',
        },
      ],
    });
  });

  it('refuses a family name that cannot become an AMI name, and still checks the family', () => {
    const policy = minimalWith(['families', 'Golden_AL2023'], { kind: 'golden' });
    const result = validatePolicy(policy);

    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(pathsOf(result)).toEqual(
        [
          'families.Golden_AL2023',
          'families.Golden_AL2023.build',
          'families.Golden_AL2023.retention',
          'families.Golden_AL2023.source',
        ].sort(),
      );
    }
  });

  it('accepts a shared account by id when the id is listed under accounts', () => {
    const result = validatePolicy(
      minimalWith(['families', 'golden-al2023', 'publish', 'sharing', 'accounts'], ['111122223333']),
    );

    expect(result.ok).toBe(true);
  });

  it('refuses a value that is not a policy at all', () => {
    expect(validatePolicy('apiVersion: ami-lifecycle/v1')).toEqual({
      ok: false,
      issues: [{ path: '', message: 'Invalid input: expected object, received string' }],
    });
  });
});

describe('policyJsonSchema', () => {
  const schema = policyJsonSchema() as {
    $schema: string;
    type: string;
    required: string[];
    properties: Record<string, unknown>;
  };
  type Branch = { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
  const families = schema.properties.families as {
    propertyNames: { pattern: string };
    additionalProperties: { oneOf: Branch[] };
  };
  const branch = (kind: string): Branch => {
    const found = families.additionalProperties.oneOf.find(
      (b) => (b.properties.kind as { const?: string }).const === kind,
    );
    if (found === undefined) throw new Error(`no ${kind} branch`);
    return found;
  };

  it('is a JSON-serialisable draft 2020-12 object schema of the file', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toEqual([
      'apiVersion',
      'organization',
      'accounts',
      'regions',
      'sweep',
      'waivers',
      'notify',
      'families',
    ]);
  });

  it('describes both kinds of family with all their sections', () => {
    const sections = ['versioning', 'build', 'inspect', 'publish', 'refresh', 'retention', 'tags', 'notify'];
    expect(Object.keys(branch('golden').properties)).toEqual(expect.arrayContaining(['source', ...sections]));
    expect(Object.keys(branch('application').properties)).toEqual(
      expect.arrayContaining(['parent', ...sections]),
    );
    expect(branch('golden').additionalProperties).toBe(false);
    expect(new RegExp(families.propertyNames.pattern).test('payments-api')).toBe(true);
    expect(new RegExp(families.propertyNames.pattern).test('Payments_API')).toBe(false);
  });

  it('requires only what has no default, since editors check the file as written', () => {
    expect(schema.required.sort()).toEqual(['accounts', 'apiVersion', 'families', 'regions']);
    expect(branch('golden').required.sort()).toEqual(['build', 'kind', 'retention', 'source']);
    expect(branch('application').required.sort()).toEqual(['build', 'kind', 'parent', 'retention']);
  });

  it('knows every key the example uses', () => {
    const example = parseYaml(readFileSync(EXAMPLE_PATH, 'utf8')) as {
      families: Record<string, Record<string, unknown> & { kind: string }>;
    };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(Object.keys(example)));
    for (const config of Object.values(example.families)) {
      expect(Object.keys(branch(config.kind).properties)).toEqual(
        expect.arrayContaining(Object.keys(config)),
      );
    }
  });
});

describe('a family config shared with the organization', () => {
  const example = parsePolicy(readFileSync(EXAMPLE_PATH, 'utf8'), 'example');
  const stored = (config: unknown) => ({
    family: 'golden-al2023',
    version: 3,
    config,
    storedAt: '2026-03-01T00:00:00Z',
    storedBy: 'test',
  });
  const orgWide = (organizationArn?: string) => {
    const config = example.families['golden-al2023']!;
    return {
      ...config,
      publish: {
        ...config.publish,
        sharing: {
          ...config.publish.sharing,
          organization: true,
          ...(organizationArn === undefined ? {} : { organizationArn }),
        },
      },
    };
  };

  it('is stored by the policy with the organization’s ARN, which publishing shares with', () => {
    const arn = 'arn:aws:organizations::111111111111:organization/o-abc123defg';
    expect(
      parseStoredConfig('golden-al2023', stored(orgWide(arn))).config.publish.sharing.organizationArn,
    ).toBe(arn);
  });

  it('is refused when stored without it, naming the field: it would share with no one and say nothing', () => {
    const error = (() => {
      try {
        parseStoredConfig('golden-al2023', stored(orgWide()));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    // Not a permanent refusal: the stored data (or this code's version) is wrong, not the event.
    expect(error).toBeInstanceOf(StoredConfigInvalidError);
    expect(error).not.toBeInstanceOf(PermanentError);
    expect((error as StoredConfigInvalidError).issues.map((i) => i.path)).toEqual([
      'publish.sharing.organizationArn',
    ]);
  });
});
