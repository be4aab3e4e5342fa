import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from '../../errors';
import type { SimClock, TimerHandle } from '../../sim-clock';
import type { CompiledPattern } from '../events/pattern';
import { compileFilterPolicy, FILTER_POLICY_SCOPES, type FilterPolicyScope } from './filter-policy';
import { defaultTopicPolicy, parseTopicPolicy, type TopicPolicy } from './policy';

export interface Scope {
  accountId: string;
  region: string;
}

/** The protocols the local cloud delivers to. */
export type Protocol = 'email' | 'email-json' | 'sqs' | 'lambda';
export const PROTOCOLS: readonly Protocol[] = ['email', 'email-json', 'sqs', 'lambda'];
/** Protocols SNS has that the local cloud cannot deliver to: refused by name rather than dropped. */
const UNDELIVERABLE = new Set(['http', 'https', 'sms', 'application', 'firehose']);

export interface Topic {
  name: string;
  arn: string;
  scope: Scope;
  createdAt: number;
  /** The attributes set on it, as GetTopicAttributes speaks them (`Policy` only once one was set). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** Subscriptions removed so far (unsubscribed, or unconfirmed for 48 hours): `SubscriptionsDeleted`. */
  deletedSubscriptions: number;
}

export interface Subscription {
  arn: string;
  topicArn: string;
  /** The account that called Subscribe. */
  owner: string;
  protocol: Protocol;
  endpoint: string;
  /** As GetSubscriptionAttributes speaks them: `RawMessageDelivery`, `FilterPolicy`, ... */
  attributes: Record<string, string>;
  pending: boolean;
  /** The tokens of the confirmation messages sent while pending; any of them confirms it. */
  tokens: string[];
  confirmationWasAuthenticated: boolean;
  /** When Subscribe made it: an unconfirmed subscription is deleted 48 hours later. */
  subscribedAt: number;
}

/** SNS deletes a subscription still pending confirmation after 48 hours. */
export const PENDING_SUBSCRIPTION_LIFETIME_MS = 48 * 3600 * 1000;

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;
const SUBSCRIPTION_ARN =
  /^(arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?):[0-9a-f-]{36}$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:(\d{12}):[A-Za-z0-9_-]{1,80}$/;
const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:(\d{12}):function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]+)?$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** AWS's limits: 50 tags a resource, keys of 1-128 characters, values of 0-256. */
const MAX_TAGS = 50;

const invalidParameter = (what: string) => new AwsError('InvalidParameter', `Invalid parameter: ${what}`);
export const topicNotFound = () => new AwsError('NotFound', 'Topic does not exist', 404);
export const subscriptionNotFound = () => new AwsError('NotFound', 'Subscription does not exist', 404);

const sameJson = (a: string, b: string): boolean => {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
};

/** The topic an ARN names: its scope and name; `Invalid parameter: TopicArn` when it is no topic ARN. */
export const parseTopicArn = (arn: string, what = 'TopicArn'): { scope: Scope; name: string } => {
  const m = TOPIC_ARN.exec(arn);
  if (!m) throw invalidParameter(what);
  return { scope: { region: m[1]!, accountId: m[2]! }, name: m[3]! };
};

/** Topic attributes Create/SetTopicAttributes take, each checked and put in the form it is kept in. */
const checkTopicAttribute = (name: string, value: string): string => {
  switch (name) {
    case 'DisplayName':
      if (value.length > 100) throw invalidParameter('DisplayName');
      return value;
    case 'Policy':
      parseTopicPolicy(value);
      return value;
    case 'KmsMasterKeyId':
      if (value.length > 2048) throw invalidParameter('KmsMasterKeyId');
      return value;
    case 'DeliveryPolicy':
      try {
        JSON.parse(value);
      } catch {
        throw invalidParameter('DeliveryPolicy: the policy is not JSON');
      }
      return value;
    case 'SignatureVersion':
      if (value !== '1' && value !== '2') throw invalidParameter('SignatureVersion');
      return value;
    case 'TracingConfig':
      if (value !== 'PassThrough' && value !== 'Active') throw invalidParameter('TracingConfig');
      return value;
    default:
      throw invalidParameter('AttributeName');
  }
};

/**
 * The topics and subscriptions of every account and region, on the simulated clock: an email
 * subscription waits for its recipient's confirmation (and is gone after 48 hours without one).
 */
export class Topics {
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions = new Map<string, Subscription>();
  /** Compiled forms, kept beside the records (which stay plain data for the state file). */
  private readonly filters = new Map<string, CompiledPattern | undefined>();
  private readonly policies = new Map<string, TopicPolicy>();
  private readonly expiries = new Map<string, TimerHandle>();

  constructor(private readonly clock: SimClock) {}

  // ---- topics ----

  create(
    scope: Scope,
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
  ): Topic {
    if (name.endsWith('.fifo') || attributes.FifoTopic === 'true') {
      throw invalidParameter('FifoTopic Reason: the local cloud has standard topics only, not FIFO ones');
    }
    if (!TOPIC_NAME.test(name)) throw invalidParameter('Topic Name');
    const wanted: Record<string, string> = {};
    for (const [k, v] of Object.entries(attributes)) {
      if (k === 'FifoTopic' && v === 'false') continue;
      if (
        ![
          'DisplayName',
          'Policy',
          'KmsMasterKeyId',
          'DeliveryPolicy',
          'SignatureVersion',
          'TracingConfig',
        ].includes(k)
      ) {
        throw invalidParameter(`Attributes Reason: Unknown attribute ${k}`);
      }
      wanted[k] = checkTopicAttribute(k, v);
    }
    this.checkTags(tags);
    const arn = `arn:aws:sns:${scope.region}:${scope.accountId}:${name}`;
    const existing = this.topics.get(arn);
    if (existing) {
      // Idempotent only when what is given matches what the topic has.
      for (const [k, v] of Object.entries(wanted)) {
        const has = existing.attributes[k] ?? (k === 'DisplayName' ? '' : undefined);
        if (has === undefined || !(k === 'Policy' ? sameJson(has, v) : has === v)) {
          throw invalidParameter('Attributes Reason: Topic already exists with different attributes');
        }
      }
      for (const [k, v] of Object.entries(tags)) {
        if (existing.tags[k] !== v)
          throw invalidParameter('Tags Reason: Topic already exists with different tags');
      }
      return existing;
    }
    const topic: Topic = {
      name,
      arn,
      scope: { accountId: scope.accountId, region: scope.region },
      createdAt: this.clock.nowMillis(),
      attributes: wanted,
      tags: { ...tags },
      deletedSubscriptions: 0,
    };
    this.topics.set(arn, topic);
    if (wanted.Policy !== undefined) this.policies.set(arn, parseTopicPolicy(wanted.Policy));
    return topic;
  }

  /** The topic of an ARN, which must be in `region`; `NotFound` when there is none. */
  get(arn: string, region: string): Topic {
    const { scope } = parseTopicArn(arn);
    // SNS answers a topic of another Region as a bad ARN: a client reaches only its own Region's topics.
    if (scope.region !== region) throw invalidParameter('TopicArn');
    const topic = this.topics.get(arn);
    if (!topic) throw topicNotFound();
    return topic;
  }

  find(arn: string): Topic | undefined {
    return this.topics.get(arn);
  }

  list(scope: Scope): Topic[] {
    return [...this.topics.values()]
      .filter((t) => t.scope.accountId === scope.accountId && t.scope.region === scope.region)
      .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  }

  /** Deletes a topic and its subscriptions; a topic that is not there is fine, as on AWS. */
  delete(arn: string): void {
    if (!this.topics.delete(arn)) return;
    this.policies.delete(arn);
    for (const s of [...this.subscriptions.values()]) if (s.topicArn === arn) this.forget(s);
  }

  setAttribute(topic: Topic, name: string, value: string): void {
    const checked = checkTopicAttribute(name, value);
    if (name === 'Policy') this.policies.set(topic.arn, parseTopicPolicy(checked));
    // An empty KmsMasterKeyId turns server-side encryption off.
    if (name === 'KmsMasterKeyId' && checked === '') delete topic.attributes.KmsMasterKeyId;
    else topic.attributes[name] = checked;
  }

  /** The topic's policy: the one set on it, or the default SNS gives every topic. */
  policyOf(topic: Topic): TopicPolicy {
    return this.policies.get(topic.arn) ?? defaultTopicPolicy(topic.arn, topic.scope.accountId);
  }

  attributesOf(topic: Topic): Record<string, string> {
    const subs = this.ofTopic(topic.arn);
    return {
      TopicArn: topic.arn,
      Owner: topic.scope.accountId,
      Policy: topic.attributes.Policy ?? JSON.stringify(this.policyOf(topic)),
      DisplayName: topic.attributes.DisplayName ?? '',
      SubscriptionsConfirmed: String(subs.filter((s) => !s.pending).length),
      SubscriptionsPending: String(subs.filter((s) => s.pending).length),
      SubscriptionsDeleted: String(topic.deletedSubscriptions),
      EffectiveDeliveryPolicy: topic.attributes.DeliveryPolicy ?? DEFAULT_EFFECTIVE_DELIVERY_POLICY,
      ...Object.fromEntries(
        Object.entries(topic.attributes).filter(([k]) => k !== 'Policy' && k !== 'DisplayName'),
      ),
    };
  }

  checkTags(tags: Record<string, string>): void {
    if (Object.keys(tags).length > MAX_TAGS) {
      throw new AwsError(
        'TagLimitExceeded',
        `Could not complete request: tag quota of per resource exceeded`,
      );
    }
    for (const [k, v] of Object.entries(tags)) {
      if (k.length < 1 || k.length > 128)
        throw invalidParameter('Tags Reason: tag keys have 1 to 128 characters');
      if (v.length > 256) throw invalidParameter('Tags Reason: tag values have at most 256 characters');
    }
  }

  tag(topic: Topic, tags: Record<string, string>): void {
    const merged = { ...topic.tags, ...tags };
    this.checkTags(merged);
    topic.tags = merged;
  }

  // ---- subscriptions ----

  /**
   * Subscribe as `caller`'s account. The endpoint must fit the protocol. An endpoint already subscribed
   * with the same attributes answers its subscription (a pending one with a new token); with others it is
   * refused.
   * Email needs its recipient's confirmation; a queue or function of another account than the caller's
   * needs its owner's. Answers the subscription and, when a confirmation is to be sent, its token.
   */
  subscribe(
    caller: Scope,
    topic: Topic,
    protocolName: string,
    endpoint: string,
    attributes: Record<string, string> = {},
  ): { subscription: Subscription; token?: string } {
    const protocol = this.checkProtocol(protocolName, endpoint);
    const checked = this.checkSubscriptionAttributes(protocol, attributes);
    const existing = this.ofTopic(topic.arn).find((s) => s.protocol === protocol && s.endpoint === endpoint);
    if (existing) {
      for (const [k, v] of Object.entries(checked.attributes)) {
        const has = existing.attributes[k];
        if (has === undefined || !(k === 'FilterPolicy' ? sameJson(has, v) : has === v)) {
          throw invalidParameter('Attributes Reason: Subscription already exists with different attributes');
        }
      }
      if (!existing.pending) return { subscription: existing };
      // Subscribing a pending endpoint again sends another confirmation.
      return { subscription: existing, token: this.newToken(existing) };
    }
    const endpointAccount =
      protocol === 'sqs'
        ? SQS_ARN.exec(endpoint)![1]
        : protocol === 'lambda'
          ? LAMBDA_ARN.exec(endpoint)![1]
          : undefined;
    const pending = protocol === 'email' || protocol === 'email-json' || endpointAccount !== caller.accountId;
    const subscription: Subscription = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      owner: caller.accountId,
      protocol,
      endpoint,
      attributes: checked.attributes,
      pending,
      tokens: [],
      // One that needs no confirmation counts as confirmed by its (signed) Subscribe.
      confirmationWasAuthenticated: !pending,
      subscribedAt: this.clock.nowMillis(),
    };
    this.subscriptions.set(subscription.arn, subscription);
    this.filters.set(subscription.arn, checked.filter);
    if (!pending) return { subscription };
    this.armExpiry(subscription);
    return { subscription, token: this.newToken(subscription) };
  }

  private newToken(s: Subscription): string {
    const token = randomBytes(64).toString('hex');
    s.tokens.push(token);
    return token;
  }

  /** An unconfirmed subscription is deleted 48 hours after Subscribe, on the simulated clock. */
  private armExpiry(s: Subscription): void {
    this.expiries.get(s.arn)?.cancel();
    this.expiries.set(
      s.arn,
      this.clock.at(s.subscribedAt + PENDING_SUBSCRIPTION_LIFETIME_MS, () => {
        this.expiries.delete(s.arn);
        if (this.subscriptions.get(s.arn)?.pending) this.remove(s);
      }),
    );
  }

  private checkProtocol(protocol: string, endpoint: string): Protocol {
    if (UNDELIVERABLE.has(protocol)) {
      throw invalidParameter(
        `the local cloud's SNS delivers to ${PROTOCOLS.join(', ')} endpoints only, not ${protocol}`,
      );
    }
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
      throw invalidParameter(`Amazon SNS does not support this protocol string: ${protocol}`);
    }
    const p = protocol as Protocol;
    if ((p === 'email' || p === 'email-json') && !EMAIL.test(endpoint))
      throw invalidParameter('Email address');
    if (p === 'sqs' && !SQS_ARN.test(endpoint)) throw invalidParameter('SQS endpoint ARN');
    if (p === 'lambda' && !LAMBDA_ARN.test(endpoint)) throw invalidParameter('Lambda endpoint ARN');
    return p;
  }

  /**
   * Subscription attributes as Subscribe and SetSubscriptionAttributes take them, checked against the
   * protocol; the filter policy compiled with its scope.
   */
  private checkSubscriptionAttributes(
    protocol: Protocol,
    attributes: Record<string, string>,
    current: Record<string, string> = {},
  ): { attributes: Record<string, string>; filter: CompiledPattern | undefined } {
    const out: Record<string, string> = { ...current };
    for (const [k, v] of Object.entries(attributes)) {
      switch (k) {
        case 'RawMessageDelivery':
          if (v !== 'true' && v !== 'false')
            throw invalidParameter(`RawMessageDelivery: Invalid value [${v}]. Must be true or false.`);
          if (v === 'true' && protocol !== 'sqs') {
            throw invalidParameter(`Delivery protocol [${protocol}] does not support raw message delivery.`);
          }
          out[k] = v;
          break;
        case 'FilterPolicyScope':
          if (!(FILTER_POLICY_SCOPES as readonly string[]).includes(v)) {
            throw invalidParameter(
              `FilterPolicyScope: Invalid filter policy scope, it must be one of ${FILTER_POLICY_SCOPES.join(', ')}`,
            );
          }
          out[k] = v;
          break;
        case 'FilterPolicy':
        case 'RedrivePolicy':
        case 'DeliveryPolicy':
          out[k] = v;
          break;
        default:
          throw invalidParameter(`AttributeName`);
      }
    }
    if (out.RedrivePolicy !== undefined) {
      let target: unknown;
      try {
        target = (JSON.parse(out.RedrivePolicy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
      } catch {
        throw invalidParameter('RedrivePolicy: Redrive policy is not JSON');
      }
      if (typeof target !== 'string' || !SQS_ARN.test(target)) {
        throw invalidParameter('RedrivePolicy: deadLetterTargetArn must be an SQS queue ARN');
      }
    }
    let filter: CompiledPattern | undefined;
    if (out.FilterPolicy !== undefined) {
      filter = compileFilterPolicy(
        out.FilterPolicy,
        (out.FilterPolicyScope as FilterPolicyScope) ?? 'MessageAttributes',
      );
      // `{}` is no policy: it removes the one there was.
      if (!filter) {
        delete out.FilterPolicy;
        delete out.FilterPolicyScope;
      } else {
        out.FilterPolicyScope ??= 'MessageAttributes';
      }
    }
    return { attributes: out, filter };
  }

  setSubscriptionAttribute(s: Subscription, name: string, value: string): void {
    const checked = this.checkSubscriptionAttributes(s.protocol, { [name]: value }, s.attributes);
    s.attributes = checked.attributes;
    this.filters.set(s.arn, checked.filter);
  }

  /** The subscription an ARN names; `Invalid parameter: SubscriptionArn` for what is no subscription ARN. */
  subscription(arn: string): Subscription | undefined {
    if (!SUBSCRIPTION_ARN.test(arn)) throw invalidParameter('SubscriptionArn');
    return this.subscriptions.get(arn);
  }

  filterOf(s: Subscription): CompiledPattern | undefined {
    return this.filters.get(s.arn);
  }

  /** The pending subscription of the topic that a token was sent for. */
  byToken(topicArn: string, token: string): Subscription | undefined {
    return this.ofTopic(topicArn).find((s) => s.tokens.includes(token));
  }

  confirm(s: Subscription, authenticated: boolean): void {
    if (!s.pending) return;
    s.pending = false;
    s.confirmationWasAuthenticated = authenticated;
    this.expiries.get(s.arn)?.cancel();
    this.expiries.delete(s.arn);
  }

  remove(s: Subscription): void {
    if (!this.subscriptions.has(s.arn)) return;
    this.forget(s);
    const topic = this.topics.get(s.topicArn);
    if (topic) topic.deletedSubscriptions++;
  }

  private forget(s: Subscription): void {
    this.subscriptions.delete(s.arn);
    this.filters.delete(s.arn);
    this.expiries.get(s.arn)?.cancel();
    this.expiries.delete(s.arn);
  }

  ofTopic(topicArn: string): Subscription[] {
    return [...this.subscriptions.values()].filter((s) => s.topicArn === topicArn);
  }

  /** The subscriptions an account made in a region (ListSubscriptions: the requester's), in ARN order. */
  ofScope(scope: Scope): Subscription[] {
    return [...this.subscriptions.values()]
      .filter((s) => s.owner === scope.accountId && parseTopicArn(s.topicArn).scope.region === scope.region)
      .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  }

  subscriptionAttributesOf(s: Subscription): Record<string, string> {
    return {
      SubscriptionArn: s.arn,
      TopicArn: s.topicArn,
      Owner: s.owner,
      Protocol: s.protocol,
      Endpoint: s.endpoint,
      PendingConfirmation: String(s.pending),
      ConfirmationWasAuthenticated: String(s.confirmationWasAuthenticated),
      RawMessageDelivery: s.attributes.RawMessageDelivery ?? 'false',
      EffectiveDeliveryPolicy: s.attributes.DeliveryPolicy ?? DEFAULT_EFFECTIVE_DELIVERY_POLICY,
      ...Object.fromEntries(Object.entries(s.attributes).filter(([k]) => k !== 'RawMessageDelivery')),
    };
  }

  // ---- state ----

  exportState(): { topics: Topic[]; subscriptions: Subscription[] } {
    return { topics: [...this.topics.values()], subscriptions: [...this.subscriptions.values()] };
  }

  /**
   * Replaces every topic and subscription, compiling policies and filter policies again (throwing, with
   * the ARN, on one it cannot read) and arming the 48-hour deletion of pending subscriptions as it was.
   */
  importState(saved: { topics: Topic[]; subscriptions: Subscription[] }): void {
    const policies = new Map<string, TopicPolicy>();
    for (const t of saved.topics) {
      if (t.attributes.Policy !== undefined)
        policies.set(
          t.arn,
          withArn(t.arn, () => parseTopicPolicy(t.attributes.Policy!)),
        );
    }
    const filters = new Map<string, CompiledPattern | undefined>();
    for (const s of saved.subscriptions) {
      filters.set(
        s.arn,
        s.attributes.FilterPolicy === undefined
          ? undefined
          : withArn(s.arn, () =>
              compileFilterPolicy(
                s.attributes.FilterPolicy!,
                (s.attributes.FilterPolicyScope as FilterPolicyScope) ?? 'MessageAttributes',
              ),
            ),
      );
    }
    for (const timer of this.expiries.values()) timer.cancel();
    this.expiries.clear();
    this.topics.clear();
    this.subscriptions.clear();
    this.policies.clear();
    this.filters.clear();
    for (const t of saved.topics) this.topics.set(t.arn, t);
    for (const [arn, p] of policies) this.policies.set(arn, p);
    for (const s of saved.subscriptions) {
      this.subscriptions.set(s.arn, s);
      this.filters.set(s.arn, filters.get(s.arn));
      if (s.pending) this.armExpiry(s);
    }
  }
}

const withArn = <T>(arn: string, parse: () => T): T => {
  try {
    return parse();
  } catch (e) {
    throw new Error(`${arn}: ${(e as Error).message}`);
  }
};

/** What GetTopicAttributes and GetSubscriptionAttributes answer when no DeliveryPolicy was set. */
export const DEFAULT_EFFECTIVE_DELIVERY_POLICY = JSON.stringify({
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 20,
      maxDelayTarget: 20,
      numRetries: 3,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: 'linear',
    },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
  },
});
