import { InvalidAmiNameError, InvalidVersionError } from './errors';

export type VersionScheme = 'calendar' | 'semver';
export type SemverBump = 'major' | 'minor' | 'patch';

const CALENDAR = /^(\d{4})\.(\d{2})\.(\d{2})\.(\d+)$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

const parseCalendar = (v: string): [number, number, number, number] => {
  const m = CALENDAR.exec(v);
  if (!m) throw new InvalidVersionError(`"${v}" is not a calendar version (YYYY.MM.DD.N)`);
  const [y, mo, d, n] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    throw new InvalidVersionError(`"${v}" is not a calendar version: no such date`);
  }
  // No leading zero: `….01` and `….1` would compare equal yet name two AMIs.
  if (n < 1 || m[4]!.startsWith('0')) {
    throw new InvalidVersionError(
      `"${v}" is not a calendar version: the counter is below 1 or has a leading zero`,
    );
  }
  return [y, mo, d, n];
};

const parseSemver = (v: string): [number, number, number] => {
  const m = SEMVER.exec(v);
  if (!m) throw new InvalidVersionError(`"${v}" is not a semantic version (MAJOR.MINOR.PATCH)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};

const parse = (scheme: VersionScheme, v: string): number[] =>
  scheme === 'calendar' ? parseCalendar(v) : parseSemver(v);

/** Throws `InvalidVersionError` unless `version` follows `scheme`. */
export const assertVersion = (scheme: VersionScheme, version: string): void => {
  parse(scheme, version);
};

/** Orders two versions of one scheme numerically (so `2.10.0` > `2.9.0`, `…​.10` > `…​.9`). */
export const compareVersions = (scheme: VersionScheme, a: string, b: string): number => {
  const pa = parse(scheme, a);
  const pb = parse(scheme, b);
  for (let i = 0; i < pa.length; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};

/**
 * The next version of a family. Calendar: today's (UTC) date with a counter one above the highest
 * build of today, so two builds on one day never collide. Semver: the highest existing version bumped.
 */
export const nextVersion = (
  scheme: VersionScheme,
  existing: readonly string[],
  now: Date,
  bump: SemverBump = 'minor',
): string => {
  if (scheme === 'calendar') {
    const y = now.getUTCFullYear();
    const mo = now.getUTCMonth() + 1;
    const d = now.getUTCDate();
    let highest = 0;
    for (const v of existing) {
      const [vy, vm, vd, n] = parseCalendar(v);
      if (vy === y && vm === mo && vd === d && n > highest) highest = n;
    }
    return `${y}.${String(mo).padStart(2, '0')}.${String(d).padStart(2, '0')}.${highest + 1}`;
  }
  if (existing.length === 0) return '1.0.0';
  const top = existing.reduce((a, b) => (compareVersions('semver', a, b) >= 0 ? a : b));
  const [ma, mi, pa] = parseSemver(top);
  if (bump === 'major') return `${ma + 1}.0.0`;
  if (bump === 'minor') return `${ma}.${mi + 1}.0`;
  return `${ma}.${mi}.${pa + 1}`;
};

// EC2 allows 3-128 characters of letters, digits, ( ) [ ] space . / - ' @ _ in an AMI name.
const AMI_NAME = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;

/** The AMI `Name` of design 3: `<family>-<version>`, checked against EC2's rules. */
export const amiName = (family: string, version: string): string => {
  const name = `${family}-${version}`;
  if (!AMI_NAME.test(name)) {
    throw new InvalidAmiNameError(`AMI name "${name}" breaks EC2's rules (3-128 of A-Za-z0-9()[] ./-'@_)`);
  }
  return name;
};

export const TAG_PREFIX = 'ami-lifecycle:';
export const MANAGED_TAG = `${TAG_PREFIX}managed`;

/** The managed tags every image we create carries; only images tagged `managed=true` are ever modified. */
export const managedTags = (input: {
  family: string;
  version: string;
  buildId: string;
  parent?: { family: string; version: string } | undefined;
}): Record<string, string> => ({
  [MANAGED_TAG]: 'true',
  [`${TAG_PREFIX}family`]: input.family,
  [`${TAG_PREFIX}version`]: input.version,
  [`${TAG_PREFIX}parent`]: input.parent ? `${input.parent.family}@${input.parent.version}` : 'none',
  [`${TAG_PREFIX}build-id`]: input.buildId,
});

/** True when the tags mark an image as ours; a missing or differently-cased value is not ours. */
export const isManaged = (tags: Readonly<Record<string, string | undefined>>): boolean =>
  tags[MANAGED_TAG] === 'true';
