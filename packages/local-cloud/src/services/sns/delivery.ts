import { createSign, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import type { SimClock } from '../../sim-clock';
import type { MessageAttribute } from './filter-policy';
import type { Protocol, Subscription, Topic } from './topics';

/** How SNS reaches endpoints: the cloud wiring connects these to its SQS and Lambda. */
export interface Endpoints {
  /** SendMessage to a queue by ARN, as SNS's service principal; throws when the queue does not take it. */
  sendToQueue(queueArn: string, body: string, attributes: Record<string, MessageAttribute>): void;
  /** Invokes a function asynchronously (`InvocationType: Event`); rejects when it cannot be invoked. */
  invokeLambda?(functionArn: string, event: unknown): Promise<unknown>;
}

/** A message as Publish took it. */
export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  /** The message: the one text, or (MessageStructure json) the one for each protocol, `default` for others. */
  message: string;
  perProtocol?: Record<string, string>;
  attributes: Record<string, MessageAttribute>;
  /** Simulated epoch milliseconds. */
  publishedAt: number;
}

/** One message an endpoint received (or, `status: failed`, was to receive): `GET /_local/sns/messages`. */
export interface SnsDelivery {
  /** A subscription's confirmation request, or a published message. */
  kind: 'confirmation' | 'notification';
  topicArn: string;
  subscriptionArn: string;
  protocol: Protocol;
  endpoint: string;
  /** The Subject it was published with (null without one, and for a confirmation). */
  subject: string | null;
  /** The message for this endpoint's protocol, or the confirmation's text. */
  message: string;
  messageId: string;
  /** ISO 8601 on the simulated clock. */
  at: string;
  status: 'delivered' | 'failed';
  /** Why it failed (a queue that does not exist, a function that cannot be invoked). */
  error?: string;
  /**
   * What the endpoint got: the email's text for `email`, the JSON document for `email-json` and for `sqs`
   * without raw delivery, the message itself with raw delivery, Lambda's event as JSON for `lambda`.
   */
  body: string;
  /** For `email` and `email-json`: the From and Subject lines of the email. */
  email?: { from: string; subject: string };
  messageAttributes?: Record<string, MessageAttribute>;
  /** For a confirmation: the token ConfirmSubscription takes, and the link that confirms. */
  token?: string;
  subscribeUrl?: string;
}

/** The text a protocol's endpoints get: with MessageStructure json, theirs or the `default` one. */
export const messageFor = (m: PublishedMessage, protocol: string): string =>
  m.perProtocol ? (m.perProtocol[protocol] ?? m.perProtocol.default!) : m.message;

const EMAIL_FROM = 'no-reply@sns.amazonaws.com';
const DEFAULT_EMAIL_SUBJECT = 'AWS Notification Message';
const CONFIRMATION_EMAIL_SUBJECT = 'AWS Notification - Subscription Confirmation';
const EMAIL_FOOTER =
  'Please do not reply directly to this email. If you have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support';

/**
 * The string SNS signs, per its documentation: each field's name and value on lines of their own, in
 * this order, the Subject only when there is one.
 */
export const stringToSign = (doc: Record<string, unknown>): string => {
  const fields =
    doc.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields
    .filter((f) => doc[f] !== undefined && doc[f] !== null)
    .map((f) => `${f}\n${String(doc[f])}\n`)
    .join('');
};

/** The message attributes as the JSON documents carry them: `{Type, Value}`. */
const envelopeAttributes = (attributes: Record<string, MessageAttribute>) =>
  Object.fromEntries(
    Object.entries(attributes).map(([k, a]) => [
      k,
      { Type: a.DataType, Value: a.BinaryValue ?? a.StringValue ?? '' },
    ]),
  );

/**
 * Delivers to subscriptions on the simulated clock, at its present time, and keeps what each endpoint
 * received. Documents are signed as SNS signs them (SHA1withRSA, or SHA256withRSA with the topic's
 * `SignatureVersion` 2), with a key of this cloud's: `signingKey()` verifies them.
 */
export class Deliveries {
  private readonly log: SnsDelivery[] = [];
  private keys: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

  constructor(
    private readonly clock: SimClock,
    private readonly endpoints: Endpoints,
    /** The edge's endpoint, for the links in the messages. */
    private readonly origin: () => string,
    private readonly limit = 10_000,
  ) {}

  /** Every message delivered (or that failed to be), oldest first. */
  list(): SnsDelivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  /** The public key the documents' signatures verify with (PEM, SPKI), made on first use. */
  signingKey(): string {
    return this.keyPair().publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  signingKeyUrl(): string {
    return `${this.origin()}/_local/sns/signing-key`;
  }

  unsubscribeUrl(subscriptionArn: string): string {
    return `${this.origin()}/_local/sns/unsubscribe?SubscriptionArn=${encodeURIComponent(subscriptionArn)}`;
  }

  subscribeUrl(topicArn: string, token: string): string {
    return `${this.origin()}/_local/sns/confirm?TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`;
  }

  private keyPair() {
    // 2048-bit RSA, as SNS's certificates carry; made once, when the first document is signed.
    this.keys ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
    return this.keys;
  }

  private sign(topic: Topic, doc: Record<string, unknown>): Record<string, unknown> {
    const version = topic.attributes.SignatureVersion === '2' ? '2' : '1';
    const signer = createSign(version === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
    signer.update(stringToSign(doc));
    return {
      ...doc,
      SignatureVersion: version,
      Signature: signer.sign(this.keyPair().privateKey, 'base64'),
      SigningCertURL: this.signingKeyUrl(),
    };
  }

  /**
   * Sends a subscription's confirmation request: an email with the link for email, the
   * `SubscriptionConfirmation` document for email-json and a queue. A function is confirmed by its owner
   * with ConfirmSubscription and gets nothing.
   */
  confirmation(topic: Topic, s: Subscription, token: string): void {
    const messageId = randomUUID();
    const subscribeUrl = this.subscribeUrl(topic.arn, token);
    const now = this.clock.nowMillis();
    const message =
      `You have chosen to subscribe to the topic ${topic.arn}.\n` +
      'To confirm the subscription, visit the SubscribeURL included in this message.';
    const doc = this.sign(topic, {
      Type: 'SubscriptionConfirmation',
      MessageId: messageId,
      Token: token,
      TopicArn: topic.arn,
      Message: message,
      SubscribeURL: subscribeUrl,
      Timestamp: new Date(now).toISOString(),
    });
    const base = {
      kind: 'confirmation' as const,
      topicArn: topic.arn,
      subscriptionArn: s.arn,
      protocol: s.protocol,
      endpoint: s.endpoint,
      subject: null,
      messageId,
      token,
      subscribeUrl,
    };
    if (s.protocol === 'email') {
      const body =
        `You have chosen to subscribe to the topic: \n${topic.arn}\n\n` +
        'To confirm this subscription, click or visit the link below (If this was in error no action is necessary): \n' +
        `${subscribeUrl}\n\n` +
        'Please do not reply directly to this email. If you wish to remove yourself from receiving all future SNS subscription confirmation requests please send an email to sns-opt-out';
      this.keep({ ...base, message: body, body, email: this.emailHeader(topic, CONFIRMATION_EMAIL_SUBJECT) });
    } else if (s.protocol === 'email-json') {
      const body = JSON.stringify(doc, null, 2);
      this.keep({ ...base, message, body, email: this.emailHeader(topic, CONFIRMATION_EMAIL_SUBJECT) });
    } else if (s.protocol === 'sqs') {
      const body = JSON.stringify(doc, null, 2);
      this.attempt({ ...base, message, body }, () => this.endpoints.sendToQueue(s.endpoint, body, {}));
    }
  }

  /** Delivers a published message to one subscription (its filter policy already passed). */
  notify(topic: Topic, s: Subscription, m: PublishedMessage): void {
    const message = messageFor(m, s.protocol);
    const timestamp = new Date(m.publishedAt).toISOString();
    const unsubscribeUrl = this.unsubscribeUrl(s.arn);
    const attributes = Object.keys(m.attributes).length ? structuredClone(m.attributes) : undefined;
    const base = {
      kind: 'notification' as const,
      topicArn: topic.arn,
      subscriptionArn: s.arn,
      protocol: s.protocol,
      endpoint: s.endpoint,
      subject: m.subject ?? null,
      message,
      messageId: m.messageId,
      ...(attributes ? { messageAttributes: attributes } : {}),
    };
    const document = () =>
      this.sign(topic, {
        Type: 'Notification',
        MessageId: m.messageId,
        TopicArn: topic.arn,
        ...(m.subject === undefined ? {} : { Subject: m.subject }),
        Message: message,
        Timestamp: timestamp,
      });
    const withLinks = (doc: Record<string, unknown>) => ({
      ...doc,
      UnsubscribeURL: unsubscribeUrl,
      ...(attributes ? { MessageAttributes: envelopeAttributes(attributes) } : {}),
    });
    const email = this.emailHeader(topic, m.subject ?? DEFAULT_EMAIL_SUBJECT);
    switch (s.protocol) {
      case 'email': {
        const body =
          `${message}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n` +
          `${unsubscribeUrl}\n\n${EMAIL_FOOTER}`;
        this.keep({ ...base, body, email });
        return;
      }
      case 'email-json':
        this.keep({ ...base, body: JSON.stringify(withLinks(document()), null, 2), email });
        return;
      case 'sqs': {
        const raw = s.attributes.RawMessageDelivery === 'true';
        const body = raw ? message : JSON.stringify(withLinks(document()), null, 2);
        this.attempt({ ...base, body }, () =>
          this.endpoints.sendToQueue(s.endpoint, body, raw ? m.attributes : {}),
        );
        return;
      }
      case 'lambda': {
        const doc = document();
        const event = {
          Records: [
            {
              EventSource: 'aws:sns',
              EventVersion: '1.0',
              EventSubscriptionArn: s.arn,
              Sns: {
                Type: 'Notification',
                MessageId: m.messageId,
                TopicArn: topic.arn,
                Subject: m.subject ?? null,
                Message: message,
                Timestamp: timestamp,
                SignatureVersion: doc.SignatureVersion,
                Signature: doc.Signature,
                SigningCertUrl: doc.SigningCertURL,
                UnsubscribeUrl: unsubscribeUrl,
                MessageAttributes: envelopeAttributes(m.attributes),
              },
            },
          ],
        };
        const record = { ...base, body: JSON.stringify(event) };
        const invoke = this.endpoints.invokeLambda;
        if (!invoke) {
          this.keep({ ...record, status: 'failed', error: 'the cloud runs no Lambda functions' });
          return;
        }
        // Accepted (or refused) asynchronously, as Lambda's Event invocations are; kept once it answers.
        invoke(s.endpoint, event).then(
          () => this.keep(record),
          (e: unknown) => this.keep({ ...record, status: 'failed', error: errorMessage(e) }),
        );
        return;
      }
    }
  }

  private emailHeader(topic: Topic, subject: string) {
    const name = topic.attributes.DisplayName || 'AWS Notifications';
    return { from: `${name} <${EMAIL_FROM}>`, subject };
  }

  private attempt(record: Omit<SnsDelivery, 'at' | 'status'>, send: () => void): void {
    try {
      send();
      this.keep(record);
    } catch (e) {
      this.keep({ ...record, status: 'failed', error: errorMessage(e) });
    }
  }

  private keep(record: Omit<SnsDelivery, 'at' | 'status'> & { status?: SnsDelivery['status'] }): void {
    this.log.push({ status: 'delivered', ...record, at: this.clock.now().toISOString() } as SnsDelivery);
    if (this.log.length > this.limit) this.log.splice(0, this.log.length - this.limit);
  }

  exportState(): SnsDelivery[] {
    return this.log;
  }

  importState(saved: SnsDelivery[]): void {
    this.log.splice(0, this.log.length, ...saved);
  }
}

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
