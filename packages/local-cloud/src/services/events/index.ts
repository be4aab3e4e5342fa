import type { AwsError } from '../../errors';
import {
  decodeState,
  encodeState,
  expectArray,
  expectNumber,
  expectRecord,
  expectString,
} from '../../persistence/codec';
import { dispatchJson, jsonErrorReply, jsonReply, targetOperation } from '../../protocols/json';
import type { CloudContext, CloudEvent, EmulatedService, ServiceRequest, ServiceResponse } from '../../types';
import { Registry, type SavedBus } from './buses-rules';
import { type DeliveryFaults, Dispatcher, type TargetInvokers } from './delivery';
import type {
  DeadLetterRecord,
  DeliveryRecord,
  IngestedEvent,
  PutEventsEntry,
  PutRuleInput,
  PutTargetsInput,
  Tag,
} from './model';
import { EventRouter } from './put-events';
import {
  readListing,
  readPutEvents,
  readPutRule,
  readPutTargets,
  readRequiredStringList,
  readRuleRef,
  readTags,
} from './requests';
import { Scheduler } from './schedules';
import { type Body, readString, readStringList, type Scope } from './wire';

export { nextFireTime, parseScheduleExpression, type Schedule, ScheduleExpressionError } from './cron';
export {
  DEFAULT_MAX_EVENT_AGE_SECONDS,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  type DeliveryFaults,
  retryDelayMs,
  type TargetInvokers,
} from './delivery';
export type * from './model';
export { eventTime } from './model';
export { type CompiledPattern, compilePattern, InvalidEventPatternError, matches } from './pattern';
export type { Scope } from './wire';

export interface EventsServiceOptions extends TargetInvokers {
  /** How many deliveries, dead letters and ingested events the in-memory logs keep (latest first to go). */
  logLimit?: number;
  /** The cloud's fault injector: copies of a delivery (`duplicates` rules) and their counts. */
  faults?: DeliveryFaults;
}

const TARGET_PREFIX = 'AWSEvents.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * The EventBridge emulator (JSON 1.1, `X-Amz-Target: AWSEvents.<Operation>`): event buses, rules with event
 * patterns and schedules, Lambda and Step Functions targets, PutEvents and TestEventPattern, per account
 * and region. Matching events reach their targets asynchronously on the simulated clock, with AWS's retry
 * policy and dead-letter records. Differences from AWS are listed in this folder's README.
 */
export class EventsService implements EmulatedService {
  readonly signingName = 'events';
  private readonly registry: Registry;
  private readonly dispatcher: Dispatcher;
  private readonly router: EventRouter;
  private readonly scheduler: Scheduler;
  private readonly operations: Record<
    string,
    (scope: Scope & { principalArn?: string }, body: Body) => unknown
  >;

  constructor(ctx: CloudContext, options: EventsServiceOptions) {
    const { logLimit, faults, ...invokers } = options;
    this.dispatcher = new Dispatcher(ctx.clock, invokers, logLimit, faults);
    // Registry -> scheduler (rules arm timers) -> router (timers fire rules) -> registry: a closure breaks the cycle.
    this.scheduler = new Scheduler(ctx.clock, (rule, dueAt) => this.router.fireSchedule(rule, dueAt));
    this.registry = new Registry(ctx.clock, this.scheduler);
    this.router = new EventRouter(ctx.clock, this.registry, this.dispatcher, logLimit);
    const r = this.registry;
    this.operations = {
      CreateEventBus: (s, b) =>
        r.createEventBus(s, {
          Name: readString(b, 'Name', { required: true }),
          ...optional('Description', readString(b, 'Description')),
          ...optional('Tags', readTags(b)),
        }),
      DescribeEventBus: (s, b) => r.describeEventBus(s, { ...optional('Name', readString(b, 'Name')) }),
      ListEventBuses: (s, b) => r.listEventBuses(s, readListing(b)),
      DeleteEventBus: (s, b) => r.deleteEventBus(s, { Name: readString(b, 'Name', { required: true }) }),
      PutRule: (s, b) => r.putRule(s, readPutRule(b)),
      DescribeRule: (s, b) => r.describeRule(s, readRuleRef(b)),
      ListRules: (s, b) => r.listRules(s, readListing(b)),
      DeleteRule: (s, b) => r.deleteRule(s, { ...readRuleRef(b), Force: b.Force === true }),
      EnableRule: (s, b) => r.setRuleState(s, readRuleRef(b), 'ENABLED'),
      DisableRule: (s, b) => r.setRuleState(s, readRuleRef(b), 'DISABLED'),
      PutTargets: (s, b) => this.putTargets(s, readPutTargets(b)),
      ListTargetsByRule: (s, b) => {
        const { NamePrefix: _prefix, ...listing } = readListing(b);
        return r.listTargetsByRule(s, { ...listing, Rule: readString(b, 'Rule', { required: true }) });
      },
      RemoveTargets: (s, b) =>
        r.removeTargets(s, {
          Rule: readString(b, 'Rule', { required: true }),
          ...optional('EventBusName', readString(b, 'EventBusName')),
          Ids: readStringList(b, 'Ids') ?? [],
        }),
      TagResource: (s, b) =>
        r.tagResource(s, {
          ResourceARN: readString(b, 'ResourceARN', { required: true }),
          Tags: readTags(b, { required: true }) ?? [],
        }),
      UntagResource: (s, b) =>
        r.untagResource(s, {
          ResourceARN: readString(b, 'ResourceARN', { required: true }),
          TagKeys: readRequiredStringList(b, 'TagKeys'),
        }),
      ListTagsForResource: (s, b) =>
        r.listTagsForResource(s, { ResourceARN: readString(b, 'ResourceARN', { required: true }) }),
      PutEvents: (s, b) => this.router.putEvents(s, readPutEvents(b), s.principalArn),
      PutPermission: (s, b) => {
        const condition = b.Condition as { Type?: unknown; Key?: unknown; Value?: unknown } | undefined;
        return r.putPermission(s, {
          ...optional('EventBusName', readString(b, 'EventBusName')),
          ...optional('Policy', readString(b, 'Policy')),
          ...optional('Action', readString(b, 'Action')),
          ...optional('Principal', readString(b, 'Principal')),
          ...optional('StatementId', readString(b, 'StatementId')),
          ...(condition === undefined || condition === null
            ? {}
            : {
                Condition: {
                  Type: String(condition.Type),
                  Key: String(condition.Key),
                  Value: String(condition.Value),
                },
              }),
        });
      },
      RemovePermission: (s, b) =>
        r.removePermission(s, {
          ...optional('EventBusName', readString(b, 'EventBusName')),
          ...optional('StatementId', readString(b, 'StatementId')),
          RemoveAllPermissions: b.RemoveAllPermissions === true,
        }),
      TestEventPattern: (_s, b) =>
        this.router.testEventPattern({
          EventPattern: readString(b, 'EventPattern', { required: true }),
          Event: readString(b, 'Event', { required: true }),
        }),
    };
  }

  operation(req: ServiceRequest): string {
    return targetOperation(req, TARGET_PREFIX);
  }

  async handle(req: ServiceRequest, operation: string): Promise<ServiceResponse> {
    const scope = { accountId: req.principal.accountId, region: req.region, principalArn: req.principal.arn };
    return jsonReply(
      CONTENT_TYPE,
      200,
      dispatchJson(this.operations, operation, 'EventBridge', scope, req.body),
      req,
    );
  }

  renderError(err: AwsError, req: ServiceRequest): ServiceResponse {
    return jsonErrorReply(CONTENT_TYPE, err, req, 'InternalException');
  }

  // In-process API: what the serverless.yml deployer and the cloud wiring call, with PutRule's and
  // PutTargets' own validation and answers.

  /** PutRule in `scope` (the account and region the rule belongs to). */
  putRule(scope: Scope, input: PutRuleInput): { RuleArn: string } {
    return this.registry.putRule(scope, input);
  }

  /** PutTargets in `scope`; check `FailedEntryCount`, as with the SDK. */
  putTargets(scope: Scope, input: PutTargetsInput) {
    return this.registry.putTargets(scope, input);
  }

  /**
   * Adds one statement to the policy of a bus in `scope`, replacing the statement of the same `Sid`, as
   * CloudFormation's AWS::Events::EventBusPolicy does; a statement the local cloud cannot evaluate is
   * refused, naming the part.
   */
  putBusPolicyStatement(scope: Scope, busName: string, statement: Record<string, unknown>): void {
    this.registry.putStatement(this.registry.busOf(scope, busName), statement);
  }

  /** CreateEventBus in `scope` (the controller's `ami-lifecycle-<stage>` bus). */
  createEventBus(scope: Scope, input: { Name: string; Description?: string; Tags?: Tag[] }) {
    return this.registry.createEventBus(scope, input);
  }

  /** PutEvents as `scope`'s account in `scope`'s region. */
  putEvents(scope: Scope, entries: PutEventsEntry[]) {
    return this.router.putEvents(scope, entries);
  }

  /**
   * Puts an AWS service event (EC2 AMI State Change, Inspector2 Finding, ...) on the default bus of its
   * account and region; connect it to the cloud's event log. Answers the event's id.
   */
  publish(event: CloudEvent): string {
    return this.router.publish(event);
  }

  /** Each delivery's outcome so far, oldest first: the control API's `GET /_local/events`. */
  deliveries(): DeliveryRecord[] {
    return this.dispatcher.deliveries();
  }

  /** Deliveries that ran out of retries (with the DLQ ARN when the target has one), oldest first. */
  deadLetters(filter?: { ruleArn?: string; targetId?: string }): DeadLetterRecord[] {
    return this.dispatcher.deadLetters(filter);
  }

  /** Events accepted so far and the rules they matched, including events dropped for want of a bus. */
  ingested(): IngestedEvent[] {
    return this.router.ingested();
  }

  /**
   * Buses (with their policies), rules, targets, the deliveries waiting for an attempt, the delivery log
   * and the dead letters, as JSON. Not kept: the log of ingested events.
   */
  snapshotState(): unknown {
    return encodeState({ buses: this.registry.exportState(), delivery: this.dispatcher.exportState() });
  }

  /**
   * Replaces this emulator's state with a `snapshotState` of an earlier run: schedules are armed from
   * their saved anchors, and each waiting delivery is attempted when it was due.
   */
  restoreState(saved: unknown): void {
    const data = expectRecord(decodeState(saved), '$');
    const buses = expectArray(data.buses, '$.buses').map((b, i) => {
      const bus = expectRecord(b, `$.buses[${i}]`);
      expectString(bus.name, `$.buses[${i}].name`);
      expectString(bus.arn, `$.buses[${i}].arn`);
      const scope = expectRecord(bus.scope, `$.buses[${i}].scope`);
      expectString(scope.accountId, `$.buses[${i}].scope.accountId`);
      expectString(scope.region, `$.buses[${i}].scope.region`);
      expectArray(bus.tags, `$.buses[${i}].tags`);
      expectArray(bus.rules, `$.buses[${i}].rules`).forEach((r, j) => {
        const rule = expectRecord(r, `$.buses[${i}].rules[${j}]`);
        expectString(rule.name, `$.buses[${i}].rules[${j}].name`);
        expectString(rule.arn, `$.buses[${i}].rules[${j}].arn`);
        expectArray(rule.targets, `$.buses[${i}].rules[${j}].targets`);
        expectArray(rule.tags, `$.buses[${i}].rules[${j}].tags`);
        expectNumber(rule.scheduleAnchorMs, `$.buses[${i}].rules[${j}].scheduleAnchorMs`);
      });
      return bus as unknown as SavedBus;
    });
    const delivery = expectRecord(data.delivery, '$.delivery');
    expectArray(delivery.log, '$.delivery.log');
    expectArray(delivery.dead, '$.delivery.dead');
    expectArray(delivery.waiting, '$.delivery.waiting').forEach((w, i) => {
      const job = expectRecord(w, `$.delivery.waiting[${i}]`);
      expectNumber(job.dueAt, `$.delivery.waiting[${i}].dueAt`);
      expectRecord(job.event, `$.delivery.waiting[${i}].event`);
      expectRecord(job.target, `$.delivery.waiting[${i}].target`);
    });
    this.registry.importState(buses);
    this.dispatcher.importState(delivery as unknown as Parameters<Dispatcher['importState']>[0]);
  }

  /** ARNs of scheduled rules waiting for their next fire time. */
  scheduledRules(): string[] {
    return this.scheduler.armed();
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
