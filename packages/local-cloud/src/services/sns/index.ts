import { randomUUID } from 'node:crypto';
import { AwsError } from '../../errors';
import { decodePageToken, encodePageToken } from '../../page-token';
import {
  decodeState,
  encodeState,
  expectArray,
  expectNumber,
  expectRecord,
  expectString,
  StateCodecError,
} from '../../persistence/codec';
import { awsQueryError, type QueryParams, queryRequestParams, structListParam } from '../../protocols/query';
import type { CloudContext, EmulatedService, ServiceRequest, ServiceResponse } from '../../types';
import { Deliveries, type Endpoints, messageFor, type PublishedMessage, type SnsDelivery } from './delivery';
import { type FilterPolicyScope, type MessageAttribute, passesFilter } from './filter-policy';
import { authorizationError, type Caller, evaluateTopicPolicy } from './policy';
import {
  parseTopicArn,
  type Scope,
  type Subscription,
  subscriptionNotFound,
  type Topic,
  Topics,
  topicNotFound,
} from './topics';
import {
  el,
  entries,
  members,
  messageAttributesParam,
  param,
  queryResponse,
  stringListParam,
  stringMapParam,
  tagsParam,
  XMLNS,
} from './wire';

export type { Endpoints, PublishedMessage, SnsDelivery } from './delivery';
export type { MessageAttribute } from './filter-policy';
export type { Caller } from './policy';
export type { Protocol, Subscription, Topic } from './topics';

/** AWS's limit on a message: 256 KiB, its attributes included. */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_SUBJECT_LENGTH = 100;
const SUBJECT = new RegExp(`^[!-~][ -~]{0,${MAX_SUBJECT_LENGTH - 1}}$`);
const MAX_BATCH_ENTRIES = 10;
const PAGE_SIZE = 100;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

const OPERATIONS = [
  'CreateTopic',
  'DeleteTopic',
  'GetTopicAttributes',
  'SetTopicAttributes',
  'ListTopics',
  'Subscribe',
  'ConfirmSubscription',
  'Unsubscribe',
  'GetSubscriptionAttributes',
  'SetSubscriptionAttributes',
  'ListSubscriptions',
  'ListSubscriptionsByTopic',
  'Publish',
  'PublishBatch',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
] as const;
type Operation = (typeof OPERATIONS)[number];

interface RequestCaller extends Scope {
  caller: Caller;
}

const invalidParameter = (what: string) => new AwsError('InvalidParameter', `Invalid parameter: ${what}`);
const invalidValue = (message: string) => new AwsError('ParameterValueInvalid', message);

/**
 * Amazon SNS over the Query protocol (what `@aws-sdk/client-sns` speaks): standard topics per account
 * and region, with their policies, subscriptions for email, email-json, SQS and Lambda endpoints with
 * filter policies, and Publish/PublishBatch delivering at once on the simulated clock. An email
 * subscription waits for its recipient's confirmation (`POST /_local/sns/confirm`, or the link in the
 * confirmation message); everything delivered is listed by `messages()` and `GET /_local/sns/messages`.
 * Differences from AWS are listed in this folder's README.
 */
export class SnsService implements EmulatedService {
  readonly signingName = 'sns';
  readonly topics: Topics;
  private readonly deliveries: Deliveries;

  constructor(
    private readonly ctx: CloudContext,
    endpoints: Endpoints,
    /** The edge's endpoint, for the links in messages (confirm, unsubscribe, signing key). */
    endpoint: () => string = () => 'http://127.0.0.1:4566',
  ) {
    this.topics = new Topics(ctx.clock);
    this.deliveries = new Deliveries(ctx.clock, endpoints, endpoint);
  }

  operation(req: ServiceRequest): string {
    const action = queryRequestParams(req.body, req.query).get('Action');
    if (!action) throw new AwsError('MissingAction', 'The request must contain the parameter Action');
    if (!(OPERATIONS as readonly string[]).includes(action)) {
      throw new AwsError(
        'InvalidAction',
        'The action or operation requested is invalid. Verify that the action is typed correctly.',
      );
    }
    return action;
  }

  async handle(req: ServiceRequest, operation: string): Promise<ServiceResponse> {
    const params = queryRequestParams(req.body, req.query);
    const caller: RequestCaller = {
      accountId: req.principal.accountId,
      region: req.region,
      caller: this.awsCaller(req.principal.arn, req.principal.accountId),
    };
    const result = this.run(operation as Operation, caller, params);
    return {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': req.requestId },
      body: queryResponse(operation, result, req.requestId),
    };
  }

  renderError(err: AwsError, req: ServiceRequest): ServiceResponse {
    return {
      status: err.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': req.requestId },
      body: awsQueryError(err, XMLNS, req.requestId),
    };
  }

  /** Runs one operation; answers the inside of its `<XResult>`, undefined for those without output. */
  private run(op: Operation, c: RequestCaller, p: QueryParams): string | undefined {
    switch (op) {
      case 'CreateTopic': {
        const topic = this.topics.create(
          c,
          param(p, 'Name', true)!,
          stringMapParam(p, 'Attributes'),
          tagsParam(p),
        );
        return el('TopicArn', topic.arn);
      }
      case 'DeleteTopic': {
        const arn = param(p, 'TopicArn', true)!;
        const topic = this.findTopic(arn, c.region);
        if (topic) {
          this.authorize(c.caller, 'sns:DeleteTopic', topic);
          this.topics.delete(topic.arn);
        }
        return undefined;
      }
      case 'GetTopicAttributes': {
        const topic = this.topicFor(c, p, 'sns:GetTopicAttributes');
        return entries('Attributes', this.topics.attributesOf(topic));
      }
      case 'SetTopicAttributes': {
        const topic = this.topicFor(c, p, 'sns:SetTopicAttributes');
        this.topics.setAttribute(topic, param(p, 'AttributeName', true)!, p.get('AttributeValue') ?? '');
        return undefined;
      }
      case 'ListTopics': {
        const { page, next } = this.page(
          this.topics.list(c),
          (t) => t.arn,
          `topics:${c.accountId}:${c.region}`,
          p.get('NextToken'),
        );
        return (
          members(
            'Topics',
            page.map((t) => el('TopicArn', t.arn)),
          ) + el('NextToken', next)
        );
      }
      case 'Subscribe': {
        const topic = this.topicFor(c, p, 'sns:Subscribe');
        const s = this.subscribe(
          c,
          topic,
          param(p, 'Protocol', true)!,
          p.get('Endpoint') ?? '',
          stringMapParam(p, 'Attributes'),
        );
        const returnArn = p.get('ReturnSubscriptionArn') === 'true';
        return el('SubscriptionArn', s.pending && !returnArn ? 'pending confirmation' : s.arn);
      }
      case 'ConfirmSubscription': {
        const topic = this.topics.get(param(p, 'TopicArn', true)!, c.region);
        const s = this.confirmByToken(topic, param(p, 'Token', true)!, true);
        return el('SubscriptionArn', s.arn);
      }
      case 'Unsubscribe': {
        const s = this.topics.subscription(param(p, 'SubscriptionArn', true)!);
        // Unsubscribing what is no longer there succeeds, as on AWS.
        if (s) {
          const topicOwner = parseTopicArn(s.topicArn).scope.accountId;
          if (c.accountId !== s.owner && c.accountId !== topicOwner) {
            throw authorizationError(c.caller, 'sns:Unsubscribe', s.arn, { allowed: false });
          }
          this.topics.remove(s);
        }
        return undefined;
      }
      case 'GetSubscriptionAttributes':
        return entries('Attributes', this.topics.subscriptionAttributesOf(this.subscriptionFor(c, p)));
      case 'SetSubscriptionAttributes': {
        const s = this.subscriptionFor(c, p);
        this.topics.setSubscriptionAttribute(
          s,
          param(p, 'AttributeName', true)!,
          p.get('AttributeValue') ?? '',
        );
        return undefined;
      }
      case 'ListSubscriptions': {
        const { page, next } = this.page(
          this.topics.ofScope(c),
          (s) => s.arn,
          `subscriptions:${c.accountId}:${c.region}`,
          p.get('NextToken'),
        );
        return (
          members(
            'Subscriptions',
            page.map((s) => this.subscriptionXml(s)),
          ) + el('NextToken', next)
        );
      }
      case 'ListSubscriptionsByTopic': {
        const topic = this.topicFor(c, p, 'sns:ListSubscriptionsByTopic');
        const subs = this.topics.ofTopic(topic.arn).sort((a, b) => (a.arn < b.arn ? -1 : 1));
        const { page, next } = this.page(
          subs,
          (s) => s.arn,
          `subscriptions:${topic.arn}`,
          p.get('NextToken'),
        );
        return (
          members(
            'Subscriptions',
            page.map((s) => this.subscriptionXml(s)),
          ) + el('NextToken', next)
        );
      }
      case 'Publish': {
        const topicArn = p.get('TopicArn') ?? p.get('TargetArn');
        if (p.has('PhoneNumber')) {
          throw invalidParameter("PhoneNumber Reason: the local cloud's SNS does not send SMS");
        }
        if (topicArn === undefined) {
          throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
        }
        const topic = this.topics.get(topicArn, c.region);
        this.authorize(c.caller, 'sns:Publish', topic);
        const m = this.checkMessage(topic, {
          message: param(p, 'Message', true)!,
          subject: p.get('Subject'),
          structure: p.get('MessageStructure'),
          attributes: messageAttributesParam(p),
          deduplicationId: p.get('MessageDeduplicationId'),
        });
        this.fanOut(topic, m);
        return el('MessageId', m.messageId);
      }
      case 'PublishBatch':
        return this.publishBatch(c, p);
      case 'TagResource': {
        const topic = this.ownTopic(c, param(p, 'ResourceArn', true)!);
        this.topics.tag(topic, tagsParam(p));
        return undefined;
      }
      case 'UntagResource': {
        const topic = this.ownTopic(c, param(p, 'ResourceArn', true)!);
        for (const key of stringListParam(p, 'TagKeys')) delete topic.tags[key];
        return undefined;
      }
      case 'ListTagsForResource': {
        const topic = this.ownTopic(c, param(p, 'ResourceArn', true)!);
        return members(
          'Tags',
          Object.entries(topic.tags).map(([k, v]) => el('Key', k) + el('Value', v)),
        );
      }
    }
  }

  private subscriptionXml(s: Subscription): string {
    return (
      el('SubscriptionArn', s.pending ? 'PendingConfirmation' : s.arn) +
      el('Owner', s.owner) +
      el('Protocol', s.protocol) +
      el('Endpoint', s.endpoint) +
      el('TopicArn', s.topicArn)
    );
  }

  /**
   * PublishBatch: up to 10 entries with distinct ids; each entry is checked and published on its own,
   * a refused one listed in `Failed` with its error.
   */
  private publishBatch(c: RequestCaller, p: QueryParams): string {
    const topic = this.topics.get(param(p, 'TopicArn', true)!, c.region);
    this.authorize(c.caller, 'sns:Publish', topic);
    const list = structListParam(p, 'PublishBatchRequestEntries.member');
    if (list.length === 0)
      throw new AwsError('EmptyBatchRequest', "The batch request doesn't contain any entries.");
    if (list.length > MAX_BATCH_ENTRIES) {
      throw new AwsError(
        'TooManyEntriesInBatchRequest',
        'The batch request contains more entries than permissible.',
      );
    }
    const ids = list.map((e) => e.get('Id') ?? '');
    if (ids.some((id) => !BATCH_ENTRY_ID.test(id))) {
      throw new AwsError(
        'InvalidBatchEntryId',
        "The Id of a batch entry in a batch request doesn't abide by the specification.",
      );
    }
    if (new Set(ids).size !== ids.length) {
      throw new AwsError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    }
    const size = list.reduce((n, e) => n + Buffer.byteLength(e.get('Message') ?? ''), 0);
    if (size > MAX_MESSAGE_BYTES) {
      throw new AwsError(
        'BatchRequestTooLong',
        'The length of all the messages put together is more than the limit.',
      );
    }
    const ok: string[] = [];
    const failed: string[] = [];
    list.forEach((entry, i) => {
      try {
        const m = this.checkMessage(topic, {
          message: param(entry, 'Message', true)!,
          subject: entry.get('Subject'),
          structure: entry.get('MessageStructure'),
          attributes: messageAttributesParam(entry),
          deduplicationId: entry.get('MessageDeduplicationId'),
        });
        this.fanOut(topic, m);
        ok.push(el('Id', ids[i]) + el('MessageId', m.messageId));
      } catch (e) {
        if (!(e instanceof AwsError)) throw e;
        failed.push(
          el('Id', ids[i]) + el('Code', e.code) + el('Message', e.message) + el('SenderFault', true),
        );
      }
    });
    return members('Successful', ok) + members('Failed', failed);
  }

  // ---- the in-process API: the deployer, EventBridge's SNS targets, the control API and tests ----

  /** CreateTopic as `scope`'s account (CloudFormation's AWS::SNS::Topic). */
  createTopic(
    scope: Scope,
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
  ): Topic {
    return this.topics.create(scope, name, attributes, tags);
  }

  /**
   * A topic as CloudFormation's AWS::SNS::Topic declares it: created, or (deployed again) the one there
   * given the attributes and tags declared, rather than refused for having others.
   */
  declareTopic(
    scope: Scope,
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
  ): Topic {
    const existing = this.topics.find(`arn:aws:sns:${scope.region}:${scope.accountId}:${name}`);
    if (!existing) return this.topics.create(scope, name, attributes, tags);
    for (const [k, v] of Object.entries(attributes)) this.topics.setAttribute(existing, k, v);
    this.topics.tag(existing, tags);
    return existing;
  }

  /**
   * Subscribe as `scope`'s account, from code. `declared`: as CloudFormation's AWS::SNS::Subscription (or
   * a Topic's `Subscription` list) declares it: an endpoint already subscribed keeps its subscription,
   * given the declared attributes, and gets no second confirmation, so a deploy over a restored state
   * changes nothing that is already there.
   */
  subscribeAs(
    scope: Scope,
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string> = {},
    opts: { declared?: boolean } = {},
  ): Subscription {
    const topic = this.topics.get(topicArn, scope.region);
    if (opts.declared) {
      const existing = this.topics
        .ofTopic(topic.arn)
        .find((s) => s.protocol === protocol && s.endpoint === endpoint);
      if (existing) {
        for (const [k, v] of Object.entries(attributes)) this.topics.setSubscriptionAttribute(existing, k, v);
        return existing;
      }
    }
    const caller = {
      ...scope,
      caller: this.awsCaller(`arn:aws:iam::${scope.accountId}:root`, scope.accountId),
    };
    return this.subscribe(caller, topic, protocol, endpoint, attributes);
  }

  /** SetTopicAttributes Policy as the topic's owner (AWS::SNS::TopicPolicy). */
  setTopicPolicy(topicArn: string, policy: string): void {
    const topic = this.topics.find(topicArn);
    if (!topic) throw topicNotFound();
    this.topics.setAttribute(topic, 'Policy', policy);
  }

  /**
   * Publish as an AWS service (EventBridge's `events.amazonaws.com` with the rule as `aws:SourceArn`):
   * the topic's policy must allow it. No Subject, no attributes. Answers the message id; throws
   * `NotFound` or `AuthorizationError` as SNS answers the service.
   */
  publishAsService(
    topicArn: string,
    message: string,
    source: { service: string; sourceArn?: string; sourceAccount?: string },
  ): string {
    const topic = this.topics.find(topicArn);
    if (!topic) throw topicNotFound();
    this.authorize({ kind: 'service', ...source }, 'sns:Publish', topic);
    const m = this.checkMessage(topic, { message, attributes: {} });
    this.fanOut(topic, m);
    return m.messageId;
  }

  /**
   * Publish as the topic's owner, from code (a test standing in for a function): the same checks as the
   * wire operation.
   */
  publish(
    topicArn: string,
    input: {
      message: string;
      subject?: string;
      messageStructure?: 'json';
      attributes?: Record<string, MessageAttribute>;
    },
  ): string {
    const topic = this.topics.find(topicArn);
    if (!topic) throw topicNotFound();
    const m = this.checkMessage(topic, {
      message: input.message,
      subject: input.subject,
      structure: input.messageStructure,
      attributes: input.attributes ?? {},
    });
    this.fanOut(topic, m);
    return m.messageId;
  }

  /**
   * What endpoints received, oldest first: confirmation requests and notifications, optionally only one
   * topic's, one endpoint's, or those at or after a simulated time.
   */
  messages(filter: { topicArn?: string; endpoint?: string; since?: Date | string } = {}): SnsDelivery[] {
    const since = filter.since === undefined ? undefined : new Date(filter.since).getTime();
    return this.deliveries
      .list()
      .filter(
        (d) =>
          (filter.topicArn === undefined || d.topicArn === filter.topicArn) &&
          (filter.endpoint === undefined || d.endpoint === filter.endpoint) &&
          (since === undefined || Date.parse(d.at) >= since),
      );
  }

  /**
   * Confirms a pending subscription as its recipient would, by clicking the link: named by its ARN, by
   * its topic and endpoint, or by its topic and a token it was sent. Throws `NotFound` when there is no
   * such subscription; a confirmed one is answered as it is.
   */
  confirm(
    ref:
      | { subscriptionArn: string }
      | { topicArn: string; endpoint: string }
      | { topicArn: string; token: string },
  ): Subscription {
    if ('token' in ref) {
      const topic = this.topics.find(ref.topicArn);
      if (!topic) throw topicNotFound();
      return this.confirmByToken(topic, ref.token, false);
    }
    const s =
      'subscriptionArn' in ref
        ? this.topics.subscription(ref.subscriptionArn)
        : this.topics.ofTopic(ref.topicArn).find((x) => x.endpoint === ref.endpoint);
    if (!s) throw subscriptionNotFound();
    this.topics.confirm(s, false);
    return s;
  }

  /** Unsubscribes as the link in every message does (no signature needed). False when it was not there. */
  unsubscribeByLink(subscriptionArn: string): boolean {
    const s = this.topics.subscription(subscriptionArn);
    if (!s) return false;
    this.topics.remove(s);
    return true;
  }

  /** The public key (PEM) that the Signature of every document this cloud delivered verifies with. */
  signingKey(): string {
    return this.deliveries.signingKey();
  }

  /** A subscription's attributes as GetSubscriptionAttributes answers them. */
  subscriptionAttributes(s: Subscription): Record<string, string> {
    return this.topics.subscriptionAttributesOf(s);
  }

  /** Topics, subscriptions (pending ones with their tokens) and what was delivered, as JSON. */
  snapshotState(): unknown {
    return encodeState({ ...this.topics.exportState(), deliveries: this.deliveries.exportState() });
  }

  /** Replaces every topic, subscription and delivered message with those of a `snapshotState`. */
  restoreState(saved: unknown): void {
    const data = expectRecord(decodeState(saved), '$');
    const topics = expectArray(data.topics, '$.topics').map((t, i) => {
      const topic = expectRecord(t, `$.topics[${i}]`);
      expectString(topic.arn, `$.topics[${i}].arn`);
      expectString(topic.name, `$.topics[${i}].name`);
      const scope = expectRecord(topic.scope, `$.topics[${i}].scope`);
      expectString(scope.accountId, `$.topics[${i}].scope.accountId`);
      expectString(scope.region, `$.topics[${i}].scope.region`);
      expectRecord(topic.attributes, `$.topics[${i}].attributes`);
      expectRecord(topic.tags, `$.topics[${i}].tags`);
      return topic as unknown as Topic;
    });
    const subscriptions = expectArray(data.subscriptions, '$.subscriptions').map((s, i) => {
      const sub = expectRecord(s, `$.subscriptions[${i}]`);
      for (const f of ['arn', 'topicArn', 'owner', 'protocol', 'endpoint']) {
        expectString(sub[f], `$.subscriptions[${i}].${f}`);
      }
      expectRecord(sub.attributes, `$.subscriptions[${i}].attributes`);
      expectArray(sub.tokens, `$.subscriptions[${i}].tokens`);
      expectNumber(sub.subscribedAt, `$.subscriptions[${i}].subscribedAt`);
      if (typeof sub.pending !== 'boolean') {
        throw new StateCodecError(`$.subscriptions[${i}].pending`, 'must be true or false');
      }
      return sub as unknown as Subscription;
    });
    const deliveries = expectArray(data.deliveries, '$.deliveries').map((d, i) => {
      const delivery = expectRecord(d, `$.deliveries[${i}]`);
      expectString(delivery.topicArn, `$.deliveries[${i}].topicArn`);
      expectString(delivery.at, `$.deliveries[${i}].at`);
      return delivery as unknown as SnsDelivery;
    });
    this.topics.importState({ topics, subscriptions });
    this.deliveries.importState(deliveries);
  }

  // ---- shared ----

  private awsCaller(arn: string, accountId: string): Caller {
    const org = this.ctx.accounts.organization;
    return {
      kind: 'aws',
      arn,
      accountId,
      ...(org && this.ctx.accounts.inOrganization(accountId) ? { orgId: org.id } : {}),
    };
  }

  private authorize(caller: Caller, action: string, topic: Topic): void {
    const decision = evaluateTopicPolicy(
      this.topics.policyOf(topic),
      caller,
      action,
      topic.arn,
      topic.scope.accountId,
    );
    if (!decision.allowed) throw authorizationError(caller, action, topic.arn, decision);
  }

  private findTopic(arn: string, region: string): Topic | undefined {
    try {
      return this.topics.get(arn, region);
    } catch (e) {
      if (e instanceof AwsError && e.code === 'NotFound') return undefined;
      throw e;
    }
  }

  /** The topic a request's `TopicArn` names, once its policy lets the caller do `action`. */
  private topicFor(c: RequestCaller, p: QueryParams, action: string): Topic {
    const topic = this.topics.get(param(p, 'TopicArn', true)!, c.region);
    this.authorize(c.caller, action, topic);
    return topic;
  }

  /** Tags are managed by the topic's own account only. */
  private ownTopic(c: RequestCaller, arn: string): Topic {
    const topic = this.findTopic(arn, c.region);
    if (!topic || topic.scope.accountId !== c.accountId) {
      throw new AwsError('ResourceNotFound', 'Resource does not exist', 404);
    }
    return topic;
  }

  /** The subscription a request names, for its owner or the topic's owner. */
  private subscriptionFor(c: RequestCaller, p: QueryParams): Subscription {
    const s = this.topics.subscription(param(p, 'SubscriptionArn', true)!);
    if (!s) throw subscriptionNotFound();
    if (s.owner !== c.accountId && parseTopicArn(s.topicArn).scope.accountId !== c.accountId) {
      throw subscriptionNotFound();
    }
    return s;
  }

  private subscribe(
    c: RequestCaller,
    topic: Topic,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string>,
  ): Subscription {
    const { subscription, token } = this.topics.subscribe(c, topic, protocol, endpoint, attributes);
    if (token !== undefined) this.deliveries.confirmation(topic, subscription, token);
    return subscription;
  }

  private confirmByToken(topic: Topic, token: string, authenticated: boolean): Subscription {
    const s = this.topics.byToken(topic.arn, token);
    if (!s) throw invalidParameter('Invalid token');
    this.topics.confirm(s, authenticated);
    return s;
  }

  /**
   * Checks a message as Publish does (AWS's words where known) and gives it its id: not empty, within
   * 256 KiB with its attributes, a Subject of printable ASCII up to 100 characters, `MessageStructure:
   * json` with a `default` message, attributes of the types SNS knows.
   */
  private checkMessage(
    topic: Topic,
    input: {
      message: string;
      subject?: string | undefined;
      structure?: string | undefined;
      attributes: Record<string, MessageAttribute>;
      deduplicationId?: string | undefined;
    },
  ): PublishedMessage {
    if (input.message === '') throw invalidParameter('Empty message');
    // Printable ASCII, not starting with a space, at most 100 characters.
    if (input.subject !== undefined && !SUBJECT.test(input.subject)) throw invalidParameter('Subject');
    if (input.deduplicationId !== undefined) {
      throw invalidParameter(
        'MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
      );
    }
    let size = Buffer.byteLength(input.message);
    for (const [name, a] of Object.entries(input.attributes)) {
      this.checkAttribute(name, a);
      size +=
        Buffer.byteLength(name) +
        Buffer.byteLength(a.DataType) +
        Buffer.byteLength(a.StringValue ?? a.BinaryValue ?? '');
    }
    if (size > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    let perProtocol: Record<string, string> | undefined;
    if (input.structure !== undefined) {
      if (input.structure !== 'json') throw invalidParameter('MessageStructure');
      let parsed: unknown;
      try {
        parsed = JSON.parse(input.message);
      } catch {
        throw invalidParameter('Message Structure - JSON message body failed to parse');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw invalidParameter('Message Structure - JSON message body failed to parse');
      }
      const map = parsed as Record<string, unknown>;
      if (typeof map.default !== 'string') {
        throw invalidParameter('Message Structure - No default entry in JSON message body');
      }
      for (const [k, v] of Object.entries(map)) {
        if (typeof v !== 'string')
          throw invalidParameter(`Message Structure - the message for ${k} is not a string`);
      }
      perProtocol = map as Record<string, string>;
    }
    return {
      messageId: randomUUID(),
      topicArn: topic.arn,
      ...(input.subject === undefined ? {} : { subject: input.subject }),
      message: perProtocol ? perProtocol.default! : input.message,
      ...(perProtocol ? { perProtocol } : {}),
      attributes: structuredClone(input.attributes),
      publishedAt: this.ctx.clock.nowMillis(),
    };
  }

  /** A message attribute: a name SNS allows, a known type, a value that fits it. */
  private checkAttribute(name: string, a: MessageAttribute): void {
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..') ||
      /^(aws|amazon)\./i.test(name)
    ) {
      throw invalidValue(`The message attribute name '${name}' is invalid.`);
    }
    const type = a.DataType.split('.')[0];
    if (!/^(String|Number|Binary)(\.[\w.-]+)?$/.test(a.DataType)) {
      throw invalidValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const value = type === 'Binary' ? a.BinaryValue : a.StringValue;
    if (value === undefined || value === '') {
      throw invalidValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    if (
      type === 'Number' &&
      (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) || !Number.isFinite(Number(value)))
    ) {
      throw invalidValue(`Could not cast message attribute '${name}' value to number.`);
    }
    if (a.DataType === 'String.Array') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed) || parsed.some((v) => typeof v === 'object' && v !== null)) {
        throw invalidValue(
          `The message attribute '${name}' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.`,
        );
      }
    }
  }

  /** Delivers a message to every confirmed subscription whose filter policy it passes. */
  private fanOut(topic: Topic, m: PublishedMessage): void {
    for (const s of this.topics.ofTopic(topic.arn)) {
      if (s.pending) continue;
      const scope = (s.attributes.FilterPolicyScope as FilterPolicyScope | undefined) ?? 'MessageAttributes';
      if (!passesFilter(this.topics.filterOf(s), scope, messageFor(m, s.protocol), m.attributes)) continue;
      this.deliveries.notify(topic, s, m);
    }
  }

  /** One page of a listing by key, 100 at a time, with the token of the next. */
  private page<T>(items: readonly T[], key: (item: T) => string, listing: string, token: string | undefined) {
    let rest = items;
    if (token !== undefined) {
      const after = decodePageToken(token, listing, 'string');
      if (after === undefined) throw invalidParameter('NextToken');
      rest = items.filter((i) => key(i) > after);
    }
    const page = rest.slice(0, PAGE_SIZE);
    const next =
      rest.length > PAGE_SIZE
        ? encodePageToken({ l: listing, after: key(page[page.length - 1]!) })
        : undefined;
    return { page, next };
  }
}
