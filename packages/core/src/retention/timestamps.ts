/**
 * `Date.parse` for the timestamps the catalog writes, several times faster: the planner reads one or two
 * per image, a million images a sweep. A string in exactly the form `Date.prototype.toISOString` gives
 * for years 0000–9999 (`YYYY-MM-DDTHH:mm:ss.sssZ`) is computed here; anything else (an offset, no
 * milliseconds, hour 24, a field out of range) goes to `Date.parse` itself, so the result is always
 * `Date.parse`'s, NaN included. Like `Date.parse`, a day past the month's end (up to 31) rolls over.
 */
export const isoMs = (s: string): number => {
  isoMsInto(s, scratch, 0);
  return scratch[0]!;
};

const scratch = new Float64Array(1);

// Builtins read once: in a hot loop, each read of a global (`Math`, `Date`) costs a lookup that jest's
// test context makes a hundred times slower than a local one.
const { floor } = Math;
const parseDate = Date.parse;

/**
 * `isoMs(s)` written to `out[at]`. A number a function returns is boxed on the heap unless the optimiser
 * inlines the function, and a million boxed timestamps are a million short-lived objects: written to a
 * Float64Array, the result is never boxed.
 */
export const isoMsInto = (s: string, out: Float64Array, at: number): void => {
  if (
    typeof s === 'string' &&
    s.length === 24 &&
    s.charCodeAt(23) === 90 /* Z */ &&
    s.charCodeAt(4) === 45 /* - */ &&
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 /* T */ &&
    s.charCodeAt(13) === 58 /* : */ &&
    s.charCodeAt(16) === 58 &&
    s.charCodeAt(19) === 46 /* . */
  ) {
    // two() answers -1 unless both characters are digits, which every range below refuses.
    const c = two(s, 0);
    const y = two(s, 2);
    const mo = two(s, 5);
    const d = two(s, 8);
    const h = two(s, 11);
    const mi = two(s, 14);
    const sec = two(s, 17);
    const ms = two(s, 20);
    const ms3 = s.charCodeAt(22) - 48;
    if (c >= 0 && y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23) {
      if (mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59 && ms >= 0 && ms3 >= 0 && ms3 <= 9) {
        out[at] =
          daysFromCivil(c * 100 + y, mo, d) * 86_400_000 +
          h * 3_600_000 +
          mi * 60_000 +
          sec * 1000 +
          ms * 10 +
          ms3;
        return;
      }
    }
  }
  out[at] = parseDate(s);
};

/** The two-digit number at `at`, or -1 if either character is not a digit. */
const two = (s: string, at: number): number => {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil); day 31 rolls over. */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const doy = floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
};
