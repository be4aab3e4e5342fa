import type { SQSClient } from '@aws-sdk/client-sqs';
import { EnvironmentError } from './env';

/** The variable that names the events dead-letter queue by URL (set in serverless.yml). */
export const DEAD_LETTER_QUEUE_URL_VARIABLE = 'EVENTS_DEAD_LETTER_QUEUE_URL';

/** Marks a message this stack wrote, as opposed to EventBridge's or Lambda's own dead letters. */
export const REJECTED_EVENT_KIND = 'ami-lifecycle.rejected-event';

/**
 * What a handler sends to the dead-letter queue for an event it refuses: the event as received, who refused
 * it and why. `issues` names each bad field by its path for a malformed event.
 */
export interface RejectedEvent {
  kind: typeof REJECTED_EVENT_KIND;
  version: 1;
  /** `invalid`: the event does not parse; `refused`: it parses, and is refused for good. */
  reason: 'invalid' | 'refused';
  functionName: string;
  requestId: string;
  rejectedAt: string;
  error: {
    name: string;
    message: string;
    issues?: readonly { path: string; message: string }[];
    /** How many issues past `MAX_RECORD_ISSUES` were left out. */
    issuesOmitted?: number;
  };
  /** The event as the function received it; a prefix of its JSON when it did not fit (`eventTruncated`). */
  event: unknown;
  eventTruncated?: true;
}

export interface DeadLetterSink {
  /** Resolves once the queue holds the record; rejects otherwise, so the caller fails and is retried. */
  send(record: RejectedEvent): Promise<{ messageId: string }>;
}

/**
 * SQS takes messages up to 256 KiB, attributes included; an event is at most 256 KiB on EventBridge, so its
 * record may not fit. Kept under it with room for the attributes and the record's other fields.
 */
export const MAX_RECORD_BYTES = 240 * 1024;
const MAX_ATTRIBUTE_CHARS = 1024;

/** Issues kept in a record: a malformed event can have thousands, and the first ones say enough. */
export const MAX_RECORD_ISSUES = 100;
/** Characters of the error's message kept in a record (its issues repeat what it lists). */
export const MAX_RECORD_MESSAGE_CHARS = 4096;

/**
 * The record's JSON, always at most `MAX_RECORD_BYTES`: the error's message and issues cut to their
 * maximum first, then the event cut to a prefix of its JSON when the whole would not fit in a message
 * (`eventTruncated`), down to no event at all.
 */
export const serialiseRejectedEvent = (record: RejectedEvent): string => {
  const issues = record.error.issues;
  const bounded: RejectedEvent = {
    ...record,
    error: {
      name: record.error.name.slice(0, 256),
      message:
        record.error.message.length > MAX_RECORD_MESSAGE_CHARS
          ? `${record.error.message.slice(0, MAX_RECORD_MESSAGE_CHARS - 1)}…`
          : record.error.message,
      ...(issues === undefined
        ? {}
        : {
            issues: issues.slice(0, MAX_RECORD_ISSUES).map((i) => ({
              path: i.path.slice(0, 1024),
              message: i.message.slice(0, 1024),
            })),
            ...(issues.length > MAX_RECORD_ISSUES
              ? { issuesOmitted: issues.length - MAX_RECORD_ISSUES }
              : {}),
          }),
    },
  };
  const whole = JSON.stringify(bounded);
  if (Buffer.byteLength(whole) <= MAX_RECORD_BYTES) return whole;
  const eventJson = JSON.stringify(record.event) ?? 'undefined';
  const shell = JSON.stringify({ ...bounded, event: '', eventTruncated: true });
  // A character of the prefix may take up to six bytes once escaped again inside the string.
  let prefix = eventJson.slice(0, Math.max(0, Math.floor((MAX_RECORD_BYTES - Buffer.byteLength(shell)) / 6)));
  for (;;) {
    const text = JSON.stringify({ ...bounded, event: prefix, eventTruncated: true });
    // The bounded fields alone are far below the limit, so an empty prefix always fits.
    if (Buffer.byteLength(text) <= MAX_RECORD_BYTES || prefix.length === 0) return text;
    prefix = prefix.slice(0, Math.floor(prefix.length / 2));
  }
};

const cut = (text: string) =>
  text.length <= MAX_ATTRIBUTE_CHARS ? text : `${text.slice(0, MAX_ATTRIBUTE_CHARS - 1)}…`;

/**
 * The events dead-letter queue over SQS, named by `EVENTS_DEAD_LETTER_QUEUE_URL`. The variable and the
 * client are read at the first refusal, so a handler that never refuses pays nothing for them. The body is
 * the record's JSON; the attributes repeat who refused it and why, so a console lists them without
 * opening each message.
 */
export const sqsDeadLetters = (
  options: { client?: SQSClient; queueUrl?: string; env?: NodeJS.ProcessEnv } = {},
): DeadLetterSink => {
  let client = options.client;
  return {
    async send(record) {
      const env = options.env ?? process.env;
      const queueUrl = options.queueUrl ?? env[DEAD_LETTER_QUEUE_URL_VARIABLE];
      if (queueUrl === undefined || queueUrl === '') {
        throw new EnvironmentError([
          { variable: DEAD_LETTER_QUEUE_URL_VARIABLE, message: 'is required to keep refused events' },
        ]);
      }
      const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
      // The queue URL is a body field: requests go to the configured endpoint, not the URL's host.
      client ??= new SQSClient({ useQueueUrlAsEndpoint: false });
      const out = await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: serialiseRejectedEvent(record),
          MessageAttributes: {
            KIND: { DataType: 'String', StringValue: REJECTED_EVENT_KIND },
            REJECTED_BY: { DataType: 'String', StringValue: record.functionName },
            REASON: { DataType: 'String', StringValue: record.reason },
            ERROR_CODE: { DataType: 'String', StringValue: record.error.name || 'Error' },
            ERROR_MESSAGE: { DataType: 'String', StringValue: cut(record.error.message || '(none)') },
          },
        }),
      );
      if (out.MessageId === undefined) throw new Error('SQS SendMessage answered without a MessageId');
      return { messageId: out.MessageId };
    },
  };
};

/** Keeps records in memory: for tests, and for tools that run a handler outside Lambda. */
export class MemoryDeadLetters implements DeadLetterSink {
  readonly records: RejectedEvent[] = [];
  failNext = 0;

  async send(record: RejectedEvent): Promise<{ messageId: string }> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('the dead-letter queue refused the message');
    }
    // Stored as it would travel, so a record that does not survive JSON fails here as it would on SQS.
    this.records.push(JSON.parse(serialiseRejectedEvent(record)) as RejectedEvent);
    return { messageId: `memory-${this.records.length}` };
  }
}
