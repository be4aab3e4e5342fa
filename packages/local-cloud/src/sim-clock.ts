interface Task {
  at: number;
  seq: number;
  run: () => void | Promise<void>;
  cancelled: boolean;
}

export interface TimerHandle {
  cancel(): void;
}

/** What a real-time tick does with tasks that threw: nobody awaits the tick, so it reports them here. */
export type TaskErrorHandler = (error: unknown) => void;

/**
 * The simulated clock every time-dependent part of the local cloud follows: instance boots, image
 * creation, scans, waits and schedules. It stands still unless advanced, or runs at `speed` simulated
 * seconds per real second. Tasks due at the same instant run in the order they were scheduled.
 */
export class SimClock {
  private nowMs: number;
  private seq = 0;
  private readonly tasks: Task[] = [];
  private speed = 0;
  private ticker: NodeJS.Timeout | undefined;
  private lastReal = 0;
  private running: Promise<void> = Promise.resolve();
  private onTickError: TaskErrorHandler = (error) => {
    console.error('local cloud: a scheduled task failed during a real-time tick', error);
  };

  constructor(start: Date | string | number = '2026-01-01T00:00:00.000Z') {
    this.nowMs = new Date(start).getTime();
    if (Number.isNaN(this.nowMs)) throw new RangeError(`SimClock start "${String(start)}" is not a date`);
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  nowMillis(): number {
    return this.nowMs;
  }

  /** Runs `run` once the clock reaches `delayMs` from now (0: at the next advance, even by zero). */
  after(delayMs: number, run: Task['run']): TimerHandle {
    // A NaN delay would sort anywhere and then set the clock itself to NaN: refuse it where it is made.
    if (Number.isNaN(delayMs)) throw new RangeError('after needs a delay in milliseconds, got NaN');
    return this.at(this.nowMs + Math.max(0, delayMs), run);
  }

  /** Runs `run` once the clock reaches `atMs` (a time already past runs at the next advance). */
  at(atMs: number, run: Task['run']): TimerHandle {
    if (!Number.isFinite(atMs)) throw new RangeError(`at needs a finite time in milliseconds, got ${atMs}`);
    const task: Task = { at: atMs, seq: this.seq++, run, cancelled: false };
    // Sorted insert: queues here hold at most thousands of tasks, so a binary search into an array is enough.
    let lo = 0;
    let hi = this.tasks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = this.tasks[mid]!;
      if (t.at < task.at || (t.at === task.at && t.seq < task.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.tasks.splice(lo, 0, task);
    return {
      cancel: () => {
        task.cancelled = true;
      },
    };
  }

  /** Number of tasks still waiting. */
  pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }

  /**
   * Moves the clock `seconds` forward, running everything due on the way in time order, including tasks
   * those tasks schedule, and resolves once all of them have finished. Calls are serialised: the target
   * is taken when the call's turn comes, so two advances of 5 s always move the clock 10 s.
   *
   * A task that throws does not stop the others (one failed image must not freeze every instance boot);
   * the clock still reaches its target and the advance then rejects with an `AggregateError` of them.
   */
  advance(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) {
      return Promise.reject(new RangeError(`advance needs a non-negative number of seconds, got ${seconds}`));
    }
    const next = this.running.then(() => this.runUntil(this.nowMs + seconds * 1000));
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every advance asked for so far has finished. */
  idle(): Promise<void> {
    return this.running;
  }

  private async runUntil(target: number): Promise<void> {
    const errors: unknown[] = [];
    for (;;) {
      const task = this.tasks[0];
      if (!task || task.at > target) break;
      this.tasks.shift();
      if (task.cancelled) continue;
      this.nowMs = Math.max(this.nowMs, task.at);
      try {
        await task.run();
      } catch (error) {
        errors.push(error);
      }
    }
    this.nowMs = Math.max(this.nowMs, target);
    if (errors.length > 0) {
      throw new AggregateError(errors, `${errors.length} scheduled task(s) failed while the clock advanced`);
    }
  }

  /** Where failures of tasks run by the real-time ticker go (default: `console.error`). */
  onTaskError(handler: TaskErrorHandler): void {
    this.onTickError = handler;
  }

  getSpeed(): number {
    return this.speed;
  }

  /** Simulated seconds per real second; 0 stops the clock between explicit advances. */
  setSpeed(speed: number, tickMs = 50): void {
    if (!Number.isFinite(speed) || speed < 0)
      throw new RangeError(`speed must be a non-negative number, got ${speed}`);
    this.speed = speed;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (speed === 0) return;
    this.lastReal = Date.now();
    this.ticker = setInterval(() => {
      const real = Date.now();
      const elapsed = real - this.lastReal;
      this.lastReal = real;
      this.advance((elapsed / 1000) * this.speed).catch((error: unknown) => this.onTickError(error));
    }, tickMs);
    this.ticker.unref();
  }

  /** Stops the real-time ticker; pending tasks stay queued. */
  stop(): void {
    this.setSpeed(0);
  }
}
