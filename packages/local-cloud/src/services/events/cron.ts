/**
 * EventBridge schedule expressions (`rate(...)`, `cron(...)`), evaluated in UTC as EventBridge rules are.
 *
 * `cron` has AWS's six fields `minutes hours day-of-month month day-of-week year`, with exactly one of the
 * day fields `?`; `L` (last day of the month, or with a weekday the last such weekday), `W` (nearest
 * weekday), `LW` and `#` (nth weekday of the month) as Quartz defines them, weekdays 1-7 = SUN-SAT.
 */

const MINUTE = 60_000;
const UNIT_MS = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE } as const;

/** A parsed schedule. Build it with `parseScheduleExpression`. */
export type Schedule =
  | { kind: 'rate'; expression: string; periodMs: number }
  | { kind: 'cron'; expression: string; cron: CronFields };

interface CronFields {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** undefined: any year. */
  years?: ReadonlySet<number>;
  /** Exactly one of the day rules applies; the other field was `?`. */
  day: { field: 'dom'; rules: readonly DomRule[] } | { field: 'dow'; rules: readonly DowRule[] };
}

type DomRule =
  | { kind: 'days'; days: ReadonlySet<number> }
  | { kind: 'last' }
  | { kind: 'last-weekday' }
  | { kind: 'nearest-weekday'; day: number };
type DowRule =
  | { kind: 'days'; days: ReadonlySet<number> }
  | { kind: 'last-of-month'; weekday: number }
  | { kind: 'nth'; weekday: number; n: number };

/** A schedule expression EventBridge would refuse; PutRule answers it with AWS's one-line message. */
export class ScheduleExpressionError extends Error {
  constructor(readonly detail: string) {
    super(`Parameter ScheduleExpression is not valid. (${detail})`);
    this.name = 'ScheduleExpressionError';
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Whether `/` steps are allowed (AWS lists them for every field but day-of-week). */
  steps: boolean;
}

const FIELDS = {
  minutes: { name: 'minutes', min: 0, max: 59, steps: true },
  hours: { name: 'hours', min: 0, max: 23, steps: true },
  dom: { name: 'day-of-month', min: 1, max: 31, steps: true },
  months: { name: 'month', min: 1, max: 12, names: MONTHS, steps: true },
  dow: { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS, steps: false },
  years: { name: 'year', min: 1970, max: 2199, steps: true },
} satisfies Record<string, FieldSpec>;

// Annotated so that control-flow analysis knows a call ends the path.
const fail: (detail: string) => never = (detail) => {
  throw new ScheduleExpressionError(detail);
};

const number = (spec: FieldSpec, text: string): number => {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + spec.min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= spec.min && n <= spec.max))
    fail(`${spec.name} value "${text}" is outside ${spec.min}-${spec.max}`);
  return n;
};

/** `*`, `n`, `a-b` (wrapping around, as Quartz does, when a > b), each optionally `/step`. */
const values = (spec: FieldSpec, field: string): Set<number> => {
  const out = new Set<number>();
  for (const item of field.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '')
      fail(`${spec.name} item "${item}" is malformed`);
    if (stepText !== undefined && !spec.steps) fail(`${spec.name} does not take "/" steps`);
    const step =
      stepText === undefined
        ? 1
        : /^\d+$/.test(stepText) && Number(stepText) > 0
          ? Number(stepText)
          : fail(`${spec.name} step "${stepText}" is not a positive number`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || !a || !b) fail(`${spec.name} range "${range}" is malformed`);
      from = number(spec, a!);
      to = number(spec, b!);
    } else {
      from = number(spec, range);
      // `5/15` runs from 5 to the end of the field, as in Quartz.
      to = stepText === undefined ? from : spec.max;
    }
    const span = spec.max - spec.min + 1;
    const length = to >= from ? to - from : to + span - from;
    for (let k = 0; k <= length; k += step) out.add(((from - spec.min + k) % span) + spec.min);
  }
  return out;
};

const domRules = (field: string): DomRule[] =>
  field.split(',').map((item): DomRule => {
    if (item === 'L') return { kind: 'last' };
    if (item === 'LW') return { kind: 'last-weekday' };
    const w = /^(\d+)W$/.exec(item);
    if (w) return { kind: 'nearest-weekday', day: number(FIELDS.dom, w[1]!) };
    return { kind: 'days', days: values(FIELDS.dom, item) };
  });

const dowRules = (field: string): DowRule[] =>
  field.split(',').map((item): DowRule => {
    // A bare L in day-of-week is its last day, Saturday.
    if (item === 'L') return { kind: 'days', days: new Set([7]) };
    const last = /^([^#L]+)L$/.exec(item);
    if (last) return { kind: 'last-of-month', weekday: number(FIELDS.dow, last[1]!) };
    const nth = /^([^#L]+)#(\d+)$/.exec(item);
    if (nth) {
      const n = Number(nth[2]);
      if (n < 1 || n > 5) fail(`day-of-week "${item}": the week number must be 1-5`);
      return { kind: 'nth', weekday: number(FIELDS.dow, nth[1]!), n };
    }
    return { kind: 'days', days: values(FIELDS.dow, item) };
  });

const parseCron = (body: string): CronFields => {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6)
    fail(`cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`);
  const [min, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    fail('exactly one of day-of-month and day-of-week must be "?"');
  }
  return {
    minutes: values(FIELDS.minutes, min),
    hours: values(FIELDS.hours, hour),
    months: values(FIELDS.months, month),
    ...(year === '*' ? {} : { years: values(FIELDS.years, year) }),
    day: dom === '?' ? { field: 'dow', rules: dowRules(dow) } : { field: 'dom', rules: domRules(dom) },
  };
};

const parseRate = (body: string): number => {
  const m = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  if (!m) return fail('rate needs "<positive integer> <minute(s)|hour(s)|day(s)>"');
  const value = Number(m[1]);
  const unit = m[2]!;
  if (value < 1) fail('rate value must be positive');
  // AWS refuses `rate(1 minutes)` and `rate(5 minute)`.
  if ((value === 1) !== !unit.endsWith('s'))
    fail(`use "${value === 1 ? 'minute/hour/day' : 'minutes/hours/days'}" with ${value}`);
  return value * UNIT_MS[unit.replace(/s$/, '') as keyof typeof UNIT_MS];
};

/** Parses `rate(5 minutes)` or `cron(0 12 * * ? *)`; throws `ScheduleExpressionError` for anything else. */
export const parseScheduleExpression = (expression: string): Schedule => {
  const m = /^(rate|cron)\((.*)\)$/.exec(expression.trim());
  if (!m) return fail('expected rate(...) or cron(...)');
  return m[1] === 'rate'
    ? { kind: 'rate', expression, periodMs: parseRate(m[2]!) }
    : { kind: 'cron', expression, cron: parseCron(m[2]!) };
};

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = Sunday ... 7 = Saturday, as cron writes weekdays. */
const weekday = (year: number, month: number, day: number): number =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
const isWeekend = (wd: number): boolean => wd === 1 || wd === 7;

/** Quartz's `nW`: the weekday nearest to day n, never leaving the month (none if the month is shorter). */
const nearestWeekday = (year: number, month: number, n: number): number | undefined => {
  const last = daysInMonth(year, month);
  if (n > last) return undefined;
  const day = n;
  const wd = weekday(year, month, day);
  if (wd === 7) return day === 1 ? 3 : day - 1;
  if (wd === 1) return day === last ? day - 2 : day + 1;
  return day;
};

const lastWeekday = (year: number, month: number): number => {
  let d = daysInMonth(year, month);
  while (isWeekend(weekday(year, month, d))) d--;
  return d;
};

const domMatches = (r: DomRule, year: number, month: number, day: number): boolean => {
  if (r.kind === 'days') return r.days.has(day);
  if (r.kind === 'last') return day === daysInMonth(year, month);
  if (r.kind === 'last-weekday') return day === lastWeekday(year, month);
  return day === nearestWeekday(year, month, r.day);
};

const dowMatches = (r: DowRule, year: number, month: number, day: number): boolean => {
  const wd = weekday(year, month, day);
  if (r.kind === 'days') return r.days.has(wd);
  if (r.kind === 'last-of-month') return wd === r.weekday && day + 7 > daysInMonth(year, month);
  return wd === r.weekday && Math.ceil(day / 7) === r.n;
};

const dayMatches = (c: CronFields, year: number, month: number, day: number): boolean =>
  c.day.field === 'dom'
    ? c.day.rules.some((r) => domMatches(r, year, month, day))
    : c.day.rules.some((r) => dowMatches(r, year, month, day));

const sorted = (s: ReadonlySet<number>): number[] => [...s].sort((a, b) => a - b);

/** The first minute strictly after `afterMs` that the cron fields allow, or undefined if there is none. */
const nextCron = (c: CronFields, afterMs: number): number | undefined => {
  const start = new Date(Math.floor(afterMs / MINUTE) * MINUTE + MINUTE);
  const hours = sorted(c.hours);
  const minutes = sorted(c.minutes);
  // Day by day rather than minute by minute, skipping whole years and months that cannot match: a yearly
  // schedule is a few dozen steps away, not half a million minutes.
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  const startDay = day.getTime();
  for (;;) {
    const year = day.getUTCFullYear();
    if (year > FIELDS.years.max) return undefined;
    const month = day.getUTCMonth() + 1;
    const date = day.getUTCDate();
    if (c.years && !c.years.has(year)) {
      day.setTime(Date.UTC(year + 1, 0, 1));
      continue;
    }
    if (!c.months.has(month)) {
      day.setTime(Date.UTC(year, month, 1));
      continue;
    }
    if (dayMatches(c, year, month, date)) {
      const sameDay = day.getTime() === startDay;
      for (const h of hours) {
        if (sameDay && h < start.getUTCHours()) continue;
        for (const m of minutes) {
          const at = Date.UTC(year, month - 1, date, h, m);
          if (at >= start.getTime()) return at;
        }
      }
    }
    day.setUTCDate(date + 1);
  }
};

/**
 * When the schedule next fires after `afterMs`. A rate counts whole periods from `anchorMs` (the time the
 * rule was created or last enabled), so `rate(1 day)` created at 09:30 fires at 09:30 every day.
 */
export const nextFireTime = (schedule: Schedule, afterMs: number, anchorMs = afterMs): number | undefined => {
  if (schedule.kind === 'cron') return nextCron(schedule.cron, afterMs);
  const periods = Math.floor((afterMs - anchorMs) / schedule.periodMs) + 1;
  return anchorMs + Math.max(1, periods) * schedule.periodMs;
};
