import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { policyJsonSchema } from '../src/config/json-schema';
import {
  DEFAULT_ORIGINATOR_NOTIFY_EVENTS,
  emailAddressSchema,
  FAMILY_NOTIFY_EVENTS,
  type FamilyNotify,
  NOTIFY_EVENTS,
  type NotifyEvent,
  ORIGINATOR_NOTIFY_EVENTS,
  type OrganizationNotify,
  originatorAddress,
  recipientsFor,
} from '../src/config/notify-schema';
import {
  organizationConfigOf,
  organizationConfigSchema,
  parseStoredOrganizationConfig,
} from '../src/config/organization-config';
import { parsePolicy, validatePolicy } from '../src/config/parse-policy';
import { parseStoredConfig } from '../src/config/stored-config';
import { ValidationError } from '../src/errors';

interface JsonObject {
  properties?: Record<string, JsonObject>;
  items?: JsonObject;
  enum?: unknown[];
}

const MINIMAL = readFileSync(join(__dirname, 'fixtures', 'config', 'valid-minimal.yaml'), 'utf8');
const EXAMPLE_PATH = join(__dirname, '..', '..', '..', 'examples', 'ami-lifecycle.yaml');
const FAMILY = 'golden-al2023';

/** The minimal valid policy with a top-level `notify` and/or one on its family (undefined: none). */
const policyWith = (notify: { organization?: unknown; family?: unknown }): Record<string, unknown> => {
  const policy = parseYaml(MINIMAL) as Record<string, unknown>;
  if (notify.organization !== undefined) policy.notify = notify.organization;
  if (notify.family !== undefined) {
    const families = policy.families as Record<string, Record<string, unknown>>;
    families[FAMILY]!.notify = notify.family;
  }
  return policy;
};

/** Every issue of a policy that must be refused, as `path: message`. */
const refused = (policy: unknown): string[] => {
  const result = validatePolicy(policy);
  if (result.ok) throw new Error('the policy was accepted');
  return result.issues.map((i) => `${i.path}: ${i.message}`);
};

const accepted = (policy: unknown) => {
  const result = validatePolicy(policy);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.issues)}`);
  return result.policy;
};

const familyRecipient = (events: unknown[], address = 'owners@example.com') => ({
  family: { recipients: [{ address, events }] },
});
const orgRecipient = (events: unknown[], address = 'security@example.com') => ({
  organization: { recipients: [{ address, events }] },
});

const FAMILY_EVENTS_TEXT =
  'must be one of inspection-completed, image-rejected, build-failed, image-vulnerable, image-published';
const ALL_EVENTS_TEXT = `${FAMILY_EVENTS_TEXT}, sweep-completed, dead-letters`;
const ORGANISATION_WIDE = 'is organisation-wide: list it under notify at the top of the file';
const ADDRESS_TEXT = 'must be a plain email address like alice@example.com (no display name, no quotes)';
const FIFO_TEXT = 'is a FIFO topic, which cannot deliver email: name a standard topic';
const TOPIC_TEXT =
  'must be an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:name (a name of 1-256 of A-Z, a-z, 0-9, _ and -)';

describe('the event lists', () => {
  it('are the seven events; a family tells five of them and an originator the four outcomes of a build', () => {
    expect(NOTIFY_EVENTS).toEqual([
      'inspection-completed',
      'image-rejected',
      'build-failed',
      'image-vulnerable',
      'image-published',
      'sweep-completed',
      'dead-letters',
    ]);
    expect(FAMILY_NOTIFY_EVENTS).toEqual(
      NOTIFY_EVENTS.filter((e) => !['sweep-completed', 'dead-letters'].includes(e)),
    );
    expect(ORIGINATOR_NOTIFY_EVENTS).toEqual([
      'inspection-completed',
      'image-rejected',
      'build-failed',
      'image-published',
    ]);
    expect(DEFAULT_ORIGINATOR_NOTIFY_EVENTS).toEqual(['inspection-completed', 'build-failed']);
  });
});

describe('a notify section is refused, with the field named', () => {
  it('an unknown event under a family: "must be one of" the family events, at its index', () => {
    expect(refused(policyWith(familyRecipient(['build-failed', 'image-deleted'])))).toEqual([
      `families.${FAMILY}.notify.recipients.0.events.1: ${FAMILY_EVENTS_TEXT}`,
    ]);
  });

  it('an unknown event at the top: "must be one of" all seven', () => {
    expect(refused(policyWith(orgRecipient(['sweep-finished'])))).toEqual([
      `notify.recipients.0.events.0: ${ALL_EVENTS_TEXT}`,
    ]);
  });

  it('an event name in another case is unknown (the names are exact)', () => {
    expect(refused(policyWith(orgRecipient(['Build-Failed'])))).toEqual([
      `notify.recipients.0.events.0: ${ALL_EVENTS_TEXT}`,
    ]);
  });

  it('sweep-completed or dead-letters under a family: organisation-wide, to be listed at the top', () => {
    expect(
      refused(policyWith(familyRecipient(['image-published', 'sweep-completed', 'dead-letters']))),
    ).toEqual([
      `families.${FAMILY}.notify.recipients.0.events.1: ${ORGANISATION_WIDE}`,
      `families.${FAMILY}.notify.recipients.0.events.2: ${ORGANISATION_WIDE}`,
    ]);
    // The same events are what the top of the file is for.
    const policy = accepted(policyWith(orgRecipient(['sweep-completed', 'dead-letters'])));
    expect(policy.notify.recipients[0]?.events).toEqual(['sweep-completed', 'dead-letters']);
  });

  it.each([
    ['Alice <alice@example.com>'],
    ['alice'],
    ['alice@'],
    ['@example.com'],
    ['alice@example'],
    ['alice@@example.com'],
    ['alice@example..com'],
    ['al ice@example.com'],
    ['"alice"@example.com'],
    ['alice.@example.com'],
    ['alice@[192.0.2.1]'],
    ['alice@-example.com'],
    [`${'a'.repeat(65)}@example.com`],
  ])('a malformed address (%s), at its path', (address) => {
    expect(refused(policyWith(orgRecipient(['build-failed'], address)))).toEqual([
      `notify.recipients.0.address: ${ADDRESS_TEXT}`,
    ]);
    expect(refused(policyWith(familyRecipient(['build-failed'], address)))).toEqual([
      `families.${FAMILY}.notify.recipients.0.address: ${ADDRESS_TEXT}`,
    ]);
  });

  it('an address longer than 254 characters', () => {
    const domain = `${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(56)}.com`;
    expect(emailAddressSchema.parse(`a@${domain}`)).toHaveLength(254);
    expect(refused(policyWith(orgRecipient(['build-failed'], `aa@${domain}`)))).toEqual([
      'notify.recipients.0.address: must be at most 254 characters',
    ]);
  });

  it('the same address twice in one recipients list, in any case: its events are listed once', () => {
    const policy = policyWith({
      organization: {
        recipients: [
          { address: 'security@example.com', events: ['image-vulnerable'] },
          { address: 'platform-ops@example.com', events: ['dead-letters'] },
          { address: 'Security@Example.com', events: ['image-rejected'] },
        ],
      },
      family: {
        recipients: [
          { address: 'owners@example.com', events: ['build-failed'] },
          { address: 'owners@example.com', events: ['image-published'] },
        ],
      },
    });
    expect(refused(policy)).toEqual([
      'notify.recipients.2.address: duplicate address "security@example.com" (also at index 0): list its events once',
      `families.${FAMILY}.notify.recipients.1.address: duplicate address "owners@example.com" (also at index 0): list its events once`,
    ]);
  });

  it('an address may be both an organisation and a family recipient', () => {
    const policy = accepted(
      policyWith({
        ...orgRecipient(['build-failed']),
        ...familyRecipient(['build-failed'], 'security@example.com'),
      }),
    );
    expect(policy.families[FAMILY]?.notify.recipients[0]?.address).toBe('security@example.com');
  });

  it('an event listed twice for one address, or none', () => {
    expect(
      refused(
        policyWith({
          family: {
            recipients: [
              { address: 'a@example.com', events: ['build-failed', 'image-published', 'build-failed'] },
              { address: 'b@example.com', events: [] },
            ],
          },
        }),
      ),
    ).toEqual([
      `families.${FAMILY}.notify.recipients.0.events.2: duplicate event "build-failed" (also at index 0)`,
      `families.${FAMILY}.notify.recipients.1.events: must list at least one event`,
    ]);
  });

  it.each([
    ['notify', 'organization'],
    [`families.${FAMILY}.notify`, 'family'],
  ] as const)('a FIFO topic under %s: FIFO topics cannot deliver email', (path, where) => {
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:ami-notices.fifo';
    expect(refused(policyWith({ [where]: { topicArn } }))).toEqual([`${path}.topicArn: ${FIFO_TEXT}`]);
  });

  it.each([
    ['arn:aws:sqs:eu-west-1:111111111111:ami-notices'],
    ['arn:aws:sns:eu-west-1:11111111111:ami-notices'],
    ['arn:aws:sns:eu-west-1:111111111111:ami.notices'],
    ['arn:aws:sns:eu-west-1:111111111111:'],
    ['arn:aws:sns:eu-west-1:111111111111:ami-notices:3f1c2d4e-0000-4000-8000-000000000000'],
    ['arn:aws:sns::111111111111:ami-notices'],
    ['arn:azure:sns:eu-west-1:111111111111:ami-notices'],
    [`arn:aws:sns:eu-west-1:111111111111:${'t'.repeat(257)}`],
    ['ami-notices'],
  ])('a topic that is not a standard SNS topic ARN (%s)', (topicArn) => {
    expect(refused(policyWith({ organization: { topicArn } }))).toEqual([`notify.topicArn: ${TOPIC_TEXT}`]);
    expect(refused(policyWith({ family: { topicArn } }))).toEqual([
      `families.${FAMILY}.notify.topicArn: ${TOPIC_TEXT}`,
    ]);
  });

  it('accepts standard topics of every partition', () => {
    for (const topicArn of [
      'arn:aws:sns:eu-west-1:111111111111:ami-notices',
      'arn:aws-us-gov:sns:us-gov-west-1:111111111111:Ami_Notices-2',
      'arn:aws-cn:sns:cn-north-1:111111111111:t',
      `arn:aws:sns:eu-west-1:111111111111:${'t'.repeat(256)}`,
    ]) {
      expect(accepted(policyWith({ organization: { topicArn }, family: { topicArn } })).notify.topicArn).toBe(
        topicArn,
      );
    }
  });

  it('originators.events outside the outcomes of a build', () => {
    const outcomes =
      'must be one of inspection-completed, image-rejected, build-failed, image-published (the outcomes of a build)';
    expect(
      refused(
        policyWith({
          organization: {
            originators: {
              domains: ['example.com'],
              events: [
                'inspection-completed',
                'image-vulnerable',
                'sweep-completed',
                'dead-letters',
                'bogus',
              ],
            },
          },
        }),
      ),
    ).toEqual([1, 2, 3, 4].map((i) => `notify.originators.events.${i}: ${outcomes}`));
  });

  it('originators.domains that are not domains, or listed twice', () => {
    expect(
      refused(
        policyWith({
          organization: {
            originators: {
              domains: ['example.com', '@example.com', '*.example.com', 'localhost', 'EXAMPLE.com'],
            },
          },
        }),
      ),
    ).toEqual([
      'notify.originators.domains.1: must be a domain like example.com (no @, no wildcard)',
      'notify.originators.domains.2: must be a domain like example.com (no @, no wildcard)',
      'notify.originators.domains.3: must be a domain like example.com (no @, no wildcard)',
      'notify.originators.domains.4: duplicate domain "example.com" (also at index 0)',
    ]);
  });

  it('values of the wrong type, each named at its path (the duplicate checks read only lists)', () => {
    const issues = refused(
      policyWith({
        organization: {
          recipients: [
            { address: 'a@example.com', events: 'build-failed' },
            { address: 42, events: [7, null] },
          ],
          originators: { domains: 'example.com', events: { 'build-failed': true } },
        },
        family: { recipients: { address: 'owners@example.com', events: ['build-failed'] } },
      }),
    );
    expect(issues.map((i) => i.slice(0, i.indexOf(':')))).toEqual([
      'notify.recipients.0.events',
      'notify.recipients.1.address',
      'notify.recipients.1.events.0',
      'notify.recipients.1.events.1',
      'notify.originators.domains',
      'notify.originators.events',
      `families.${FAMILY}.notify.recipients`,
    ]);
  });

  it('an unknown key, with the keys allowed there', () => {
    expect(refused(policyWith({ family: { recipients: [], emails: ['a@example.com'] } }))).toEqual([
      `families.${FAMILY}.notify.emails: unknown key (allowed here: recipients, topicArn)`,
    ]);
    expect(refused(policyWith({ organization: { originator: { domains: ['example.com'] } } }))).toEqual([
      'notify.originator: unknown key (did you mean "originators"?)',
    ]);
  });

  it('names every problem of one file at once, with its line, and returns nothing', () => {
    const text = `${MINIMAL}    notify:\n      recipients:\n        - address: owners@example\n          events: [build-failed, dead-letters]\nnotify:\n  topicArn: arn:aws:sns:eu-west-1:111111111111:notices.fifo\n`;
    let error: unknown;
    let policy: unknown;
    try {
      policy = parsePolicy(text, 'ami-lifecycle.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(policy).toBeUndefined();
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues).toEqual([
      `families.${FAMILY}.notify.recipients.0.address: ${ADDRESS_TEXT} (line 23, column 20)`,
      `families.${FAMILY}.notify.recipients.0.events.1: ${ORGANISATION_WIDE} (line 24, column 34)`,
      `notify.topicArn: ${FIFO_TEXT} (line 26, column 13)`,
    ]);
  });
});

describe('a parsed notify section', () => {
  it('defaults: nobody is told anything when the policy has no notify', () => {
    const policy = accepted(policyWith({}));
    expect(policy.notify).toEqual({
      recipients: [],
      originators: { domains: [], events: ['inspection-completed', 'build-failed'] },
    });
    expect(policy.families[FAMILY]?.notify).toEqual({ recipients: [] });
    expect(organizationConfigOf(policy).notify).toEqual(policy.notify);
  });

  it('defaults inside a notify section that says little', () => {
    const policy = accepted(
      policyWith({ organization: { originators: { domains: ['example.com'] } }, family: {} }),
    );
    expect(policy.notify).toEqual({
      recipients: [],
      originators: { domains: ['example.com'], events: ['inspection-completed', 'build-failed'] },
    });
    expect(policy.families[FAMILY]?.notify).toEqual({ recipients: [] });
  });

  it('reads addresses and domains in lower case', () => {
    const policy = accepted(
      policyWith({
        organization: {
          recipients: [{ address: 'Security@Example.COM', events: ['image-vulnerable'] }],
          originators: { domains: ['Example.COM'] },
        },
        family: { recipients: [{ address: 'Golden-Owners@EXAMPLE.com', events: ['image-published'] }] },
      }),
    );
    expect(policy.notify.recipients[0]?.address).toBe('security@example.com');
    expect(policy.notify.originators.domains).toEqual(['example.com']);
    expect(policy.families[FAMILY]?.notify.recipients[0]?.address).toBe('golden-owners@example.com');
    expect(emailAddressSchema.parse('Alice.O%27Neil+ami@Mail.Example.org')).toBe(
      'alice.o%27neil+ami@mail.example.org',
    );
  });

  it('the example policy: the organisation, golden-al2023 and payments-api say who is told what', () => {
    const policy = parsePolicy(readFileSync(EXAMPLE_PATH, 'utf8'), 'examples/ami-lifecycle.yaml');
    expect(policy.notify).toEqual({
      recipients: [
        { address: 'security@example.com', events: ['image-vulnerable', 'image-rejected'] },
        { address: 'platform-ops@example.com', events: ['sweep-completed', 'dead-letters', 'build-failed'] },
      ],
      originators: { domains: ['example.com'], events: ['inspection-completed', 'build-failed'] },
    });
    expect(policy.families['golden-al2023']?.notify).toEqual({
      recipients: [
        {
          address: 'golden-owners@example.com',
          events: [
            'inspection-completed',
            'image-rejected',
            'build-failed',
            'image-vulnerable',
            'image-published',
          ],
        },
      ],
    });
    expect(policy.families['payments-api']?.notify.recipients.map((r) => r.address)).toEqual([
      'team-payments@example.com',
    ]);
    expect(policy.families['golden-ubuntu']?.notify).toEqual({ recipients: [] });
  });
});

describe('the stored organisation config', () => {
  const policy = accepted(
    policyWith({
      organization: {
        recipients: [{ address: 'Security@Example.com', events: ['image-vulnerable', 'sweep-completed'] }],
        topicArn: 'arn:aws:sns:eu-west-1:111122223333:platform-alerts',
        originators: { domains: ['example.com'], events: ['build-failed'] },
      },
    }),
  );

  it('carries the notify section, copied, and parses again to the same', () => {
    const config = organizationConfigOf(policy);
    expect(config.notify).toEqual({
      recipients: [{ address: 'security@example.com', events: ['image-vulnerable', 'sweep-completed'] }],
      topicArn: 'arn:aws:sns:eu-west-1:111122223333:platform-alerts',
      originators: { domains: ['example.com'], events: ['build-failed'] },
    });
    // A copy: changing it leaves the policy as it was.
    config.notify.recipients[0]?.events.push('dead-letters');
    config.notify.originators.domains.push('example.org');
    expect(policy.notify.recipients[0]?.events).toEqual(['image-vulnerable', 'sweep-completed']);
    expect(policy.notify.originators.domains).toEqual(['example.com']);
    const fresh = organizationConfigOf(policy);
    expect(organizationConfigSchema.parse(JSON.parse(JSON.stringify(fresh)))).toEqual(fresh);
  });

  it('stored before notifications existed (no notify), still parses and tells nobody', () => {
    const { notify: _, ...before } = organizationConfigOf(policy);
    const { config, version } = parseStoredOrganizationConfig({
      version: 3,
      config: JSON.parse(JSON.stringify(before)),
      storedAt: '2026-01-01T00:00:00.000Z',
      storedBy: 'alice',
    });
    expect(version).toBe(3);
    expect(config.notify).toEqual({
      recipients: [],
      originators: { domains: [], events: ['inspection-completed', 'build-failed'] },
    });
    expect(config.sweep).toEqual(before.sweep);
  });

  it('refuses a stored notify that is malformed, naming the field', () => {
    const stored = organizationConfigOf(policy);
    const bad = { ...stored, notify: { ...stored.notify, recipients: [{ address: 'x', events: ['x'] }] } };
    expect(() =>
      parseStoredOrganizationConfig({
        version: 4,
        config: bad,
        storedAt: '2026-01-01T00:00:00.000Z',
        storedBy: 'a',
      }),
    ).toThrow(
      /notify\.recipients\.0\.address: must be a plain email address[\s\S]*notify\.recipients\.0\.events\.0/,
    );
  });

  it('a family config stored before notifications existed still parses, telling nobody more', () => {
    const { notify: _, ...before } = policy.families[FAMILY]!;
    const { config } = parseStoredConfig(FAMILY, {
      family: FAMILY,
      version: 2,
      config: JSON.parse(JSON.stringify(before)),
      storedAt: '2026-01-01T00:00:00.000Z',
      storedBy: 'alice',
    });
    expect(config.notify).toEqual({ recipients: [] });
  });
});

describe('recipientsFor', () => {
  const organization: OrganizationNotify = {
    recipients: [
      { address: 'security@example.com', events: ['image-vulnerable', 'image-rejected'] },
      { address: 'platform-ops@example.com', events: ['sweep-completed', 'dead-letters', 'build-failed'] },
    ],
    originators: { domains: ['example.com'], events: ['inspection-completed', 'build-failed'] },
  };
  const family: FamilyNotify = {
    recipients: [
      {
        address: 'golden-owners@example.com',
        events: [
          'inspection-completed',
          'image-rejected',
          'build-failed',
          'image-vulnerable',
          'image-published',
        ],
      },
      { address: 'auditor@example.net', events: ['image-published'] },
    ],
  };
  const told = (event: NotifyEvent, extra: { family?: FamilyNotify; originator?: string } = {}) =>
    recipientsFor({ event, organization, ...extra });

  it('merges the organisation, the family and the originator: sorted, each once, lower case', () => {
    expect(told('build-failed', { family, originator: 'Alice@Example.com' })).toEqual([
      'alice@example.com',
      'golden-owners@example.com',
      'platform-ops@example.com',
    ]);
    // An originator who is also a recipient is told once.
    expect(told('build-failed', { family, originator: 'platform-ops@example.com' })).toEqual([
      'golden-owners@example.com',
      'platform-ops@example.com',
    ]);
    expect(
      recipientsFor({
        event: 'image-rejected',
        organization,
        family: { recipients: [{ address: 'security@example.com', events: ['image-rejected'] }] },
      }),
    ).toEqual(['security@example.com']);
  });

  it('tells the originator only the events under originators.events', () => {
    const originator = 'alice@example.com';
    expect(told('inspection-completed', { originator })).toEqual([originator]);
    expect(told('build-failed', { originator })).toContain(originator);
    // An outcome the organisation does not tell originators about, and events that are no outcome.
    for (const event of [
      'image-published',
      'image-rejected',
      'image-vulnerable',
      'sweep-completed',
    ] as const) {
      expect(told(event, { originator })).not.toContain(originator);
    }
    const all: OrganizationNotify = {
      ...organization,
      originators: { domains: ['example.com'], events: [...ORIGINATOR_NOTIFY_EVENTS] },
    };
    expect(recipientsFor({ event: 'image-published', organization: all, originator })).toEqual([originator]);
  });

  it('tells the originator only when it is an address of a listed domain, exactly', () => {
    const event = 'inspection-completed';
    expect(told(event, { originator: 'alice@EXAMPLE.com' })).toEqual(['alice@example.com']);
    for (const originator of [
      'alice@eu.example.com',
      'alice@example.com.evil.net',
      'alice@example.org',
      'alice',
      'arn:aws:iam::111111111111:role/builder',
      'Alice <alice@example.com>',
      ' alice@example.com',
      '',
    ]) {
      expect(told(event, { originator })).toEqual([]);
    }
    const nobody: OrganizationNotify = {
      ...organization,
      originators: { domains: [], events: ['build-failed'] },
    };
    expect(
      recipientsFor({ event: 'build-failed', organization: nobody, originator: 'alice@example.com' }),
    ).toEqual(['platform-ops@example.com']);
  });

  it('tells nothing to an address listed for other events', () => {
    expect(told('image-published', { family })).toEqual(['auditor@example.net', 'golden-owners@example.com']);
    expect(told('sweep-completed', { family })).toEqual(['platform-ops@example.com']);
    expect(told('dead-letters')).toEqual(['platform-ops@example.com']);
    expect(told('inspection-completed')).toEqual([]);
  });

  it('without a family config, only the organisation recipients', () => {
    expect(told('image-vulnerable')).toEqual(['security@example.com']);
    expect(told('image-vulnerable', { family })).toEqual([
      'golden-owners@example.com',
      'security@example.com',
    ]);
    expect(told('image-published')).toEqual([]);
  });

  it('does not tell a family recipient the organisation-wide events', () => {
    // The schema refuses them under a family; a config built by hand is not trusted to have been checked.
    const loose = { recipients: [{ address: 'owners@example.com', events: ['dead-letters' as const] }] };
    expect(told('dead-letters', { family: loose })).toEqual(['platform-ops@example.com']);
  });

  it('originatorAddress: the lower-case address of a listed domain, else nothing', () => {
    expect(originatorAddress('Bob@Example.com', organization)).toBe('bob@example.com');
    expect(originatorAddress('bob@sub.example.com', organization)).toBeUndefined();
    expect(originatorAddress(undefined, organization)).toBeUndefined();
    expect(originatorAddress('bob', organization)).toBeUndefined();
  });
});

describe('the JSON Schema an editor reads', () => {
  const schema = policyJsonSchema() as {
    properties: Record<string, JsonObject> & { families: { additionalProperties: { oneOf: JsonObject[] } } };
  };
  const eventsOf = (notify: JsonObject | undefined) =>
    notify?.properties?.recipients?.items?.properties?.events?.items?.enum;

  it('offers a family only the family events, and the top of the file all seven', () => {
    for (const variant of schema.properties.families.additionalProperties.oneOf) {
      expect(eventsOf(variant.properties?.notify)).toEqual([...FAMILY_NOTIFY_EVENTS]);
    }
    expect(eventsOf(schema.properties.notify)).toEqual([...NOTIFY_EVENTS]);
  });
});
