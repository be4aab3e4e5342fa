import { randomUUID } from 'node:crypto';
import { AwsError } from '../../errors';
import type { SimClock } from '../../sim-clock';
import type { CloudEvent } from '../../types';
import { isEnabled, type Registry } from './buses-rules';
import type { Dispatcher } from './delivery';
import {
  type EventBus,
  type EventEnvelope,
  eventTime,
  type IngestedEvent,
  type PutEventsEntry,
  type Rule,
} from './model';
import { compilePattern, matches } from './pattern';
import { explicitDeny, principalArnOf } from './policy';
import { busArn, checkLength, resolveBusRef, type Scope, validationException } from './wire';

/** PutEvents' limit on the total size of a request's entries, computed as AWS documents it. */
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** Fields TestEventPattern requires of the event it is given. */
const REQUIRED_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'];

/**
 * "Calculating PutEvents event entry size": 14 bytes for a Time, plus the UTF-8 bytes of Source,
 * DetailType, Detail and each Resource.
 */
export const entrySize = (e: PutEventsEntry): number =>
  (e.Time === undefined ? 0 : 14) +
  [e.Source, e.DetailType, e.Detail, ...(e.Resources ?? [])].reduce(
    (n, s) => n + (s === undefined ? 0 : Buffer.byteLength(s, 'utf8')),
    0,
  );

const invalidArgument = (member: string) => ({
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.`,
});

const parseDetail = (detail: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(detail);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/** Puts events on buses and hands those that match enabled rules to the dispatcher. */
export class EventRouter {
  private readonly log: IngestedEvent[] = [];

  constructor(
    private readonly clock: SimClock,
    private readonly registry: Registry,
    private readonly dispatcher: Dispatcher,
    private readonly limit = 10_000,
  ) {}

  /**
   * PutEvents: up to 10 entries of at most 256 KB together (else the whole call fails, as on AWS); each entry
   * is checked on its own and a bad one is answered in its place in `Entries` with ErrorCode/ErrorMessage,
   * counted in FailedEntryCount, while the others go through.
   */
  putEvents(
    caller: Scope,
    entries: PutEventsEntry[],
    /** The caller's ARN, for the buses' resource-based policies; unchecked when absent (in-process puts). */
    principalArn?: string,
  ): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    checkLength('Entries', entries, 1, 10);
    if (entries.reduce((n, e) => n + entrySize(e), 0) > MAX_PUT_EVENTS_BYTES) {
      throw validationException('Total size of the entries in the request is over the limit.');
    }
    if (principalArn !== undefined) this.checkPolicies(caller, entries, principalArn);
    const results = entries.map((entry) => this.putEntry(caller, entry));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /**
   * An explicit Deny in a bus's resource-based policy refuses the whole call, whoever the caller (the
   * bus's own account included): IAM's evaluation lets no Allow override it. Checked before any entry is
   * put, so a refused call puts nothing.
   */
  private checkPolicies(caller: Scope, entries: PutEventsEntry[], principalArn: string): void {
    for (const entry of entries) {
      const bus = this.registry.findBus(caller, entry.EventBusName);
      if (bus?.policy === undefined) continue;
      const arn = principalArnOf(principalArn);
      const deniedBy = explicitDeny(bus.policy, {
        principalArn: arn,
        principalAccount: caller.accountId,
        action: 'events:PutEvents',
        resource: bus.arn,
      });
      if (deniedBy !== undefined) {
        throw new AwsError(
          'AccessDeniedException',
          `User: ${principalArn} is not authorized to perform: events:PutEvents on resource: ${bus.arn} with an explicit deny in a resource-based policy (statement ${deniedBy})`,
        );
      }
    }
  }

  private putEntry(caller: Scope, entry: PutEventsEntry): PutEventsResultEntry {
    if (!entry.Source) return invalidArgument('Source');
    if (!entry.DetailType) return invalidArgument('DetailType');
    if (!entry.Detail) return invalidArgument('Detail');
    const detail = parseDetail(entry.Detail);
    if (!detail) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    // Only AWS services may send `aws.` sources.
    if (entry.Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    const now = this.clock.nowMillis();
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: caller.accountId,
      time: eventTime(entry.Time ?? now),
      region: caller.region,
      resources: [...(entry.Resources ?? [])],
      detail,
    };
    const ref = resolveBusRef(caller, entry.EventBusName);
    this.route(this.registry.findBus(caller, entry.EventBusName), busArn(ref.scope, ref.name), event, now);
    return { EventId: event.id };
  }

  /**
   * An AWS service event (EC2 AMI State Change, Inspector2 Finding, ...) on the default bus of its account
   * and region. Answers the event's id.
   */
  publish(e: CloudEvent): string {
    const now = this.clock.nowMillis();
    const at = Date.parse(e.time);
    const scope = { accountId: e.accountId, region: e.region };
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': e.detailType,
      source: e.source,
      account: e.accountId,
      time: eventTime(Number.isNaN(at) ? now : at),
      region: e.region,
      resources: [...e.resources],
      detail: structuredClone(e.detail),
    };
    this.route(this.registry.findBus(scope, undefined), busArn(scope, 'default'), event, now);
    return event.id;
  }

  /** The `Scheduled Event` a scheduled rule sends its targets when it fires. */
  fireSchedule(rule: Rule, dueAt: number): void {
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: rule.bus.scope.accountId,
      time: eventTime(dueAt),
      region: rule.bus.scope.region,
      resources: [rule.arn],
      detail: {},
    };
    this.keep({ event, eventBusArn: rule.bus.arn, matchedRules: [rule.arn] });
    this.dispatcher.dispatch(event, rule, this.clock.nowMillis());
  }

  /**
   * TestEventPattern: the pattern is compiled as PutRule would (InvalidEventPatternException), and the event
   * must be a JSON object with the envelope fields AWS requires (ValidationException otherwise).
   */
  testEventPattern(input: { EventPattern: string; Event: string }): { Result: boolean } {
    const pattern = compilePattern(input.EventPattern);
    let event: unknown;
    try {
      event = JSON.parse(input.Event);
    } catch {
      throw validationException('Parameter Event is not valid.');
    }
    if (
      typeof event !== 'object' ||
      event === null ||
      Array.isArray(event) ||
      !REQUIRED_EVENT_FIELDS.every((f) => Object.hasOwn(event as object, f))
    ) {
      throw validationException('Parameter Event is not valid.');
    }
    return { Result: matches(pattern, event) };
  }

  /** Events accepted so far (by PutEvents, `publish` and schedules), oldest first. */
  ingested(): IngestedEvent[] {
    return this.log.map((i) => ({ ...i, matchedRules: [...i.matchedRules] }));
  }

  private route(bus: EventBus | undefined, arn: string, event: EventEnvelope, ingestedAt: number): void {
    if (!bus) {
      // AWS answers with an EventId and drops the event: there is no error to give the caller.
      this.keep({ event, eventBusArn: arn, matchedRules: [], droppedNoSuchBus: true });
      return;
    }
    const matched = [...bus.rules.values()].filter(
      (r) => isEnabled(r.state) && r.eventPattern !== undefined && matches(r.eventPattern, event),
    );
    this.keep({ event, eventBusArn: bus.arn, matchedRules: matched.map((r) => r.arn) });
    for (const rule of matched) this.dispatcher.dispatch(event, rule, ingestedAt);
  }

  private keep(item: IngestedEvent): void {
    this.log.push(item);
    if (this.log.length > this.limit) this.log.splice(0, this.log.length - this.limit);
  }
}
