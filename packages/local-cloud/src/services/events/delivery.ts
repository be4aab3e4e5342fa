import { DELIVERY_OPERATION } from '../../faults';
import type { SimClock } from '../../sim-clock';
import { type TargetInput, targetInput } from './input';
import type {
  DeadLetterRecord,
  DeliveryOutcome,
  DeliveryRecord,
  EventEnvelope,
  ExhaustedRetryCondition,
  Rule,
  Target,
} from './model';
import { arnService } from './wire';

/** How targets are reached: the cloud wiring connects these to in-process Lambda handlers and Step Functions. */
export interface TargetInvokers {
  invokeLambda(arn: string, payload: unknown): Promise<unknown>;
  startExecution(stateMachineArn: string, input: string, name?: string): Promise<unknown>;
  /**
   * Sends a message to an SQS queue by ARN (a target's dead-letter queue), as EventBridge's service
   * principal does; throws when the queue does not take it.
   */
  sendToQueue?(queueArn: string, body: string, attributes: Record<string, string>): void;
  /**
   * Publishes a target's input to an SNS topic as EventBridge's service principal, on behalf of the rule
   * (`aws:SourceArn`, `aws:SourceAccount`); throws when SNS refuses it (the topic's policy, no topic).
   */
  publishToTopic?(
    topicArn: string,
    message: string,
    source: { ruleArn: string; accountId: string },
  ): void | Promise<void>;
}

/**
 * What delivery asks of the cloud's fault injector (`FaultInjector`): the copies of one delivery and when
 * each is due, and where to count copies that overtake earlier ones.
 */
export interface DeliveryFaults {
  /** Milliseconds from now at which each copy is due: `[0]` (one, at once) when nothing is injected. */
  deliveryCopies(region?: string): number[];
  count(service: string, operation: string, kind: 'reordered', n?: number): void;
}

/** AWS's defaults when a target has no RetryPolicy: 185 retries within 24 hours. */
export const DEFAULT_MAX_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;
/** Backoff before retry n (1-based): 1 s, 2 s, 4 s, ... capped at 5 minutes, on the simulated clock. */
export const retryDelayMs = (retry: number): number => Math.min(1000 * 2 ** (retry - 1), 300_000);

/**
 * Errors EventBridge does not retry because retrying cannot help (the target is gone or may not be
 * called): the event goes straight to the dead-letter queue.
 */
const NOT_RETRIED = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InputTransformationError',
  'JsonPathError',
  // SNS's: the topic's policy does not let EventBridge publish, or the topic is gone.
  'AuthorizationError',
  'NotFound',
]);

interface Job {
  event: EventEnvelope;
  ingestedAt: number;
  ruleArn: string;
  ruleName: string;
  eventBusName: string;
  /** A copy taken when the event matched: later PutTargets calls do not change deliveries under way. */
  target: Target;
  attempts: number;
}

const errorCode = (e: unknown): string => {
  const err = e as { code?: unknown; name?: unknown } | undefined;
  if (typeof err?.code === 'string') return err.code;
  return typeof err?.name === 'string' ? err.name : 'Error';
};
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Delivers matched events to targets asynchronously on the simulated clock, retrying failures with
 * exponential backoff up to the target's RetryPolicy, then dead-lettering them. Every delivery that reaches
 * an outcome is logged; every one that ran out of retries is kept as a dead-letter record.
 *
 * EventBridge delivers at least once: with a `duplicates` fault rule (see `FaultInjector.deliveryCopies`)
 * a delivery is made several times, each copy a delivery of its own (retries, log entry, dead letter),
 * at random offsets that reorder it against other events. Without one, each target gets one delivery at
 * the clock's next advance.
 */
export class Dispatcher {
  private readonly log: DeliveryRecord[] = [];
  private readonly dead: DeadLetterRecord[] = [];
  /** Per target ARN, the latest time a copy was due at: a copy due earlier overtakes it. */
  private readonly latestDue = new Map<string, number>();
  /** Deliveries waiting on the clock for their next attempt, and when it is due (simulated epoch ms). */
  private readonly waiting = new Map<Job, number>();

  /** `faults`: the cloud's fault injector, which may make several copies of a delivery. */
  constructor(
    private readonly clock: SimClock,
    private readonly invokers: TargetInvokers,
    private readonly limit = 10_000,
    private readonly faults?: DeliveryFaults,
  ) {}

  /** Queues the event for each of the rule's targets; delivery starts at the clock's next advance. */
  dispatch(event: EventEnvelope, rule: Rule, ingestedAt: number): void {
    const faults = this.faults;
    for (const target of rule.targets.values()) {
      const delays = faults?.deliveryCopies(rule.bus.scope.region) ?? [0];
      for (const delayMs of delays) {
        const job: Job = {
          event,
          ingestedAt,
          ruleArn: rule.arn,
          ruleName: rule.name,
          eventBusName: rule.bus.name,
          target: structuredClone(target),
          attempts: 0,
        };
        this.noteOrder(target.Arn, delayMs, faults);
        this.schedule(job, this.clock.nowMillis() + Math.max(0, delayMs));
      }
    }
  }

  /** Counts a copy due before one already scheduled for the same target as reordered. */
  private noteOrder(targetArn: string, delayMs: number, faults: DeliveryFaults | undefined): void {
    const due = this.clock.nowMillis() + delayMs;
    const latest = this.latestDue.get(targetArn);
    if (latest !== undefined && due < latest) faults?.count('events', DELIVERY_OPERATION, 'reordered');
    else this.latestDue.set(targetArn, due);
  }

  /** Outcomes so far, oldest first. */
  deliveries(): DeliveryRecord[] {
    return this.log.map((r) => ({ ...r }));
  }

  /** Deliveries that ran out of retries, oldest first, optionally only one rule's (by ARN) or target's. */
  deadLetters(filter: { ruleArn?: string; targetId?: string } = {}): DeadLetterRecord[] {
    return this.dead.filter(
      (d) =>
        (filter.ruleArn === undefined || d.ruleArn === filter.ruleArn) &&
        (filter.targetId === undefined || d.targetId === filter.targetId),
    );
  }

  // Never throws: a failing target is an outcome to record, not a failure of the clock's advance.
  private async attempt(job: Job): Promise<void> {
    job.attempts++;
    try {
      const input = targetInput(job.target, job.event, {
        ruleArn: job.ruleArn,
        ruleName: job.ruleName,
        ingestedAt: job.ingestedAt,
      });
      await this.send(job, input);
      this.record(job, 'delivered');
    } catch (error) {
      this.failed(job, error);
    }
  }

  private async send(job: Job, input: TargetInput): Promise<void> {
    const { target } = job;
    const service = arnService(target.Arn);
    if (service === 'lambda') await this.invokers.invokeLambda(target.Arn, input.value);
    else if (service === 'states') await this.invokers.startExecution(target.Arn, input.text);
    else if (service === 'sns') {
      // The message is the input's text as it is: the event's JSON, or a transformer's output (a text
      // template's text, quotes and all). EventBridge sets no Subject.
      if (!this.invokers.publishToTopic) throw new Error('the cloud has no SNS');
      const accountId =
        /^arn:aws[\w-]*:events:[a-z0-9-]+:(\d{12}):/.exec(job.ruleArn)?.[1] ?? job.event.account;
      await this.invokers.publishToTopic(target.Arn, input.text, { ruleArn: job.ruleArn, accountId });
    }
    // PutTargets accepts nothing else; reaching here means the rule was built around the registry.
    else throw new Error(`the local cloud cannot deliver to ${target.Arn}`);
  }

  private failed(job: Job, error: unknown): void {
    const condition = this.exhausted(job, error);
    if (condition) this.giveUp(job, error, condition);
    else this.schedule(job, this.clock.nowMillis() + retryDelayMs(job.attempts));
  }

  private schedule(job: Job, dueAt: number): void {
    this.waiting.set(job, dueAt);
    this.clock.at(dueAt, () => {
      this.waiting.delete(job);
      return this.attempt(job);
    });
  }

  /**
   * The deliveries waiting for an attempt (each with the time it is due), the log and the dead letters,
   * as data for a state file. An attempt under way at that moment is not among them: a clean stop lets
   * it finish first.
   */
  exportState(): { waiting: (Job & { dueAt: number })[]; log: DeliveryRecord[]; dead: DeadLetterRecord[] } {
    return {
      waiting: [...this.waiting].map(([job, dueAt]) => ({ ...job, dueAt })),
      log: this.log,
      dead: this.dead,
    };
  }

  /** Takes over the deliveries, log and dead letters of `exportState`; the waiting ones are due as saved. */
  importState(saved: ReturnType<Dispatcher['exportState']>): void {
    this.log.splice(0, this.log.length, ...saved.log);
    this.dead.splice(0, this.dead.length, ...saved.dead);
    for (const { dueAt, ...job } of saved.waiting) this.schedule(job, dueAt);
  }

  /** Why the job must not be retried after its latest failure, or undefined when it may be. */
  private exhausted(job: Job, error: unknown): ExhaustedRetryCondition | undefined {
    if (NOT_RETRIED.has(errorCode(error))) return 'None';
    const maxRetries = job.target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS;
    if (job.attempts - 1 >= maxRetries) return 'MaximumRetryAttempts';
    const maxAgeMs =
      (job.target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
    // A retry that would start after the event's age limit is not made: the event is dead-lettered now.
    if (this.clock.nowMillis() + retryDelayMs(job.attempts) - job.ingestedAt > maxAgeMs) {
      return 'MaximumEventAgeInSeconds';
    }
    return undefined;
  }

  /**
   * Keeps the record, and sends the event to the target's dead-letter queue as EventBridge does: the
   * event as the body, and why in the attributes `RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`, `ERROR_MESSAGE`,
   * `EXHAUSTED_RETRY_CONDITION` and `RETRY_ATTEMPTS`. A queue that does not take it (gone, or the cloud
   * has none) leaves the delivery `failed`, with why in `deadLetterError`.
   */
  private giveUp(job: Job, error: unknown, condition: ExhaustedRetryCondition): void {
    const deadLetterArn = job.target.DeadLetterConfig?.Arn;
    let deadLetterError: string | undefined;
    if (deadLetterArn !== undefined) {
      try {
        if (!this.invokers.sendToQueue) throw new Error('the cloud has no SQS');
        this.invokers.sendToQueue(deadLetterArn, JSON.stringify(job.event), {
          RULE_ARN: job.ruleArn,
          TARGET_ARN: job.target.Arn,
          ERROR_CODE: errorCode(error),
          ERROR_MESSAGE: errorMessage(error).slice(0, 1024) || '(none)',
          EXHAUSTED_RETRY_CONDITION: condition,
          RETRY_ATTEMPTS: String(job.attempts - 1),
        });
      } catch (e) {
        deadLetterError = errorMessage(e);
      }
    }
    this.keep(this.dead, {
      event: job.event,
      ruleArn: job.ruleArn,
      targetId: job.target.Id,
      targetArn: job.target.Arn,
      ...(deadLetterArn === undefined ? {} : { deadLetterArn }),
      ...(deadLetterError === undefined ? {} : { deadLetterError }),
      attempts: job.attempts,
      errorCode: errorCode(error),
      errorMessage: errorMessage(error),
      exhaustedRetryCondition: condition,
      at: this.clock.now().toISOString(),
    });
    const kept = deadLetterArn !== undefined && deadLetterError === undefined;
    this.record(job, kept ? 'dead-lettered' : 'failed', errorMessage(error));
  }

  private record(job: Job, outcome: DeliveryOutcome, error?: string): void {
    this.keep(this.log, {
      eventId: job.event.id,
      rule: job.ruleName,
      ruleArn: job.ruleArn,
      eventBusName: job.eventBusName,
      target: job.target.Id,
      targetArn: job.target.Arn,
      outcome,
      attempts: job.attempts,
      ...(error === undefined ? {} : { error }),
      at: this.clock.now().toISOString(),
    });
  }

  /** Appends, keeping the latest `limit` entries so a cloud left running for days stays bounded. */
  private keep<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
  }
}
