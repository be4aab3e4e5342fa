import {
  type CatalogPort,
  type Clock,
  defaultOrganizationNotify,
  FAMILY_NOTIFY_EVENTS,
  type NotifyEvent,
  type OrganizationNotify,
  parseStoredConfig,
  parseStoredOrganizationConfig,
  recipientsFor,
} from '@ami-lifecycle/core';
import type { AmictlCommand } from './args';
import { RefusedError } from './errors';
import { json, paint, type Tone, table } from './output';

/** The message attribute every notification names its recipients in (String.Array), as services/notify sets it. */
export const RECIPIENTS_ATTRIBUTE = 'recipients';

/** The subject of `notify test`'s message. */
export const testSubject = (family: string): string => `[ami-lifecycle] test message for ${family}`;

/** One subscription of the notifications topic, as SNS lists it (and, when confirmed, describes it). */
export interface TopicSubscription {
  /** `email`, `email-json`, ... */
  protocol: string;
  /** The address, for an email subscription. */
  endpoint: string;
  /** Undefined while the subscription waits for its recipient's confirmation (SNS lists no ARN then). */
  arn: string | undefined;
  /** The filter policy (JSON, as SNS keeps it); undefined when it has none. */
  filterPolicy?: string | undefined;
  /** `MessageAttributes` (SNS's default, also when undefined) or `MessageBody`. */
  filterPolicyScope?: string | undefined;
}

/** What `notify test` publishes: to the topic, naming its recipients in the `recipients` message attribute. */
export interface NotificationMessage {
  subject: string;
  body: string;
  /** Sorted, lower case: what each subscription's filter policy `{"recipients": ["<address>"]}` is matched against. */
  recipients: readonly string[];
}

/**
 * The stage's notifications topic, for `notify test`; `wiring.ts` makes it of SNS (`snsNotifications`),
 * tests fake it.
 */
export interface NotificationsPort {
  /**
   * The topic's ARN: `NOTIFY_TOPIC_ARN`, or the stage's topic found by name. Throws
   * `NotificationsTopicError` when there is none.
   */
  topicArn(): Promise<string>;
  /** The topic's email subscriptions of these addresses (compared in lower case), confirmed or pending. */
  subscriptions(topicArn: string, addresses: readonly string[]): Promise<TopicSubscription[]>;
  /** Publishes one message to the topic; answers SNS's message id. */
  publish(topicArn: string, message: NotificationMessage): Promise<string>;
}

/**
 * The notifications topic is not there (none of that name, or the ARN given names none) or would not
 * take the caller: the environment is wrong, not the request (exit 3). `problem` names the topic and the
 * stage, `hint` what to check.
 */
export class NotificationsTopicError extends Error {
  constructor(
    readonly problem: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(problem, options);
    this.name = 'NotificationsTopicError';
  }
}

/**
 * A recipient's subscription to the topic:
 * - `confirmed`: confirmed, and its filter policy lets through a message that names the address;
 * - `pending-confirmation`: the address has not confirmed yet, and receives nothing until it does;
 * - `missing`: the topic has no subscription of the address;
 * - `filtered-out`: confirmed, but its filter policy holds back a message that names the address.
 */
export const SUBSCRIPTION_STATES = ['confirmed', 'pending-confirmation', 'missing', 'filtered-out'] as const;
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number];

/** One recipient of `notify test --json`. */
export interface NotifyRecipientView {
  address: string;
  /** The events of the family the address is told about, in `FAMILY_NOTIFY_EVENTS` order. */
  events: NotifyEvent[];
  subscription: SubscriptionState;
}

/** `notify test --json`. */
export interface NotifyTestView {
  family: string;
  topicArn: string;
  messageId: string;
  recipients: NotifyRecipientView[];
}

export interface NotifyDeps {
  catalog: Pick<CatalogPort, 'getFamilyConfig' | 'getOrganizationConfig'>;
  notifications?: NotificationsPort | undefined;
  clock: Clock;
  user: string | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
  color?: boolean | undefined;
}

/** The email protocols a recipient's subscription may have. */
const EMAIL_PROTOCOLS = new Set(['email', 'email-json']);

/** Best first: the state a recipient with several subscriptions (email and email-json) is shown in. */
const RANK: Record<SubscriptionState, number> = {
  confirmed: 0,
  'filtered-out': 1,
  'pending-confirmation': 2,
  missing: 3,
};

const TONE: Record<SubscriptionState, Tone> = {
  confirmed: 'good',
  'filtered-out': 'bad',
  'pending-confirmation': 'busy',
  missing: 'bad',
};

/**
 * `notify test FAMILY`: one message to everyone who would hear about the family (the organisation's and
 * the family's recipients of each of its events), to the stage's topic, with the `recipients` attribute
 * the notify service sets; then each recipient with its events and the state of its subscription.
 * Refused (nothing sent) for a family without a stored config that parses, or without recipients.
 * Answers 1 when a recipient cannot receive it (no subscription, one not confirmed, or one whose filter
 * policy holds it back), after sending it to the others.
 */
export const testNotifications = async (
  command: Extract<AmictlCommand, { command: 'notify-test' }>,
  deps: NotifyDeps,
): Promise<0 | 1> => {
  const { family } = command;
  const recipients = await familyRecipients(family, deps.catalog);
  if (recipients.length === 0)
    throw new RefusedError(
      `family ${family} has no recipients: neither its notify section nor the organisation's names anyone ` +
        `for its events (${FAMILY_NOTIFY_EVENTS.join(', ')}); nothing sent`,
    );
  if (deps.notifications === undefined) throw new Error('amictl was started without a notifications topic');
  const topicArn = await deps.notifications.topicArn();
  const addresses = recipients.map((r) => r.address);
  const subscriptions = await deps.notifications.subscriptions(topicArn, addresses);
  const states = recipients.map((r) => subscriptionOf(r.address, subscriptions));
  const messageId = await deps.notifications.publish(topicArn, {
    subject: testSubject(family),
    body: testBody({ family, recipients, by: deps.user ?? 'amictl', at: deps.clock.now().toISOString() }),
    recipients: addresses,
  });
  const view: NotifyTestView = {
    family,
    topicArn,
    messageId,
    recipients: recipients.map((r, i) => ({ ...r, subscription: states[i]!.state })),
  };
  if (command.json) deps.out(json(view));
  else printView(view, states, deps);
  const topicName = topicArn.split(':').pop() ?? topicArn;
  let warned = false;
  view.recipients.forEach((r, i) => {
    const warning = warningOf(r.address, states[i]!, topicName);
    if (warning === undefined) return;
    deps.err(`amictl: ${warning}`);
    warned = true;
  });
  return warned ? 1 : 0;
};

/**
 * Everyone who would hear about the family's events, sorted, each with the events (of `FAMILY_NOTIFY_EVENTS`)
 * they are told about: `recipientsFor` each event, with the family's stored config and the organisation's
 * (none stored: nobody organisation-wide). No originator: a build's requester is told about that build only.
 */
export const familyRecipients = async (
  family: string,
  catalog: Pick<CatalogPort, 'getFamilyConfig' | 'getOrganizationConfig'>,
): Promise<{ address: string; events: NotifyEvent[] }[]> => {
  const [stored, storedOrganization] = await Promise.all([
    catalog.getFamilyConfig(family),
    catalog.getOrganizationConfig(),
  ]);
  if (stored === undefined)
    throw new RefusedError(`family ${family} has no stored config; run amictl config apply first`);
  let notify: ReturnType<typeof parseStoredConfig>['config']['notify'];
  try {
    notify = parseStoredConfig(family, stored).config.notify;
  } catch (error) {
    throw new RefusedError(`${(error as Error).message}\napply a valid policy first (amictl config apply)`);
  }
  const organization: OrganizationNotify =
    storedOrganization === undefined
      ? defaultOrganizationNotify()
      : parseStoredOrganizationConfig(storedOrganization).config.notify;
  const events = new Map<string, NotifyEvent[]>();
  for (const event of FAMILY_NOTIFY_EVENTS) {
    for (const address of recipientsFor({ event, organization, family: notify })) {
      events.set(address, [...(events.get(address) ?? []), event]);
    }
  }
  return [...events.keys()].sort().map((address) => ({ address, events: events.get(address)! }));
};

/** The text of the test message: who sent it and when, and who is told about which events of the family. */
export const testBody = (input: {
  family: string;
  recipients: readonly { address: string; events: readonly NotifyEvent[] }[];
  by: string;
  at: string;
}): string =>
  [
    `This is a test message from ami-lifecycle for the family ${input.family}, sent by ${input.by} at ${input.at} (amictl notify test ${input.family}).`,
    '',
    `It checks that the notifications of ${input.family} reach the people the policy names. Nothing happened to the family, and there is nothing to do.`,
    '',
    `Who is told about ${input.family}, and about which of its events:`,
    ...input.recipients.map((r) => `  ${r.address}: ${r.events.join(', ')}`),
    '',
    'Organisation-wide messages (retention sweeps, dead letters) and the outcome of a build told to whoever requested it are not listed here.',
  ].join('\n');

interface SubscriptionFinding {
  state: SubscriptionState;
  /** The subscription shown (the best of the address's), when there is one. */
  subscription?: TopicSubscription;
  /** Confirmed without a filter policy: it receives every message of the topic, not only those naming it. */
  unfiltered?: boolean;
}

/** The state of an address's subscriptions: the best of them, when it has several. */
export const subscriptionOf = (
  address: string,
  subscriptions: readonly TopicSubscription[],
): SubscriptionFinding => {
  const findings = subscriptions
    .filter((s) => EMAIL_PROTOCOLS.has(s.protocol) && s.endpoint.toLowerCase() === address.toLowerCase())
    .map((s): SubscriptionFinding => {
      if (s.arn === undefined) return { state: 'pending-confirmation', subscription: s };
      const routing = routes(s, address);
      return routing === 'filtered'
        ? { state: 'filtered-out', subscription: s }
        : { state: 'confirmed', subscription: s, unfiltered: routing === 'unfiltered' };
    })
    .sort((a, b) => RANK[a.state] - RANK[b.state]);
  return findings[0] ?? { state: 'missing' };
};

/**
 * Whether a confirmed subscription receives a message whose `recipients` attribute names (only) this
 * address, as SNS matches its filter policy against the message attributes: `unfiltered` without a policy,
 * `filtered` when the policy holds it back (or applies to the message body, which is not JSON).
 */
export const routes = (
  subscription: Pick<TopicSubscription, 'filterPolicy' | 'filterPolicyScope'>,
  address: string,
): 'routed' | 'unfiltered' | 'filtered' => {
  const text = subscription.filterPolicy?.trim() ?? '';
  let policy: unknown;
  try {
    policy = text === '' ? {} : JSON.parse(text);
  } catch {
    return 'filtered';
  }
  if (!isObject(policy)) return 'filtered';
  if (Object.keys(policy).length === 0) return 'unfiltered';
  if ((subscription.filterPolicyScope ?? 'MessageAttributes') !== 'MessageAttributes') return 'filtered';
  return matchesPolicy(policy, { [RECIPIENTS_ATTRIBUTE]: [address] }) ? 'routed' : 'filtered';
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every key matches (`$or`: one of its policies does); an attribute's values match when one of them does. */
const matchesPolicy = (policy: Record<string, unknown>, attributes: Record<string, string[]>): boolean =>
  Object.entries(policy).every(([key, conditions]) => {
    if (key === '$or')
      return Array.isArray(conditions) && conditions.some((p) => isObject(p) && matchesPolicy(p, attributes));
    if (!Array.isArray(conditions)) return false;
    const values = attributes[key];
    return conditions.some((c) => matchesCondition(c, values));
  });

/**
 * One condition of a filter policy against an attribute's string values (undefined: no such attribute):
 * exact strings, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` and `exists`. A number, `numeric`
 * or `cidr` never matches a string; anything else is taken not to match.
 */
const matchesCondition = (condition: unknown, values: readonly string[] | undefined): boolean => {
  if (typeof condition === 'string') return values?.includes(condition) ?? false;
  if (!isObject(condition)) return false;
  const [operator, operand] = Object.entries(condition)[0] ?? [];
  if (operator === 'exists') return operand === (values !== undefined);
  if (values === undefined) return false;
  return values.some((value) => {
    switch (operator) {
      case 'prefix':
        return typeof operand === 'string' && value.startsWith(operand);
      case 'suffix':
        return typeof operand === 'string' && value.endsWith(operand);
      case 'equals-ignore-case':
        return typeof operand === 'string' && value.toLowerCase() === operand.toLowerCase();
      case 'anything-but':
        if (isObject(operand)) return !matchesCondition(operand, [value]);
        return !(Array.isArray(operand) ? operand : [operand]).includes(value);
      default:
        return false;
    }
  });
};

/** What an operator reads about a recipient that will not receive the message; undefined when it will. */
const warningOf = (address: string, found: SubscriptionFinding, topicName: string): string | undefined => {
  switch (found.state) {
    case 'confirmed':
      return undefined;
    case 'pending-confirmation':
      return `${address} has not confirmed its subscription to ${topicName}: it receives nothing until it follows the link in the confirmation mail from no-reply@sns.amazonaws.com`;
    case 'missing':
      return `${address} has no subscription to ${topicName}: it receives nothing until the notify service subscribes it (it subscribes the stored policy's addresses daily, and each address a message names) and it confirms`;
    case 'filtered-out':
      return (
        `${address}'s subscription to ${topicName} has the filter policy ${found.subscription?.filterPolicy ?? '{}'}` +
        `${found.subscription?.filterPolicyScope === 'MessageBody' ? ' on the message body' : ''}, which holds back ` +
        `the messages naming it: it receives nothing; the notify service sets {"${RECIPIENTS_ATTRIBUTE}":["${address}"]}`
      );
  }
};

const STATE_TEXT: Record<SubscriptionState, string> = {
  confirmed: 'confirmed',
  'pending-confirmation': 'pending confirmation',
  missing: 'missing',
  'filtered-out': 'filter policy holds it back',
};

const printView = (view: NotifyTestView, states: readonly SubscriptionFinding[], deps: NotifyDeps): void => {
  const color = paint(deps.color ?? false);
  deps.out(`Test message for ${view.family} sent to ${view.topicArn} (message id ${view.messageId}).`);
  for (const line of table(
    ['RECIPIENT', 'EVENTS', 'SUBSCRIPTION'],
    view.recipients.map((r, i) => [
      r.address,
      r.events.join(','),
      `${STATE_TEXT[r.subscription]}${states[i]?.unfiltered ? ' (no filter policy: receives every message)' : ''}`,
    ]),
    (cell, row, column) => (column === 2 ? color(TONE[view.recipients[row]!.subscription], cell) : cell),
  )) {
    deps.out(line);
  }
};
