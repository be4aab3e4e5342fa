import type { Schedule } from './cron';
import type { CompiledPattern } from './pattern';
import type { BusPolicy } from './policy';
import type { Scope } from './wire';

/**
 * The EventBridge emulator's state. Request and response shapes use AWS's member names (PascalCase) so that
 * in-process callers (the serverless.yml deployer) pass exactly what they would pass to the SDK.
 */

export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export interface Tag {
  Key: string;
  Value: string;
}

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface RetryPolicy {
  /** 0-185; AWS's default is 185. */
  MaximumRetryAttempts?: number;
  /** 60-86400; AWS's default is 86400 (24 hours). */
  MaximumEventAgeInSeconds?: number;
}

export interface DeadLetterConfig {
  /** An SQS queue ARN; the emulator records what would have been sent there. */
  Arn?: string;
}

/** A rule target as PutTargets takes it and ListTargetsByRule returns it. */
export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  RetryPolicy?: RetryPolicy;
  DeadLetterConfig?: DeadLetterConfig;
}

export interface PutRuleInput {
  Name: string;
  EventBusName?: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  State?: RuleState;
  Description?: string;
  RoleArn?: string;
  Tags?: Tag[];
}

export interface PutTargetsInput {
  Rule: string;
  EventBusName?: string;
  Targets: Target[];
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  /** JSON text of an object. */
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  /** Epoch milliseconds (the wire's epoch seconds are converted when read). */
  Time?: number;
  TraceHeader?: string;
}

export interface EventBus {
  name: string;
  arn: string;
  scope: Scope;
  description?: string;
  createdAt: number;
  lastModifiedAt: number;
  tags: Tag[];
  rules: Map<string, Rule>;
  /** The resource-based policy (PutPermission, AWS::Events::EventBusPolicy), checked on PutEvents. */
  policy?: BusPolicy;
}

export interface Rule {
  name: string;
  arn: string;
  bus: EventBus;
  state: RuleState;
  eventPattern?: CompiledPattern;
  schedule?: Schedule;
  description?: string;
  roleArn?: string;
  tags: Tag[];
  targets: Map<string, Target>;
  /** When the rule was last created, updated or enabled: rate schedules count their periods from here. */
  scheduleAnchorMs: number;
}

/** An event as EventBridge hands it to targets and matches it against patterns. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601 on the simulated clock, to the second, as AWS writes it. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'dead-lettered';

/** One event's delivery to one target, once it has an outcome: the control API's `GET /_local/events`. */
export interface DeliveryRecord {
  eventId: string;
  /** The rule's name; `ruleArn` tells rules of other buses, accounts and regions apart. */
  rule: string;
  ruleArn: string;
  eventBusName: string;
  /** The target's Id. */
  target: string;
  targetArn: string;
  outcome: DeliveryOutcome;
  /** Attempts made, the first included. */
  attempts: number;
  error?: string;
  /** When the outcome was reached, ISO 8601 on the simulated clock. */
  at: string;
}

/** Why EventBridge stopped retrying, as it writes it in the dead-letter message's attributes. */
export type ExhaustedRetryCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' | 'None';

/**
 * What EventBridge sends to a target's dead-letter queue: the event, and the attributes AWS attaches to
 * the SQS message. Kept for every delivery that ran out of retries, with `deadLetterArn` when the target
 * names a queue (without one, AWS drops the event and so does the emulator, but the record stays).
 */
export interface DeadLetterRecord {
  event: EventEnvelope;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  deadLetterArn?: string;
  /** Why the dead-letter queue did not take the event (it does not exist); the event is then lost on AWS. */
  deadLetterError?: string;
  attempts: number;
  errorCode: string;
  errorMessage: string;
  exhaustedRetryCondition: ExhaustedRetryCondition;
  at: string;
}

/** An event accepted by PutEvents or `publish`, and where it went. */
export interface IngestedEvent {
  event: EventEnvelope;
  eventBusArn: string;
  /** Rules whose pattern matched (ARNs); empty when none did. */
  matchedRules: string[];
  /**
   * True when the named bus does not exist: AWS accepts such events and drops them silently (PutEvents
   * still answers with an EventId), so this log is the only place the mistake shows.
   */
  droppedNoSuchBus?: true;
}

/** AWS writes event times to the second: `2026-03-01T12:00:00Z`. */
export const eventTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
