import type { SimClock, TimerHandle } from '../../sim-clock';
import { isEnabled, type RuleListener } from './buses-rules';
import { nextFireTime } from './cron';
import type { Rule } from './model';

/**
 * Fires scheduled rules on the simulated clock: one timer per enabled rule with a ScheduleExpression, set
 * for its next fire time and re-set after each firing. Because the clock jumps straight to the next timer,
 * a `rate(1 day)` rule fires as soon as a test advances the clock a day, however little real time passes.
 */
export class Scheduler implements RuleListener {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: SimClock,
    /** Called at each fire time with the rule and the time it was due (epoch milliseconds). */
    private readonly fire: (rule: Rule, dueAt: number) => void,
  ) {}

  ruleChanged(rule: Rule): void {
    this.disarm(rule.arn);
    if (rule.schedule && isEnabled(rule.state)) this.arm(rule);
  }

  ruleRemoved(rule: Rule): void {
    this.disarm(rule.arn);
  }

  /** Rules with a pending fire time, by ARN (for tests and the control API). */
  armed(): string[] {
    return [...this.timers.keys()];
  }

  private arm(rule: Rule): void {
    const schedule = rule.schedule!;
    const now = this.clock.nowMillis();
    const dueAt = nextFireTime(schedule, now, rule.scheduleAnchorMs);
    // A cron whose years are all past never fires again.
    if (dueAt === undefined) return;
    this.timers.set(
      rule.arn,
      this.clock.at(dueAt, () => {
        this.timers.delete(rule.arn);
        // PutRule, DisableRule and DeleteRule cancel this timer, so the rule here is still the current one.
        this.fire(rule, dueAt);
        this.arm(rule);
      }),
    );
  }

  private disarm(arn: string): void {
    this.timers.get(arn)?.cancel();
    this.timers.delete(arn);
  }
}
