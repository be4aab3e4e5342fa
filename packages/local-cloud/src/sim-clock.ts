interface Task {
  at: number;
  seq: number;
  run: () => void | Promise<void>;
  cancelled: boolean;
}

export interface TimerHandle {
  cancel(): void;
}

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

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
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
    return this.at(this.nowMs + Math.max(0, delayMs), run);
  }

  at(atMs: number, run: Task['run']): TimerHandle {
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
   * those tasks schedule, and resolves once all of them have finished. Calls are serialised.
   */
  advance(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) {
      return Promise.reject(new RangeError(`advance needs a non-negative number of seconds, got ${seconds}`));
    }
    const next = this.running.then(() => this.runUntil(this.nowMs + seconds * 1000));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async runUntil(target: number): Promise<void> {
    for (;;) {
      const task = this.tasks[0];
      if (!task || task.at > target) break;
      this.tasks.shift();
      if (task.cancelled) continue;
      this.nowMs = Math.max(this.nowMs, task.at);
      await task.run();
    }
    this.nowMs = Math.max(this.nowMs, target);
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
      void this.advance((elapsed / 1000) * this.speed);
    }, tickMs);
    this.ticker.unref();
  }

  /** Stops the real-time ticker; pending tasks stay queued. */
  stop(): void {
    this.setSpeed(0);
  }
}
