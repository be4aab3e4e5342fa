import * as z from 'zod';

/** Everything the controller tells people about, by the name the policy's `notify` sections use. */
export const NOTIFY_EVENTS = [
  'inspection-completed',
  'image-rejected',
  'build-failed',
  'image-vulnerable',
  'image-published',
  'sweep-completed',
  'dead-letters',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

// Tuples, so that zod's enums can be made of them; exported below as plain lists.
const FAMILY_EVENTS = [
  'inspection-completed',
  'image-rejected',
  'build-failed',
  'image-vulnerable',
  'image-published',
] as const satisfies readonly NotifyEvent[];
const ORIGINATOR_EVENTS = [
  'inspection-completed',
  'image-rejected',
  'build-failed',
  'image-published',
] as const satisfies readonly NotifyEvent[];
type OriginatorEvent = (typeof ORIGINATOR_EVENTS)[number];
const DEFAULT_ORIGINATOR_EVENTS: OriginatorEvent[] = ['inspection-completed', 'build-failed'];

/** Events about one family's build or image; the other two are organisation-wide. */
export const FAMILY_NOTIFY_EVENTS: readonly NotifyEvent[] = FAMILY_EVENTS;
/** What a build's originator may be told about: its outcome. */
export const ORIGINATOR_NOTIFY_EVENTS: readonly NotifyEvent[] = ORIGINATOR_EVENTS;
/** What a build's originator is told about when the policy does not say. */
export const DEFAULT_ORIGINATOR_NOTIFY_EVENTS: readonly NotifyEvent[] = DEFAULT_ORIGINATOR_EVENTS;

export const ORGANISATION_WIDE_EVENT_MESSAGE =
  'is organisation-wide: list it under notify at the top of the file';

const MAX_ADDRESS_LENGTH = 254;
const MAX_DOMAIN_LENGTH = 253;
// Written without the `i` flag: a JSON Schema pattern carries no flags, and editors must accept what the
// parser does.
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DOMAIN = `(?:${LABEL}\\.)+[A-Za-z]{2,63}`;
// A plain address: dot-separated atoms before the @ (at most 64 characters), a DNS name after it. No display
// name, no quoted local part, no IP literal: SNS delivers to what is written, and a policy names people.
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const ADDRESS = new RegExp(`^(?=[^@]{1,64}@)${ATOM}(?:\\.${ATOM})*@${DOMAIN}$`);
const DOMAIN_NAME = new RegExp(`^${DOMAIN}$`);
const PARTITION = 'aws(?:-cn|-us-gov)?';
const REGION = '[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\\d';
const TOPIC_ARN = new RegExp(`^arn:${PARTITION}:sns:${REGION}:\\d{12}:[A-Za-z0-9_-]{1,256}$`);

/** An email address as a policy writes it (`local@domain.tld`, at most 254 characters), lower-cased. */
export const emailAddressSchema = z
  .string()
  .max(MAX_ADDRESS_LENGTH, `must be at most ${MAX_ADDRESS_LENGTH} characters`)
  .regex(ADDRESS, 'must be a plain email address like alice@example.com (no display name, no quotes)')
  .toLowerCase();

/** A DNS domain such as `example.com`, parsed to lower case. */
const domainSchema = z
  .string()
  .max(MAX_DOMAIN_LENGTH, `must be at most ${MAX_DOMAIN_LENGTH} characters`)
  .regex(DOMAIN_NAME, 'must be a domain like example.com (no @, no wildcard)')
  .toLowerCase();

const oneOf = (events: readonly string[]) => `must be one of ${events.join(', ')}`;
const enumError =
  (message: string) =>
  (iss: { input?: unknown }): string | undefined =>
    iss.input === undefined ? undefined : message;

const anyEventSchema = z.enum(NOTIFY_EVENTS, { error: enumError(oneOf(NOTIFY_EVENTS)) });
// Every event name is read, so that an organisation-wide one gets its own message rather than "unknown".
const familyEventSchema = z
  .enum(NOTIFY_EVENTS, { error: enumError(oneOf(FAMILY_EVENTS)) })
  .refine((event) => FAMILY_NOTIFY_EVENTS.includes(event), ORGANISATION_WIDE_EVENT_MESSAGE);
const originatorEventSchema = z.enum(ORIGINATOR_EVENTS, {
  error: enumError(`${oneOf(ORIGINATOR_EVENTS)} (the outcomes of a build)`),
});

const topicArnSchema = z.string().regex(TOPIC_ARN, {
  error: (iss) =>
    typeof iss.input === 'string' && iss.input.endsWith('.fifo')
      ? 'is a FIFO topic, which cannot deliver email: name a standard topic'
      : 'must be an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:name (a name of 1-256 of A-Z, a-z, 0-9, _ and -)',
});

type Path = (string | number)[];

/** Refuses an entry equal to an earlier one, at the later one's path; reads nothing but a list. */
const noDuplicates = (
  items: unknown,
  keyOf: (item: unknown) => string | undefined,
  at: (index: number) => Path,
  what: string,
  ctx: z.RefinementCtx,
  hint = '',
): void => {
  if (!Array.isArray(items)) return;
  const firstAt = new Map<string, number>();
  items.forEach((item: unknown, index) => {
    const key = keyOf(item);
    if (key === undefined) return;
    const seen = firstAt.get(key);
    if (seen === undefined) firstAt.set(key, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: at(index),
        message: `duplicate ${what} "${key}" (also at index ${seen})${hint}`,
      });
  });
};

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const lowerText = (v: unknown): string | undefined => text(v)?.toLowerCase();
const addressOf = (v: unknown): string | undefined =>
  typeof v === 'object' && v !== null ? lowerText((v as { address?: unknown }).address) : undefined;

// The duplicate checks run even when an entry is malformed (`when`), so that one run names every problem;
// they read what they are given defensively (even a value that is no list at all) and skip the rest.
const always = { when: () => true };

const eventListSchema = <E extends NotifyEvent>(event: z.ZodType<E>) =>
  z
    .array(event)
    .min(1, 'must list at least one event')
    .superRefine((events, ctx) => noDuplicates(events, text, (i) => [i], 'event', ctx), always);

const recipientsSchema = <E extends NotifyEvent>(event: z.ZodType<E>, eventsDescription: string) =>
  z
    .array(
      z.strictObject({
        address: emailAddressSchema.describe(
          'Whom to tell: a plain email address (`local@domain.tld`, at most 254 characters), read in lower case and listed once per `recipients`. SNS asks the address to confirm its subscription before it receives anything.',
        ),
        events: eventListSchema(event).describe(eventsDescription),
      }),
    )
    .superRefine(
      (recipients, ctx) =>
        noDuplicates(recipients, addressOf, (i) => [i, 'address'], 'address', ctx, ': list its events once'),
      always,
    )
    .default([]);

const topicArnField = (whose: string) =>
  topicArnSchema.optional().meta({
    description: `An existing standard SNS topic ${whose}: every message is also published there, for other subscribers (chat, a ticketing system). A FIFO topic cannot deliver email and is refused. It must be in the controller's account, with a topic policy (and key policy, if encrypted) that lets the notify functions publish: a topic in another account would also need the functions' own roles to allow it, and they allow only the stage's topic.`,
    examples: ['arn:aws:sns:eu-west-1:111111111111:platform-alerts'],
  });

const listed = (events: readonly string[]) => events.map((e) => `\`${e}\``).join(', ');

/** Whom one family's `notify` section tells, and about which of the family's events. */
export const familyNotifySchema = z.strictObject({
  recipients: recipientsSchema(
    familyEventSchema.meta({ enum: [...FAMILY_EVENTS] }),
    `The events of this family the address is told about, each once: ${listed(FAMILY_EVENTS)}. \`sweep-completed\` and \`dead-letters\` are organisation-wide.`,
  ).describe(
    "The family's own recipients (its owners, usually), each with the family's events they want; told besides the organisation's.",
  ),
  topicArn: topicArnField('for this family'),
}) satisfies z.ZodType<FamilyNotify>;

/**
 * The organisation-wide `notify` section: recipients of every family's events and of the organisation's,
 * a topic, and which requesters of a build are told its outcome.
 */
export const organizationNotifySchema = z.strictObject({
  recipients: recipientsSchema(
    anyEventSchema,
    `The events the address is told about, each once: ${listed(NOTIFY_EVENTS)}; a family event is told for every family.`,
  ).describe(
    'Who is told about the events of every family and about the organisation-wide ones (`sweep-completed`, `dead-letters`), each with the events they want.',
  ),
  topicArn: topicArnField('for the whole organisation'),
  originators: z
    .strictObject({
      domains: z
        .array(domainSchema)
        .superRefine((domains, ctx) => noDuplicates(domains, lowerText, (i) => [i], 'domain', ctx), always)
        .default([])
        .meta({
          description:
            'The mail domains whose people are told about the builds they request, read in lower case: a requester is an address whose domain is listed exactly (a subdomain is not). Nobody when empty.',
          examples: [['example.com']],
        }),
      events: eventListSchema(originatorEventSchema)
        .default(() => [...DEFAULT_ORIGINATOR_EVENTS])
        .describe(
          `What the requester of a build is told about its outcome, each once: ${listed(ORIGINATOR_EVENTS)}.`,
        ),
    })
    .prefault({})
    .describe(
      "Who requested a build (`amictl build --by`, or a `Build Requested` event's `requestedBy` when it is an email address) is told its outcome, when the address's domain is listed.",
    ),
}) satisfies z.ZodType<OrganizationNotify>;

export type FamilyNotifyInput = z.input<typeof familyNotifySchema>;
export type OrganizationNotifyInput = z.input<typeof organizationNotifySchema>;

export interface NotifyRecipient {
  /** Lower case. */
  address: string;
  /** At least one, no duplicates. */
  events: NotifyEvent[];
}

/** A family's `notify` section, parsed (`{ recipients: [] }` when the policy has none). */
export interface FamilyNotify {
  recipients: NotifyRecipient[];
  topicArn?: string;
}

/** The organisation's `notify` section, parsed, defaults applied. */
export interface OrganizationNotify {
  recipients: NotifyRecipient[];
  /** An existing standard SNS topic: every message is also published there. */
  topicArn?: string;
  /**
   * A build's requester is told the `events` of its build when it is an address whose domain (lower case,
   * exact, no subdomains) is listed; events are among `ORIGINATOR_NOTIFY_EVENTS`.
   */
  originators: { domains: string[]; events: NotifyEvent[] };
}

/** The notify section an organisation has when its policy says nothing. */
export const defaultOrganizationNotify = (): OrganizationNotify => organizationNotifySchema.parse({});

/**
 * The address a build's requester is told at: `requestedBy` in lower case when it is an email address
 * whose domain the organisation lists under `originators.domains`; undefined otherwise (a user name, a
 * role, an address of another domain or a subdomain).
 */
export const originatorAddress = (
  requestedBy: string | undefined,
  organization: Pick<OrganizationNotify, 'originators'>,
): string | undefined => {
  if (requestedBy === undefined) return undefined;
  const parsed = emailAddressSchema.safeParse(requestedBy);
  if (!parsed.success) return undefined;
  const domain = parsed.data.slice(parsed.data.lastIndexOf('@') + 1);
  return organization.originators.domains.some((d) => d.toLowerCase() === domain) ? parsed.data : undefined;
};

/**
 * Who is told about one event: the organisation's recipients of it, the family's, and the build's
 * originator when the organisation tells originators about it. Sorted, de-duplicated, lower case.
 */
export const recipientsFor = (input: {
  event: NotifyEvent;
  organization: OrganizationNotify;
  family?: FamilyNotify;
  originator?: string;
}): string[] => {
  const { event, organization, family, originator } = input;
  const told = new Set<string>();
  const add = (recipients: readonly NotifyRecipient[]) => {
    for (const r of recipients) if (r.events.includes(event)) told.add(r.address.toLowerCase());
  };
  add(organization.recipients);
  if (family !== undefined && FAMILY_NOTIFY_EVENTS.includes(event)) add(family.recipients);
  if (ORIGINATOR_NOTIFY_EVENTS.includes(event) && organization.originators.events.includes(event)) {
    const address = originatorAddress(originator, organization);
    if (address !== undefined) told.add(address);
  }
  return [...told].sort();
};
