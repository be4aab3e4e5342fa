import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from '../../errors';
import type { SimClock } from '../../sim-clock';

export interface Scope {
  accountId: string;
  region: string;
}

/** A message attribute as SendMessage takes it and ReceiveMessage answers it. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface StoredMessage {
  messageId: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  md5OfBody: string;
  md5OfAttributes: string | undefined;
  sentAt: number;
  /** When the message may next be received (sent + delay, or the end of a receive's visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** The receipt handle of the latest receive; an older one no longer deletes the message. */
  receiptHandle: string | undefined;
  senderId: string;
}

export interface Queue {
  name: string;
  arn: string;
  scope: Scope;
  createdAt: number;
  /** As CreateQueue/GetQueueAttributes speak them: every value a string. */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  messages: StoredMessage[];
}

/** SQS's documented bounds and defaults for the attributes CreateQueue may set. */
const ATTRIBUTE_RULES: Readonly<Record<string, { min: number; max: number; default: number }>> = {
  DelaySeconds: { min: 0, max: 900, default: 0 },
  MaximumMessageSize: { min: 1024, max: 1_048_576, default: 262_144 },
  MessageRetentionPeriod: { min: 60, max: 1_209_600, default: 345_600 },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: 20, default: 0 },
  VisibilityTimeout: { min: 0, max: 43_200, default: 30 },
};
const OTHER_ATTRIBUTES = new Set(['Policy', 'RedrivePolicy', 'RedriveAllowPolicy', 'SqsManagedSseEnabled']);
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** SQS takes only #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF in a message. */
const hasInvalidCharacter = (text: string): boolean => {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const ok =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      c >= 0x10000;
    if (!ok) return true;
  }
  return false;
};
const MAX_ATTRIBUTES = 10;

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/**
 * MD5 of message attributes as SQS computes it: for each attribute in name order, the length-prefixed
 * name, the length-prefixed data type, a transport byte (1 string, 2 binary) and the length-prefixed value.
 */
export const md5OfMessageAttributes = (attributes: Record<string, MessageAttributeValue>): string => {
  const parts: Buffer[] = [];
  const field = (value: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(value.length);
    parts.push(length, value);
  };
  for (const name of Object.keys(attributes).sort()) {
    const a = attributes[name]!;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(a.DataType, 'utf8'));
    if (a.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      field(Buffer.from(a.BinaryValue, 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      field(Buffer.from(a.StringValue ?? '', 'utf8'));
    }
  }
  return md5(Buffer.concat(parts));
};

const invalidAttribute = (message: string) => new AwsError('InvalidAttributeValue', message);

/**
 * Standard queues per account and region, on the simulated clock: messages become visible after their
 * delay, hide for a visibility timeout once received, and expire after the queue's retention period.
 */
export class Queues {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly clock: SimClock) {}

  private key(scope: Scope, name: string) {
    return `${scope.accountId}/${scope.region}/${name}`;
  }

  create(scope: Scope, name: string, attributes: Record<string, string> = {}, tags = {}): Queue {
    if (!QUEUE_NAME.test(name)) {
      throw new AwsError(
        'InvalidParameterValue',
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    if (name.endsWith('.fifo') || attributes.FifoQueue !== undefined) {
      throw new AwsError('InvalidAttributeName', 'The local cloud has standard queues only, not FIFO ones.');
    }
    const wanted = this.checkAttributes(attributes);
    const existing = this.queues.get(this.key(scope, name));
    if (existing) {
      // CreateQueue is idempotent only when every attribute given matches the queue's.
      for (const [k, v] of Object.entries(attributes)) {
        if (existing.attributes[k] !== wanted[k] && existing.attributes[k] !== v) {
          throw new AwsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${k}`,
          );
        }
      }
      return existing;
    }
    const queue: Queue = {
      name,
      arn: `arn:aws:sqs:${scope.region}:${scope.accountId}:${name}`,
      scope,
      createdAt: this.clock.nowMillis(),
      attributes: wanted,
      tags: { ...tags },
      messages: [],
    };
    this.queues.set(this.key(scope, name), queue);
    return queue;
  }

  private checkAttributes(attributes: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, rule] of Object.entries(ATTRIBUTE_RULES)) out[k] = String(rule.default);
    out.SqsManagedSseEnabled = 'true';
    for (const [k, v] of Object.entries(attributes)) {
      const rule = ATTRIBUTE_RULES[k];
      if (rule) {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < rule.min || n > rule.max) {
          throw invalidAttribute(`Invalid value for the parameter ${k}: ${v} (${rule.min} to ${rule.max}).`);
        }
        out[k] = String(n);
      } else if (OTHER_ATTRIBUTES.has(k)) {
        out[k] = v;
      } else {
        throw new AwsError('InvalidAttributeName', `Unknown Attribute ${k}.`);
      }
    }
    return out;
  }

  get(scope: Scope, name: string): Queue {
    const queue = this.queues.get(this.key(scope, name));
    if (!queue) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  /** A queue by ARN, for the services that send to one (EventBridge, Lambda destinations). */
  byArn(arn: string): Queue {
    const m = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80})$/.exec(arn);
    if (!m) throw new AwsError('InvalidParameterValue', `not an SQS queue ARN: ${arn}`);
    return this.get({ region: m[1]!, accountId: m[2]! }, m[3]!);
  }

  list(scope: Scope): Queue[] {
    return [...this.queues.values()]
      .filter((q) => q.scope.accountId === scope.accountId && q.scope.region === scope.region)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  /** Replaces every queue (and its messages, in-flight ones with their visibility) with `queues`. */
  replaceAll(queues: readonly Queue[]): void {
    this.queues.clear();
    for (const q of queues) this.queues.set(this.key(q.scope, q.name), q);
  }

  delete(queue: Queue): void {
    this.queues.delete(this.key(queue.scope, queue.name));
  }

  send(
    queue: Queue,
    input: { body: string; delaySeconds?: number; attributes?: Record<string, MessageAttributeValue> },
    senderId: string,
  ): StoredMessage {
    this.expire(queue);
    if (input.body.length === 0) {
      throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    if (hasInvalidCharacter(input.body)) {
      throw new AwsError(
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
    }
    const attributes = input.attributes ?? {};
    const names = Object.keys(attributes);
    if (names.length > MAX_ATTRIBUTES) {
      throw new AwsError(
        'InvalidParameterValue',
        `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
      );
    }
    let size = Buffer.byteLength(input.body);
    for (const name of names) {
      const a = attributes[name]!;
      if (!/^(String|Number|Binary)(\.[\w.-]+)?$/.test(a.DataType ?? '')) {
        throw new AwsError(
          'InvalidParameterValue',
          `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
        );
      }
      const value = a.BinaryValue ?? a.StringValue;
      if (value === undefined || value === '') {
        throw new AwsError(
          'InvalidParameterValue',
          `The message attribute '${name}' must contain a non-empty value.`,
        );
      }
      size += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(value);
    }
    const max = Number(queue.attributes.MaximumMessageSize);
    if (size > max) {
      throw new AwsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`,
      );
    }
    const delay = input.delaySeconds ?? Number(queue.attributes.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${delay} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900.`,
      );
    }
    const now = this.clock.nowMillis();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: input.body,
      attributes: structuredClone(attributes),
      md5OfBody: md5(input.body),
      md5OfAttributes: names.length ? md5OfMessageAttributes(attributes) : undefined,
      sentAt: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      firstReceivedAt: undefined,
      receiptHandle: undefined,
      senderId,
    };
    queue.messages.push(message);
    return message;
  }

  receive(queue: Queue, max: number, visibilitySeconds?: number): StoredMessage[] {
    this.expire(queue);
    const now = this.clock.nowMillis();
    const timeout = visibilitySeconds ?? Number(queue.attributes.VisibilityTimeout);
    const out: StoredMessage[] = [];
    for (const m of queue.messages) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + timeout * 1000;
      m.receiptHandle = Buffer.from(`${queue.arn}#${m.messageId}#${randomUUID()}`).toString('base64');
      out.push(m);
    }
    return out;
  }

  private byHandle(queue: Queue, receiptHandle: string): StoredMessage | undefined {
    const decoded = Buffer.from(receiptHandle, 'base64').toString('utf8');
    if (!decoded.startsWith(`${queue.arn}#`)) {
      throw new AwsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
      );
    }
    return queue.messages.find((m) => m.receiptHandle === receiptHandle);
  }

  /** As SQS: deleting with a handle of a message already deleted succeeds. */
  deleteMessage(queue: Queue, receiptHandle: string): void {
    const m = this.byHandle(queue, receiptHandle);
    if (m) queue.messages.splice(queue.messages.indexOf(m), 1);
  }

  changeVisibility(queue: Queue, receiptHandle: string, seconds: number): void {
    const m = this.byHandle(queue, receiptHandle);
    if (!m || m.visibleAt <= this.clock.nowMillis()) {
      throw new AwsError('MessageNotInflight', 'The message referred to is not in flight.');
    }
    m.visibleAt = this.clock.nowMillis() + seconds * 1000;
  }

  purge(queue: Queue): void {
    queue.messages.length = 0;
  }

  /** Messages past the queue's retention period are gone, as on SQS. */
  expire(queue: Queue): void {
    const oldest = this.clock.nowMillis() - Number(queue.attributes.MessageRetentionPeriod) * 1000;
    if (queue.messages.some((m) => m.sentAt <= oldest)) {
      const kept = queue.messages.filter((m) => m.sentAt > oldest);
      queue.messages.length = 0;
      queue.messages.push(...kept);
    }
  }

  counts(queue: Queue): { visible: number; inFlight: number; delayed: number } {
    this.expire(queue);
    const now = this.clock.nowMillis();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of queue.messages) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount > 0) inFlight++;
      else delayed++;
    }
    return { visible, inFlight, delayed };
  }
}
