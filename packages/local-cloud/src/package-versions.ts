/**
 * Package version parsing and ordering for rpm and deb versions (`[epoch:]version[-release]`).
 *
 * Inspector decides "vulnerable" as `installed < fixedVersion`, so this order is the one thing in the
 * emulator that must never be wrong: a string comparison would call glibc `2.34-52` newer than
 * `2.34-117` and hide a finding. It follows rpm's `rpmvercmp`, applied to epoch, version and release
 * separately as rpm and dpkg both do:
 *
 * - the epoch is compared numerically first (absent = 0);
 * - version and release are split into runs of digits and runs of letters, other characters only
 *   separate runs; digit runs compare numerically (leading zeros ignored, no size limit), letter runs
 *   by ASCII, and a digit run is newer than a letter run;
 * - `~` sorts before everything, even the end of the string (`1.0~rc1 < 1.0`); `^` sorts after the end
 *   but before anything else (`1.0 < 1.0^git1 < 1.0.1`);
 * - when one side runs out of runs, the longer one is newer (`1.0 < 1.0.1`);
 * - a missing release is older than any release (`3.0.8 < 3.0.8-1`), which is dpkg's "absent revision
 *   is 0" for every release this emulator meets.
 *
 * The release is split at the last `-`, so a hyphen inside an upstream version belongs to it (dpkg's
 * rule); compare `1.0-2` with `1.0.1-1` correctly as older, which a single run over the whole string gets
 * wrong.
 */

export interface ParsedVersion {
  epoch: number;
  version: string;
  release: string | undefined;
}

/** Splits `epoch:version-release`; the epoch defaults to 0 and the release may be absent. */
export const parseVersion = (raw: string): ParsedVersion => {
  const text = raw.trim();
  const m = /^(\d+):(.*)$/.exec(text);
  const epoch = m ? Number(m[1]) : 0;
  const rest = m ? m[2]! : text;
  const dash = rest.lastIndexOf('-');
  return dash > 0
    ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) }
    : { epoch, version: rest, release: undefined };
};

/** `epoch:version-release` with the epoch always written, as Inspector writes `fixedInVersion`. */
export const formatWithEpoch = (raw: string): string => {
  const { epoch, version, release } = parseVersion(raw);
  return `${epoch}:${version}${release === undefined ? '' : `-${release}`}`;
};

// `~` and `^` are runs of their own; every other non-alphanumeric character only separates runs.
const RUNS = /~|\^|\d+|[a-zA-Z]+/g;

const compareDigits = (x: string, y: string): number => {
  const a = x.replace(/^0+/, '');
  const b = y.replace(/^0+/, '');
  // Longer (without leading zeros) is bigger: exact for any length, unlike Number().
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
};

/** rpmvercmp over one part (version or release): negative, zero or positive. */
export const compareRuns = (left: string, right: string): number => {
  if (left === right) return 0;
  const a = left.match(RUNS) ?? [];
  const b = right.match(RUNS) ?? [];
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === '~' || y === '~') {
      if (x === y) continue;
      return x === '~' ? -1 : 1;
    }
    if (x === '^' || y === '^') {
      if (x === y) continue;
      // `^` is newer than the end of the other side, older than any run it still has.
      if (x === undefined) return -1;
      if (y === undefined) return 1;
      return x === '^' ? -1 : 1;
    }
    if (x === undefined || y === undefined) {
      if (x === y) return 0;
      return x === undefined ? -1 : 1;
    }
    const xDigits = x.charCodeAt(0) <= 57;
    const yDigits = y.charCodeAt(0) <= 57;
    if (xDigits !== yDigits) return xDigits ? 1 : -1;
    const c = xDigits ? compareDigits(x, y) : x === y ? 0 : x < y ? -1 : 1;
    if (c !== 0) return c;
  }
};

/** Orders two package versions: negative when `a` is older than `b`, 0 when equal, positive when newer. */
export const compareVersions = (a: string, b: string): number => {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  const v = compareRuns(x.version, y.version);
  if (v !== 0) return v;
  if (x.release === y.release) return 0;
  if (x.release === undefined) return -1;
  if (y.release === undefined) return 1;
  return compareRuns(x.release, y.release);
};
