import { REJECTED_EVENT_KIND } from '@ami-lifecycle/lambda-kit';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AmictlCommand } from './args';
import { json, minutes, table } from './output';

/** One message of the events dead-letter queue, as it was sent. */
export interface RawDeadLetter {
  messageId: string;
  body: string;
  /** String message attributes (EventBridge's `RULE_ARN`, `ERROR_CODE`, ...; the handlers' `REASON`, ...). */
  attributes: Record<string, string>;
  /** When SQS took it (ISO), if it says. */
  sentAt?: string;
}

/** Reads the queue without taking anything out of it. */
export interface DeadLetterReader {
  peek(max: number): Promise<RawDeadLetter[]>;
}

/**
 * A dead letter as an operator reads it, whichever of the three writers sent it:
 * - `rejected`: a function refused the event at once (malformed, or refused for good);
 * - `failed`: a function still failed after Lambda's retries (Lambda's failure record);
 * - `undelivered`: EventBridge could not deliver it after its retries;
 * - `unreadable`: a message none of them would write.
 */
export interface DeadLetterView {
  messageId: string;
  sentAt: string | undefined;
  kind: 'rejected' | 'failed' | 'undelivered' | 'unreadable';
  /** The function that refused or failed it, or the rule that could not deliver it. */
  by: string;
  detailType: string | undefined;
  family: string | undefined;
  /** `<error>: <message>`. */
  why: string;
  /** The fields a malformed event was refused for, by path. */
  fields: string[];
  /** The event itself, to re-drive it. */
  event: unknown;
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const lastSegment = (arn: string | undefined, sep: string): string =>
  arn === undefined ? '-' : (arn.split(sep).pop() ?? arn);

const aboutEvent = (event: unknown) => {
  const e = record(event);
  return { detailType: str(e?.['detail-type']), family: str(record(e?.detail)?.family) };
};

/** What a dead letter says, from its body and attributes; never throws. */
export const describeDeadLetter = (raw: RawDeadLetter): DeadLetterView => {
  const base = { messageId: raw.messageId, sentAt: raw.sentAt };
  let body: unknown;
  try {
    body = JSON.parse(raw.body);
  } catch {
    body = undefined;
  }
  const b = record(body);
  if (b?.kind === REJECTED_EVENT_KIND) {
    const error = record(b.error);
    const issues = Array.isArray(error?.issues) ? error.issues : [];
    return {
      ...base,
      kind: 'rejected',
      by: str(b.functionName) ?? '-',
      ...aboutEvent(b.event),
      why: `${str(error?.name) ?? 'Error'}: ${str(error?.message) ?? ''}`,
      fields: issues.map((i) => str(record(i)?.path)).filter((p): p is string => p !== undefined),
      event: b.event,
    };
  }
  const context = record(b?.requestContext);
  if (context !== undefined && b !== undefined && 'requestPayload' in b) {
    const response = record(b.responsePayload);
    return {
      ...base,
      kind: 'failed',
      by: lastSegment(str(context.functionArn)?.replace(/:\$LATEST$/, ''), ':'),
      ...aboutEvent(b.requestPayload),
      why: `${str(response?.errorType) ?? 'Error'}: ${str(response?.errorMessage) ?? ''} (${str(context.condition) ?? '?'}, ${String(context.approximateInvokeCount ?? '?')} attempts)`,
      fields: [],
      event: b.requestPayload,
    };
  }
  if (raw.attributes.RULE_ARN !== undefined) {
    return {
      ...base,
      kind: 'undelivered',
      by: lastSegment(raw.attributes.RULE_ARN, '/'),
      ...aboutEvent(body),
      why: `${raw.attributes.ERROR_CODE ?? 'Error'}: ${raw.attributes.ERROR_MESSAGE ?? ''} (${raw.attributes.EXHAUSTED_RETRY_CONDITION ?? '?'})`,
      fields: [],
      event: body ?? raw.body,
    };
  }
  return {
    ...base,
    kind: 'unreadable',
    by: '-',
    detailType: undefined,
    family: undefined,
    why: 'not a dead letter of this deployment',
    fields: [],
    event: body ?? raw.body,
  };
};

/** `events rejected`: the dead letters, oldest first, as a table or JSON. */
export const showDeadLetters = async (
  command: Extract<AmictlCommand, { command: 'events-rejected' }>,
  deps: { deadLetters?: DeadLetterReader; out(line: string): void },
): Promise<void> => {
  if (deps.deadLetters === undefined)
    throw new Error('amictl was started without a dead-letter queue reader');
  const views = (await deps.deadLetters.peek(command.limit))
    .map(describeDeadLetter)
    .sort((a, b) => (a.sentAt ?? '').localeCompare(b.sentAt ?? ''));
  if (command.json) {
    deps.out(json(views));
    return;
  }
  if (views.length === 0) {
    deps.out('No dead letters: every event was taken.');
    return;
  }
  for (const line of table(
    ['SENT', 'KIND', 'BY', 'EVENT', 'FAMILY', 'FIELDS', 'WHY'],
    views.map((v) => [
      v.sentAt === undefined ? '-' : minutes(v.sentAt),
      v.kind,
      v.by,
      v.detailType ?? '-',
      v.family ?? '-',
      v.fields.length === 0 ? '-' : v.fields.join(','),
      v.why.split('\n')[0]!.slice(0, 200),
    ]),
  )) {
    deps.out(line);
  }
};

/** Receives this many times at most (10 messages each). */
const MAX_RECEIVES = 100;
/** How long a listing hides what it has read from other readers, at most: it shows them again when done. */
const LISTING_VISIBILITY_SECONDS = 30;

/**
 * Reads the queue without taking anything out of it: receives until it is empty or `max` messages are
 * read, each received message hidden for a moment so the next receive brings others, then makes every
 * one visible again (a receive still counts in each message's `ApproximateReceiveCount`).
 */
export const sqsDeadLetterReader = (
  client: SQSClient,
  queueUrl: () => Promise<string>,
): DeadLetterReader => ({
  async peek(max) {
    const { ChangeMessageVisibilityCommand, ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
    const url = await queueUrl();
    const seen = new Map<string, RawDeadLetter>();
    const handles: string[] = [];
    try {
      for (let i = 0; i < MAX_RECEIVES && seen.size < max; i++) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(10, max - seen.size),
            VisibilityTimeout: LISTING_VISIBILITY_SECONDS,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
        );
        if (Messages.length === 0) break;
        for (const m of Messages) {
          if (m.ReceiptHandle !== undefined) handles.push(m.ReceiptHandle);
          if (m.MessageId === undefined || seen.has(m.MessageId)) continue;
          const sent = Number(m.Attributes?.SentTimestamp);
          seen.set(m.MessageId, {
            messageId: m.MessageId,
            body: m.Body ?? '',
            attributes: Object.fromEntries(
              Object.entries(m.MessageAttributes ?? {}).flatMap(([k, v]) =>
                v.StringValue === undefined ? [] : [[k, v.StringValue]],
              ),
            ),
            ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
          });
        }
      }
    } finally {
      // Shown again at once; one that cannot be is visible again after the listing's short timeout anyway.
      await Promise.allSettled(
        handles.map((ReceiptHandle) =>
          client.send(
            new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle, VisibilityTimeout: 0 }),
          ),
        ),
      );
    }
    return [...seen.values()];
  },
});
