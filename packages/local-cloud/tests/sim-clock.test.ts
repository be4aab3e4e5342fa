import { SimClock } from '../src/sim-clock';

const START = '2026-03-01T00:00:00.000Z';

describe('SimClock', () => {
  it('stands still until it is advanced', async () => {
    const clock = new SimClock(START);

    await clock.advance(0);

    expect(clock.now().toISOString()).toBe(START);
  });

  it('runs due tasks in time order, and tasks due at the same instant in the order they were scheduled', async () => {
    const clock = new SimClock(START);
    const ran: string[] = [];
    clock.after(3_000, () => void ran.push('c@3s'));
    clock.after(1_000, () => void ran.push('a@1s'));
    clock.after(2_000, () => void ran.push('b1@2s'));
    clock.after(2_000, () => void ran.push('b2@2s'));
    clock.after(5_000, () => void ran.push('late@5s'));

    await clock.advance(3);

    expect(ran).toEqual(['a@1s', 'b1@2s', 'b2@2s', 'c@3s']);
    expect(clock.pending()).toBe(1);
  });

  it('shows each task the time it was due, and ends the advance at its target', async () => {
    const clock = new SimClock(START);
    const seen: string[] = [];
    clock.after(1_500, () => void seen.push(clock.now().toISOString()));

    await clock.advance(10);

    expect(seen).toEqual(['2026-03-01T00:00:01.500Z']);
    expect(clock.now().toISOString()).toBe('2026-03-01T00:00:10.000Z');
  });

  it('runs the tasks that tasks schedule when they fall due within the same advance', async () => {
    const clock = new SimClock(START);
    const ran: string[] = [];
    // An instance boot (1 s) that schedules its status check (2 s later) and a far-off retirement.
    clock.after(1_000, () => {
      ran.push('boot');
      clock.after(2_000, () => void ran.push('status-check'));
      clock.after(0, () => void ran.push('same-instant'));
      clock.after(60_000, () => void ran.push('retire'));
    });

    await clock.advance(5);

    expect(ran).toEqual(['boot', 'same-instant', 'status-check']);
    expect(clock.pending()).toBe(1);
  });

  it('waits for an asynchronous task to finish before it runs the next one', async () => {
    const clock = new SimClock(START);
    const ran: string[] = [];
    clock.after(1_000, async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      ran.push('slow');
    });
    clock.after(1_000, () => void ran.push('next'));

    await clock.advance(1);

    expect(ran).toEqual(['slow', 'next']);
  });

  it('serialises advances asked for at the same time, so they add up', async () => {
    const clock = new SimClock(START);
    const ran: string[] = [];
    clock.after(7_000, () => void ran.push(`at ${clock.now().toISOString()}`));

    const first = clock.advance(5);
    const second = clock.advance(5);
    await Promise.all([first, second]);

    expect(ran).toEqual(['at 2026-03-01T00:00:07.000Z']);
    expect(clock.now().toISOString()).toBe('2026-03-01T00:00:10.000Z');
  });

  it('does not run a cancelled task', async () => {
    const clock = new SimClock(START);
    const ran: string[] = [];
    const handle = clock.after(1_000, () => void ran.push('cancelled'));
    clock.after(1_000, () => void ran.push('kept'));

    handle.cancel();
    await clock.advance(2);

    expect(ran).toEqual(['kept']);
    expect(clock.pending()).toBe(0);
  });

  it('keeps running the other tasks when one fails, then reports the failure', async () => {
    const clock = new SimClock(START);
    const ran: string[] = [];
    clock.after(1_000, () => {
      throw new Error('image capture failed');
    });
    clock.after(2_000, () => void ran.push('after the failure'));

    const advancing = clock.advance(3);

    await expect(advancing).rejects.toThrow(AggregateError);
    await expect(advancing).rejects.toMatchObject({ errors: [new Error('image capture failed')] });
    expect(ran).toEqual(['after the failure']);
    expect(clock.now().toISOString()).toBe('2026-03-01T00:00:03.000Z');
    // A failed advance does not wedge the next one.
    await expect(clock.advance(1)).resolves.toBeUndefined();
  });

  it.each([
    ['a negative number', -1],
    ['NaN', Number.NaN],
    ['infinity', Number.POSITIVE_INFINITY],
  ])('refuses to advance by %s', async (_label, seconds) => {
    const clock = new SimClock(START);

    await expect(clock.advance(seconds)).rejects.toThrow(RangeError);
    expect(clock.now().toISOString()).toBe(START);
  });

  it('refuses tasks at times that are not numbers, instead of corrupting the clock', () => {
    const clock = new SimClock(START);

    expect(() => clock.after(Number.NaN, () => undefined)).toThrow(RangeError);
    expect(() => clock.at(Number.POSITIVE_INFINITY, () => undefined)).toThrow(RangeError);
    expect(clock.pending()).toBe(0);
  });

  it('runs a task scheduled in the past at the next advance, without moving the clock back', async () => {
    const clock = new SimClock(START);
    const seen: number[] = [];
    clock.at(Date.parse(START) - 60_000, () => void seen.push(clock.nowMillis()));

    await clock.advance(0);

    expect(seen).toEqual([Date.parse(START)]);
  });

  it('refuses a start that is not a date and a speed that is not a non-negative number', () => {
    expect(() => new SimClock('yesterday-ish')).toThrow(RangeError);
    const clock = new SimClock(START);
    expect(() => clock.setSpeed(-2)).toThrow(RangeError);
    expect(() => clock.setSpeed(Number.NaN)).toThrow(RangeError);
  });

  describe('at a speed', () => {
    beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00.000Z') }));
    afterEach(() => jest.useRealTimers());

    it('moves speed simulated seconds per real second and runs what falls due', async () => {
      const clock = new SimClock(START);
      const ran: string[] = [];
      clock.after(90_000, () => void ran.push('after 90 simulated seconds'));

      clock.setSpeed(60);
      jest.advanceTimersByTime(2_000);
      await clock.idle();
      clock.stop();

      expect(ran).toEqual(['after 90 simulated seconds']);
      expect(clock.nowMillis() - Date.parse(START)).toBe(120_000);
      expect(clock.getSpeed()).toBe(0);
    });

    it('hands failures of ticked tasks to the error handler instead of crashing the process', async () => {
      const clock = new SimClock(START);
      const failures: unknown[] = [];
      clock.onTaskError((error) => failures.push(error));
      clock.after(1_000, () => {
        throw new Error('boom');
      });

      clock.setSpeed(10);
      jest.advanceTimersByTime(500);
      await clock.idle();
      // The failed tick's rejection reaches the handler one microtask turn later.
      await Promise.resolve();
      clock.stop();

      expect(failures).toHaveLength(1);
      expect((failures[0] as AggregateError).errors).toEqual([new Error('boom')]);
    });
  });
});
