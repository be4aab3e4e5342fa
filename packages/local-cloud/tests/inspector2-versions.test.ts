import fc from 'fast-check';
import { PUBLIC_IMAGES } from '../src/services/ec2/public-images';
import { compareVersions, formatWithEpoch, parseVersion } from '../src/services/inspector2';
import { PACKAGE_REPOSITORIES, compareVersions as shellCompareVersions } from '../src/services/ssm';

const sign = (n: number) => Math.sign(n);

describe('package version comparison', () => {
  it.each([
    ['2.34-52.amzn2023.0.11', '2.34-117.amzn2023.0.1', 'compares numeric release segments as numbers'],
    ['3.0.8-1.amzn2023.0.14', '3.0.8-1.amzn2023.0.16', 'orders rpm release builds'],
    ['3.0.13-0ubuntu3.4', '3.0.13-0ubuntu3.5', 'orders Ubuntu revisions'],
    ['1.9.15p5-3ubuntu5', '1.9.15p5-3ubuntu5.24.04.1', 'treats a longer revision as newer than its prefix'],
    ['9.9', '1:1.0', 'lets the epoch win over everything after it'],
    ['1.0-2', '1.0.1-1', 'compares the version before the release'],
    ['1.0~rc1', '1.0', 'sorts a tilde pre-release before the release'],
    ['1.0', '1.0^git1', 'sorts a caret snapshot after the release'],
    ['1.0^git1', '1.0.1', 'sorts a caret snapshot before the next version'],
    ['1.0.a', '1.0.1', 'sorts letters before digits'],
    ['3.0.8', '3.0.8-1', 'sorts a missing release before any release'],
    ['6.8.0-1018.19', '6.8.0-1021.23', 'orders kernel ABI numbers'],
    ['1:9.6p1-3ubuntu13.5', '1:9.6p1-3ubuntu13.8', 'orders versions with letters inside a segment'],
    ['1.2.99999999999999999998', '1.2.99999999999999999999', 'compares numbers longer than a double exactly'],
  ])('orders %s before %s (%s)', (older, newer) => {
    expect(compareVersions(older, newer)).toBeLessThan(0);
    expect(compareVersions(newer, older)).toBeGreaterThan(0);
  });

  it.each([
    ['1.010', '1.10'],
    ['0:3.0.8-1', '3.0.8-1'],
    ['1.0_1', '1.0.1'],
  ])('treats %s and %s as the same version', (a, b) => {
    expect(compareVersions(a, b)).toBe(0);
  });

  it('splits epoch, version and release at the first colon and the last hyphen', () => {
    expect(parseVersion('1:9.6p1-3ubuntu13.8')).toEqual({
      epoch: 1,
      version: '9.6p1',
      release: '3ubuntu13.8',
    });
    expect(parseVersion('8.7p1-8.amzn2023.0.13')).toEqual({
      epoch: 0,
      version: '8.7p1',
      release: '8.amzn2023.0.13',
    });
    expect(parseVersion('5.6.2')).toEqual({ epoch: 0, version: '5.6.2', release: undefined });
    expect(formatWithEpoch('3.0.8-1.amzn2023.0.16')).toBe('0:3.0.8-1.amzn2023.0.16');
  });

  const segment = fc.oneof(fc.nat({ max: 300 }).map(String), fc.constantFrom('a', 'b', 'p', 'rc', 'amzn'));
  const part = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('.'));
  const version = fc
    .tuple(fc.option(fc.nat({ max: 3 }), { nil: undefined }), part, fc.option(part, { nil: undefined }))
    .map(([e, v, r]) => `${e === undefined ? '' : `${e}:`}${v}${r === undefined ? '' : `-${r}`}`);

  it('is a total order: reflexive, antisymmetric and transitive', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(compareVersions(a, a)).toBe(0);
        // `+ 0` folds -0 into 0: equal versions give sign 0 both ways, which toBe (Object.is) would split.
        expect(sign(compareVersions(a, b))).toBe(-sign(compareVersions(b, a)) + 0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) {
          expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the order when the epoch is written out', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(sign(compareVersions(formatWithEpoch(a), formatWithEpoch(b)))).toBe(
          sign(compareVersions(a, b)),
        );
      }),
    );
  });

  it('agrees with the SSM shell on every seeded build and its repository upgrade', () => {
    // The shell decides what an OS update installs; Inspector decides whether that fixed anything.
    for (const image of PUBLIC_IMAGES) {
      const repo = PACKAGE_REPOSITORIES[image.ownerAlias === 'amazon' ? 'rpm' : 'deb'];
      for (const [name, installed] of Object.entries(image.packages)) {
        const latest = repo[name];
        if (latest === undefined) continue;
        expect([name, sign(compareVersions(installed, latest))]).toEqual([
          name,
          sign(shellCompareVersions(installed, latest)),
        ]);
      }
    }
  });
});
