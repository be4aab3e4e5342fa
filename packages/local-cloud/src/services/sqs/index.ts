import { AwsError } from '../../errors';
import {
  decodeState,
  encodeState,
  expectArray,
  expectNumber,
  expectRecord,
  expectString,
} from '../../persistence/codec';
import { dispatchJson, jsonReply, targetOperation } from '../../protocols/json';
import type { CloudContext, EmulatedService, ServiceRequest, ServiceResponse } from '../../types';
import {
  type MessageAttributeValue,
  md5OfMessageAttributes,
  type Queue,
  Queues,
  type Scope,
  type StoredMessage,
} from './queues';

export { md5OfMessageAttributes, type Queue, type StoredMessage } from './queues';

const TARGET_PREFIX = 'AmazonSQS.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** The Query-protocol codes SQS sends in `x-amzn-query-error` beside its JSON error shapes. */
const QUERY_CODES: Readonly<Record<string, string>> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  QueueNameExists: 'QueueAlreadyExists',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
};

type Body = Record<string, unknown>;
interface Caller extends Scope {
  /** Where the caller reached the cloud, for the queue URLs it is answered. */
  origin: string;
  principalArn: string;
}

const wrongType = (key: string, expected: string) =>
  new AwsError('SerializationException', `${key} must be ${expected}`);

const str = (body: Body, key: string, required = false): string | undefined => {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required) throw new AwsError('MissingParameter', `The request must contain the parameter ${key}.`);
    return undefined;
  }
  if (typeof v !== 'string') throw wrongType(key, 'a string');
  return v;
};

const int = (body: Body, key: string, min: number, max: number): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(key, 'an integer');
  if (v < min || v > max) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ${v} for parameter ${key} is invalid. Reason: Must be between ${min} and ${max}.`,
    );
  }
  return v;
};

const stringMap = (body: Body, key: string): Record<string, string> => {
  const v = body[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(key, 'a map of strings');
  for (const [k, value] of Object.entries(v))
    if (typeof value !== 'string') throw wrongType(`${key}.${k}`, 'a string');
  return v as Record<string, string>;
};

const messageAttributes = (body: Body): Record<string, MessageAttributeValue> => {
  const v = body.MessageAttributes;
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw wrongType('MessageAttributes', 'a map');
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, raw] of Object.entries(v as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null) throw wrongType(`MessageAttributes.${name}`, 'a structure');
    const a = raw as Record<string, unknown>;
    const DataType = str(a, 'DataType', true)!;
    const StringValue = str(a, 'StringValue');
    const BinaryValue = str(a, 'BinaryValue');
    out[name] = {
      DataType,
      ...(StringValue === undefined ? {} : { StringValue }),
      ...(BinaryValue === undefined ? {} : { BinaryValue }),
    };
  }
  return out;
};

/** The names a ReceiveMessage asks for: `All`, `.*`, exact names, or `prefix.*`. */
const wanted = (names: unknown, name: string): boolean => {
  if (!Array.isArray(names)) return false;
  return names.some(
    (n) =>
      typeof n === 'string' &&
      (n === 'All' || n === '.*' || n === name || (n.endsWith('.*') && name.startsWith(n.slice(0, -1)))),
  );
};

/**
 * Amazon SQS (JSON 1.0, `X-Amz-Target: AmazonSQS.<Operation>`): standard queues per account and region on
 * the simulated clock, with CreateQueue, GetQueueUrl, ListQueues, GetQueueAttributes, DeleteQueue,
 * SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility and PurgeQueue. Differences from AWS
 * are listed in this folder's README.
 */
export class SqsService implements EmulatedService {
  readonly signingName = 'sqs';
  readonly queues: Queues;
  private readonly operations: Record<string, (caller: Caller, body: Body) => unknown>;

  constructor(
    ctx: CloudContext,
    /** The edge's endpoint, for the URLs of queues created in process (by the deployer). */
    private readonly endpoint: () => string = () => 'http://127.0.0.1:4566',
  ) {
    this.queues = new Queues(ctx.clock);
    const q = this.queues;
    this.operations = {
      CreateQueue: (caller, body) => {
        const queue = q.create(
          caller,
          str(body, 'QueueName', true)!,
          stringMap(body, 'Attributes'),
          stringMap(body, 'tags'),
        );
        return { QueueUrl: this.urlOf(queue, caller.origin) };
      },
      GetQueueUrl: (caller, body) => {
        const owner = str(body, 'QueueOwnerAWSAccountId') ?? caller.accountId;
        if (owner !== caller.accountId) throw this.accessDenied(caller);
        return { QueueUrl: this.urlOf(q.get(caller, str(body, 'QueueName', true)!), caller.origin) };
      },
      ListQueues: (caller, body) => {
        const prefix = str(body, 'QueueNamePrefix') ?? '';
        const max = int(body, 'MaxResults', 1, 1000) ?? 1000;
        const urls = q
          .list(caller)
          .filter((x) => x.name.startsWith(prefix))
          .slice(0, max)
          .map((x) => this.urlOf(x, caller.origin));
        return urls.length ? { QueueUrls: urls } : {};
      },
      GetQueueAttributes: (caller, body) => {
        const queue = this.resolve(caller, body);
        return { Attributes: this.attributesOf(queue, body.AttributeNames) };
      },
      DeleteQueue: (caller, body) => {
        q.delete(this.resolve(caller, body));
        return {};
      },
      PurgeQueue: (caller, body) => {
        q.purge(this.resolve(caller, body));
        return {};
      },
      SendMessage: (caller, body) => {
        const queue = this.resolve(caller, body);
        const delaySeconds = int(body, 'DelaySeconds', 0, 900);
        const m = q.send(
          queue,
          {
            body: str(body, 'MessageBody', true)!,
            ...(delaySeconds === undefined ? {} : { delaySeconds }),
            attributes: messageAttributes(body),
          },
          caller.principalArn,
        );
        return {
          MessageId: m.messageId,
          MD5OfMessageBody: m.md5OfBody,
          ...(m.md5OfAttributes ? { MD5OfMessageAttributes: m.md5OfAttributes } : {}),
        };
      },
      ReceiveMessage: (caller, body) => {
        const queue = this.resolve(caller, body);
        const max = int(body, 'MaxNumberOfMessages', 1, 10) ?? 1;
        const visibility = int(body, 'VisibilityTimeout', 0, 43_200);
        int(body, 'WaitTimeSeconds', 0, 20);
        const messages = q.receive(queue, max, visibility);
        const systemNames = body.MessageSystemAttributeNames ?? body.AttributeNames;
        return messages.length
          ? { Messages: messages.map((m) => this.messageView(m, systemNames, body.MessageAttributeNames)) }
          : {};
      },
      DeleteMessage: (caller, body) => {
        q.deleteMessage(this.resolve(caller, body), str(body, 'ReceiptHandle', true)!);
        return {};
      },
      ChangeMessageVisibility: (caller, body) => {
        const seconds = int(body, 'VisibilityTimeout', 0, 43_200);
        if (seconds === undefined)
          throw new AwsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
        q.changeVisibility(this.resolve(caller, body), str(body, 'ReceiptHandle', true)!, seconds);
        return {};
      },
    };
  }

  operation(req: ServiceRequest): string {
    return targetOperation(req, TARGET_PREFIX);
  }

  async handle(req: ServiceRequest, operation: string): Promise<ServiceResponse> {
    const host = req.headers.host;
    const caller: Caller = {
      accountId: req.principal.accountId,
      region: req.region,
      origin: host ? `http://${host}` : this.endpoint(),
      principalArn: req.principal.arn,
    };
    return jsonReply(
      CONTENT_TYPE,
      200,
      dispatchJson(this.operations, operation, 'SQS', caller, req.body),
      req,
    );
  }

  renderError(err: AwsError, req: ServiceRequest): ServiceResponse {
    const code = err.code === 'InternalError' ? 'InternalError' : err.code;
    const reply = jsonReply(
      CONTENT_TYPE,
      err.status,
      { __type: `com.amazonaws.sqs#${code}`, message: err.message },
      req,
      code,
    );
    reply.headers['x-amzn-query-error'] = `${QUERY_CODES[code] ?? code};${err.type}`;
    return reply;
  }

  // In-process API: what the deployer, EventBridge's dead-lettering, Lambda's destinations and
  // `/_local/events` use.

  /** CreateQueue in `scope` (as CloudFormation's AWS::SQS::Queue does); answers the queue. */
  createQueue(scope: Scope, name: string, attributes: Record<string, string> = {}): Queue {
    return this.queues.create(scope, name, attributes);
  }

  /** SendMessage to a queue named by ARN, as a service principal does; throws `QueueDoesNotExist`. */
  sendToArn(
    arn: string,
    body: string,
    attributes: Record<string, MessageAttributeValue> = {},
    senderId = 'local-cloud',
  ): StoredMessage {
    return this.queues.send(this.queues.byArn(arn), { body, attributes }, senderId);
  }

  /** Every queue and the messages it holds, without receiving them: for `/_local/events`. */
  peek(): { queueArn: string; queueUrl: string; messages: ReturnType<SqsService['messageView']>[] }[] {
    return this.queues.all().map((queue) => {
      this.queues.expire(queue);
      return {
        queueArn: queue.arn,
        queueUrl: this.urlOf(queue, this.endpoint()),
        messages: queue.messages.map((m) => this.messageView(m, ['All'], ['All'])),
      };
    });
  }

  /**
   * Every queue with its attributes, tags and messages (visible, delayed and in flight: their times are
   * on the simulated clock, so they become visible again when they would have), as JSON.
   */
  snapshotState(): unknown {
    return encodeState({ queues: this.queues.all() });
  }

  /** Replaces every queue with those of a `snapshotState` of an earlier run. */
  restoreState(saved: unknown): void {
    const data = expectRecord(decodeState(saved), '$');
    const queues = expectArray(data.queues, '$.queues').map((q, i) => {
      const queue = expectRecord(q, `$.queues[${i}]`);
      expectString(queue.name, `$.queues[${i}].name`);
      expectString(queue.arn, `$.queues[${i}].arn`);
      const scope = expectRecord(queue.scope, `$.queues[${i}].scope`);
      expectString(scope.accountId, `$.queues[${i}].scope.accountId`);
      expectString(scope.region, `$.queues[${i}].scope.region`);
      expectRecord(queue.attributes, `$.queues[${i}].attributes`);
      expectArray(queue.messages, `$.queues[${i}].messages`).forEach((m, j) => {
        const message = expectRecord(m, `$.queues[${i}].messages[${j}]`);
        expectString(message.messageId, `$.queues[${i}].messages[${j}].messageId`);
        expectString(message.body, `$.queues[${i}].messages[${j}].body`);
        expectNumber(message.visibleAt, `$.queues[${i}].messages[${j}].visibleAt`);
      });
      return queue as unknown as Queue;
    });
    this.queues.replaceAll(queues);
  }

  urlOf(queue: Queue, origin: string): string {
    return `${origin}/${queue.scope.accountId}/${queue.name}`;
  }

  private accessDenied(caller: Caller) {
    return new AwsError('AccessDenied', `Access to the resource is denied for ${caller.principalArn}.`, 403);
  }

  /**
   * The queue a QueueUrl names: `<any origin>/<account>/<name>`. The Region is the one in an AWS-shaped
   * host (`sqs.<region>.amazonaws.com`), else the request's. Another account's queue is refused: queue
   * policies are not modelled.
   */
  private resolve(caller: Caller, body: Body): Queue {
    const url = str(body, 'QueueUrl', true)!;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new AwsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 404);
    }
    const m = /^\/(\d{12})\/([^/]+)\/?$/.exec(parsed.pathname);
    if (!m) throw new AwsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 404);
    const region =
      /^(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:queue\.)?amazonaws\.com/.exec(parsed.host)?.[1] ??
      caller.region;
    if (m[1] !== caller.accountId) throw this.accessDenied(caller);
    return this.queues.get({ accountId: m[1]!, region }, decodeURIComponent(m[2]!));
  }

  private attributesOf(queue: Queue, names: unknown): Record<string, string> {
    const counts = this.queues.counts(queue);
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: queue.arn,
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    };
    if (names === undefined || names === null) return {};
    if (!Array.isArray(names)) throw wrongType('AttributeNames', 'a list of strings');
    if (names.includes('All')) return all;
    const out: Record<string, string> = {};
    for (const n of names) {
      if (typeof n !== 'string') throw wrongType('AttributeNames', 'a list of strings');
      if (!(n in all)) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
      out[n] = all[n]!;
    }
    return out;
  }

  private messageView(m: StoredMessage, systemNames: unknown, attributeNames: unknown) {
    const system: Record<string, string> = {
      SenderId: m.senderId,
      SentTimestamp: String(m.sentAt),
      ApproximateReceiveCount: String(m.receiveCount),
      ...(m.firstReceivedAt === undefined
        ? {}
        : { ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt) }),
    };
    const attributes = Object.fromEntries(Object.entries(system).filter(([k]) => wanted(systemNames, k)));
    const chosen = Object.fromEntries(
      Object.entries(m.attributes).filter(([k]) => wanted(attributeNames, k)),
    );
    return {
      MessageId: m.messageId,
      ...(m.receiptHandle === undefined ? {} : { ReceiptHandle: m.receiptHandle }),
      MD5OfBody: m.md5OfBody,
      Body: m.body,
      ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
      ...(Object.keys(chosen).length
        ? { MessageAttributes: chosen, MD5OfMessageAttributes: md5OfMessageAttributes(chosen) }
        : {}),
    };
  }
}
