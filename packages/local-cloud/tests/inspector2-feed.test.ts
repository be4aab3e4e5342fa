import { ZodError } from 'zod';
import { PUBLIC_IMAGES } from '../src/services/ec2/public-images';
import { CveFeedEntrySchema, isAffected, loadCveFeed } from '../src/services/inspector2';
import { CveFeed } from '../src/services/inspector2/feed';
import { PACKAGE_REPOSITORIES } from '../src/services/ssm';

const AL2023 = PUBLIC_IMAGES.find((i) => i.name.startsWith('al2023'))!;
const UBUNTU = PUBLIC_IMAGES.find((i) => i.name.includes('ubuntu'))!;

const entry = (over: Record<string, unknown> = {}) =>
  CveFeedEntrySchema.parse({
    vulnerabilityId: 'CVE-2099-0001',
    packageName: 'demo',
    fixedVersion: '1.2.0-1',
    severity: 'HIGH',
    cvssScore: 7.5,
    title: 'demo is vulnerable',
    ...over,
  });

/** What `dnf update` / `apt-get upgrade` leaves on an instance, per the SSM shell's repositories. */
const updated = (packages: Record<string, string>, family: 'rpm' | 'deb') =>
  new Map(Object.entries(packages).map(([n, v]) => [n, PACKAGE_REPOSITORIES[family][n] ?? v]));

describe('the CVE feed', () => {
  const feed = new CveFeed(loadCveFeed());

  it('loads the fixture file', () => {
    expect(feed.size).toBeGreaterThanOrEqual(10);
  });

  it('makes the seeded base images vulnerable, openssl included', () => {
    const al = feed.match(new Map(Object.entries(AL2023.packages)), 'rpm');
    const ub = feed.match(new Map(Object.entries(UBUNTU.packages)), 'deb');

    expect([...al.values()].flat().map((m) => m.name)).toEqual(
      expect.arrayContaining(['openssl', 'kernel', 'glibc']),
    );
    expect([...ub.values()].flat().map((m) => m.name)).toEqual(
      expect.arrayContaining(['openssl', 'linux-image-aws', 'libc6']),
    );
  });

  it('has every fixable vulnerability of the seeded images fixed by an OS update', () => {
    const al = feed.match(updated(AL2023.packages, 'rpm'), 'rpm');
    const ub = feed.match(updated(UBUNTU.packages, 'deb'), 'deb');

    const fixable = [...al.values(), ...ub.values()].flat().filter((m) => m.entry.fixedVersion !== undefined);
    expect(fixable).toEqual([]);
  });

  it('does not apply a distribution entry to the other distribution', () => {
    // An instance judged Debian-family is matched against deb builds only, whatever a version looks like.
    const ub = feed.match(new Map([['openssl', '3.0.8-1.amzn2023.0.14']]), 'deb');

    expect([...ub.values()].flat().every((m) => m.entry.family !== 'rpm')).toBe(true);
  });

  it('prefers a distribution entry over a generic one for the same package', () => {
    const f = new CveFeed([
      entry({ fixedVersion: '2.0' }),
      entry({ family: 'deb', fixedVersion: '1.0-1ubuntu2' }),
    ]);

    // Upstream says below 2.0 is vulnerable; Ubuntu backported the fix into 1.0-1ubuntu2.
    expect(f.match(new Map([['demo', '1.0-1ubuntu2']]), 'deb').size).toBe(0);
    expect(f.match(new Map([['demo', '1.0-1ubuntu1']]), 'deb').size).toBe(1);
    expect(f.match(new Map([['demo', '1.5-1.el9']]), 'rpm').size).toBe(1);
  });

  it('bounds the affected range with introducedIn (xz 5.6.0 and 5.6.1 only)', () => {
    const xz = loadCveFeed().find((e) => e.vulnerabilityId === 'CVE-2024-3094')!;

    expect(isAffected(xz, '5.4.6-1')).toBe(false);
    expect(isAffected(xz, '5.6.0-1')).toBe(true);
    expect(isAffected(xz, '5.6.1-1')).toBe(true);
    expect(isAffected(xz, '5.6.2-1')).toBe(false);
  });

  it('treats affectsVersionsBelow as vulnerable without a fix', () => {
    const noFix = entry({ fixedVersion: undefined, affectsVersionsBelow: '1.8.0' });

    expect(isAffected(noFix, '1.7.1-49.amzn2023')).toBe(true);
    expect(isAffected(noFix, '1.8.0')).toBe(false);
  });

  it('replaces an entry added again with the same id, package and family', () => {
    const f = new CveFeed([entry()]);

    expect(f.upsert(entry({ severity: 'CRITICAL' }))).toBe(true);
    expect(f.list()).toEqual([expect.objectContaining({ severity: 'CRITICAL' })]);
  });

  it('refuses an entry with both a fix and a no-fix bound, naming the field', () => {
    const parse = () => entry({ affectsVersionsBelow: '1.0' });

    expect(parse).toThrow(ZodError);
    expect(parse).toThrow(/affectsVersionsBelow/);
  });

  it('refuses a severity Inspector does not use in the feed', () => {
    expect(() => entry({ severity: 'SEVERE' })).toThrow(ZodError);
  });
});
