import { imageKey, type PlanInput, planRetention } from '@ami-lifecycle/core';
import fc from 'fast-check';
import { versionCode } from '../src/retention/key-index';
import { isoMs } from '../src/retention/timestamps';
import { planInputArb } from './support/arbitraries';

// The planner reads timestamps with its own parser and finds versions and AMI ids by number codes; a
// string outside the forms they know takes the slow path. Both paths must give the same plan.
describe('the planner’s timestamps and codes', () => {
  const same = (s: string) => {
    const want = Date.parse(s);
    const got = isoMs(s);
    if (!(got === want || (Number.isNaN(got) && Number.isNaN(want))))
      throw new Error(`${s}: ${got}, Date.parse says ${want}`);
  };

  it('reads every timestamp as Date.parse does, invalid ones and day 31 of a short month included', () => {
    const p2 = (n: number) => String(n).padStart(2, '0');
    for (const y of [0, 4, 100, 1900, 1969, 1970, 2000, 2024, 2026, 2100, 9999])
      for (let m = 0; m <= 13; m++)
        for (let d = 0; d <= 32; d++) same(`${String(y).padStart(4, '0')}-${p2(m)}-${p2(d)}T12:34:56.789Z`);
    for (const s of [
      '2024-02-29T24:00:00.000Z',
      '2024-02-29T23:60:00.000Z',
      '2024-02-29T23:59:60.000Z',
      '2024-02-29T12:00:00Z',
      '2024-02-29T12:00:00.000+01:00',
      '2024-02-29',
      '2024-02-29T12:00:00.000z',
      '+002024-02-29T12:00:00.000Z',
      '2024-02-29 12:00:00.000Z',
      '2024-02-29T1a:00:00.000Z',
      '',
    ])
      same(s);
  });

  it('reads random timestamps, some with one character changed, as Date.parse does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -62_000_000_000_000, max: 253_000_000_000_000 }),
        fc.option(fc.tuple(fc.nat(23), fc.constantFrom(...'0123456789-T:.Z+ /a')), { nil: undefined }),
        (ms, change) => {
          let s = new Date(ms).toISOString();
          if (change) s = s.slice(0, change[0]) + change[1] + s.slice(change[0] + 1);
          same(s);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('codes versions one to one, and only those of digits, dots and dashes', () => {
    const seen = new Map<number, string>();
    for (const v of [
      '1.0.0',
      '1.0.00',
      '10.0.0',
      '0.1.0',
      '2026.03.01.1',
      '2026.3.1.1',
      '-',
      '.',
      '9',
      '1-2',
    ]) {
      const code = versionCode(v);
      expect(code).toBeGreaterThanOrEqual(0);
      expect(seen.get(code)).toBeUndefined();
      seen.set(code, v);
    }
    for (const v of ['', 'v1.0.0', '1.0.0-rc1', '1.0.0+b', '123456789012345'])
      expect(versionCode(v)).toBe(-1);
  });

  it('plans the same for versions and AMI ids the codes do not cover', () => {
    const renamed = (input: PlanInput, seed: number): PlanInput => {
      // A suffix keeps the versions' order (none is a prefix of another), so ties break as before.
      const v = (version: string) => (seed % 2 === 0 || version.length % 2 === 0 ? `${version}+b` : version);
      const ami = (id: string) => (seed % 3 === 0 || id.endsWith('1') ? id.toUpperCase() : `${id}-x`);
      return {
        ...input,
        images: input.images.map((i) => ({
          ...i,
          version: v(i.version),
          amiIds: Object.fromEntries(Object.entries(i.amiIds).map(([r, id]) => [r, ami(id)])),
          ...(i.parent ? { parent: { ...i.parent, version: v(i.parent.version) } } : {}),
        })),
        usage: input.usage.map((u) => ({ ...u, amiId: ami(u.amiId) })),
        holds: input.holds.map((h) =>
          h.target.kind === 'image' ? { ...h, target: { ...h.target, version: v(h.target.version) } } : h,
        ),
        channels: input.channels.map((c) => ({ ...c, version: v(c.version) })),
      };
    };
    fc.assert(
      fc.property(planInputArb, fc.nat(), (input, seed) => {
        const plain = planRetention(input);
        const other = renamed(input, seed);
        const byKey = new Map(plain.decisions.map((d) => [imageKey(d), d]));
        const renamedBack = new Map(
          other.images.map((i, n) => [imageKey(i), imageKey(input.images[n]!)] as const),
        );
        const decisions = planRetention(other).decisions;
        expect(decisions.length).toBe(plain.decisions.length);
        for (const d of decisions) {
          const was = byKey.get(renamedBack.get(imageKey(d))!)!;
          expect([d.decision, d.reasons.map((r) => r.code)]).toEqual([
            was.decision,
            was.reasons.map((r) => r.code),
          ]);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
