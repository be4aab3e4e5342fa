// How `npm start` tells its story: a heading per act, a short line per step stamped with the simulated
// clock (`[day 3 09:00]`, day 1 being the day the story starts), and the act and step it was in when
// something did not happen, so a failure names where it stopped.
import { DAY_MS, type FindingsSummary } from '@ami-lifecycle/core';

/** The clock the story reads: the local cloud's simulated one. */
export interface StoryClock {
  nowMillis(): number;
}

/** A step that did not reach its outcome: the act and step it stopped in, and why. */
export class StoryStepError extends Error {
  constructor(
    readonly act: string,
    readonly step: string,
    cause: unknown,
  ) {
    super(
      `${act ? `${act}, ` : ''}step "${step}": ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
      { cause },
    );
    this.name = 'StoryStepError';
  }
}

/** Where the continuation lines of a step start: under the text of `[day 12 09:00] `. */
const INDENT = ' '.repeat(15);

export class Story {
  private act = '';
  /** The last step started: what a failure outside any step happened after. */
  private current = '';
  /** UTC midnight of the story's first day. */
  readonly origin: number;
  /** Runs after every step that succeeds: what the step caused elsewhere (the mail it sent) is told under it. */
  afterStep: (() => void) | undefined;

  constructor(
    readonly clock: StoryClock,
    readonly print: (line: string) => void = (l) => console.log(l),
    /** When the story starts; day 1 is that day. Defaults to the clock's now. */
    start: number | Date = clock.nowMillis(),
  ) {
    const at = new Date(start).getTime();
    this.origin = at - (at % DAY_MS);
  }

  /** `day 3 09:00` for an instant (the clock's now by default). */
  stamp(at: number | string | Date = this.clock.nowMillis()): string {
    const ms = new Date(at).getTime();
    const day = Math.floor((ms - this.origin) / DAY_MS) + 1;
    const time = new Date(ms).toISOString().slice(11, 16);
    return `day ${String(day).padStart(2)} ${time}`;
  }

  /** The heading of an act; steps that fail from now on name it. */
  heading(n: number, title: string): void {
    this.act = `act ${n} (${title})`;
    this.print('');
    this.print(`== Act ${n}: ${title} ==`);
  }

  /** A step's line, stamped with the simulated time it happened at (now by default). */
  at(line: string, when?: number | string | Date): void {
    this.print(`[${this.stamp(when)}] ${line}`);
  }

  /** A line that belongs to the step above it, without a time of its own. */
  more(line: string): void {
    this.print(`${INDENT}${line}`);
  }

  /** A line outside any step: a note or a heading of a listing. */
  note(line: string): void {
    this.print(line);
  }

  /** A failure outside any step, named by the act and the last step started before it. */
  failureAfterStep(e: unknown): string {
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return `${this.act || 'before the first act'}${this.current ? `, after step "${this.current}"` : ''}: ${what}`;
  }

  /** Runs a step; whatever makes it fail is reported with the act and the step it happened in. */
  async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    this.current = name;
    try {
      const result = await run();
      this.afterStep?.();
      return result;
    } catch (e) {
      if (e instanceof StoryStepError) throw e;
      throw new StoryStepError(this.act, name, e);
    }
  }
}

/** Why the story stopped: the act and step a failure happened in (or after), and the failure. */
export const storyFailure = (story: Story | undefined, e: unknown): string => {
  if (e instanceof StoryStepError || story === undefined)
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return story.failureAfterStep(e);
};

/** `CRITICAL 1, HIGH 2` (the severities with findings), or `none`. */
export const findingCounts = (f: FindingsSummary | undefined): string => {
  if (f === undefined) return 'not scanned';
  const counts = Object.entries(f).filter(([, n]) => n > 0);
  return counts.length === 0 ? 'none' : counts.map(([s, n]) => `${s} ${n}`).join(', ');
};

/** Columns padded to their widest cell; the last one is left as it is. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string[] => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)];
};
