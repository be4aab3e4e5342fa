import {
  type Image,
  mergeUsageFacts,
  planRetention,
  type RetentionPlan,
  type UsageFact,
} from '@ami-lifecycle/core';
import { daysAgo, hold, image, NOW, planInput, policy } from './support/builders';

const decisionOf = (plan: RetentionPlan, version: string, family = 'web') => {
  const d = plan.decisions.find((x) => x.family === family && x.version === version);
  if (!d) throw new Error(`no decision for ${family}@${version}`);
  return d;
};
const codes = (plan: RetentionPlan, version: string, family = 'web') =>
  decisionOf(plan, version, family).reasons.map((r) => r.code);

/** Five published images of `web`, v5 newest, each a day older than the next. */
const fiveWeb = () =>
  [5, 4, 3, 2, 1].map((n, i) => image({ family: 'web', version: `1.${n}.0`, ageDays: 10 + i }));

describe('planRetention', () => {
  it('keeps the newest keepLatest published images and deprecates the rest', () => {
    const plan = planRetention(planInput({ images: fiveWeb() }));
    expect(plan.decisions.map((d) => [d.version, d.decision])).toEqual([
      ['1.5.0', 'keep'],
      ['1.4.0', 'keep'],
      ['1.3.0', 'deprecate'],
      ['1.2.0', 'deprecate'],
      ['1.1.0', 'deprecate'],
    ]);
    expect(codes(plan, '1.3.0')).toEqual(['expired-count']);
    expect(plan.summary).toEqual({ keep: 2, deprecate: 3, disable: 0, retire: 0 });
    expect(plan.actions).toHaveLength(3);
    expect(plan.guard).toEqual({ status: 'ok', reasons: [] });
  });

  it('expires by age but always retains the newest retainAtLeast', () => {
    const images = [
      image({ family: 'web', version: '1.2.0', ageDays: 100 }),
      image({ family: 'web', version: '1.1.0', ageDays: 120 }),
    ];
    const plan = planRetention(
      planInput({
        images,
        families: [{ name: 'web', retention: policy({ keepLatest: 5, maxAgeDays: 90, retainAtLeast: 1 }) }],
      }),
    );
    expect(decisionOf(plan, '1.2.0').decision).toBe('keep');
    expect(codes(plan, '1.2.0')).toEqual(['retain-at-least']);
    expect(decisionOf(plan, '1.1.0').decision).toBe('deprecate');
    expect(codes(plan, '1.1.0')).toEqual(['expired-age']);
  });

  it('moves one stage per sweep and waits out each grace period', () => {
    const retention = policy({ keepLatest: 1, disableAfterDeprecatedDays: 14, retireAfterDisabledDays: 7 });
    const images = [
      image({ family: 'web', version: '1.9.0', ageDays: 1 }),
      image({
        family: 'web',
        version: '1.8.0',
        ageDays: 50,
        state: 'deprecated',
        stateChangedAt: daysAgo(13),
      }),
      image({
        family: 'web',
        version: '1.7.0',
        ageDays: 60,
        state: 'deprecated',
        stateChangedAt: daysAgo(15),
      }),
      image({ family: 'web', version: '1.6.0', ageDays: 70, state: 'disabled', stateChangedAt: daysAgo(6) }),
      image({ family: 'web', version: '1.5.0', ageDays: 80, state: 'disabled', stateChangedAt: daysAgo(8) }),
    ];
    const plan = planRetention(planInput({ images, families: [{ name: 'web', retention }] }));
    expect(plan.decisions.map((d) => d.decision)).toEqual(['keep', 'keep', 'disable', 'keep', 'retire']);
    expect(codes(plan, '1.8.0')).toEqual(['expired-count', 'grace-pending']);
    expect(decisionOf(plan, '1.8.0').reasons[1]?.message).toContain(daysAgo(-1).slice(0, 10));
    expect(codes(plan, '1.5.0')).toEqual(['expired-count', 'grace-elapsed']);
  });

  it('counts a grace of whole days at the same time of day: a sweep a few minutes earlier than the change still moves it, an hour and more does not', () => {
    const retention = policy({ keepLatest: 1, disableAfterDeprecatedDays: 2, failedRetireAfterDays: 2 });
    const minutes = (n: number) => new Date(Date.parse(daysAgo(2)) + n * 60_000).toISOString();
    const images = [
      image({ family: 'web', version: '1.9.0', ageDays: 1 }),
      // Deprecated by the sweep two days ago, ten minutes after its start: this sweep is a day-pair later.
      image({
        family: 'web',
        version: '1.8.0',
        ageDays: 50,
        state: 'deprecated',
        stateChangedAt: minutes(10),
      }),
      // Deprecated an hour and a half later than this sweep's time of day: not yet two days.
      image({
        family: 'web',
        version: '1.7.0',
        ageDays: 60,
        state: 'deprecated',
        stateChangedAt: minutes(90),
      }),
      image({
        family: 'web',
        version: '1.6.0',
        ageDays: 3,
        state: 'failed',
        stateChangedAt: minutes(10),
        amiIds: {},
      }),
    ];

    const plan = planRetention(planInput({ images, families: [{ name: 'web', retention }] }));

    expect(decisionOf(plan, '1.8.0').decision).toBe('disable');
    expect(decisionOf(plan, '1.7.0').decision).toBe('keep');
    expect(decisionOf(plan, '1.6.0').decision).toBe('retire');
  });

  it('never skips a stage: an expired published image is deprecated, not retired', () => {
    const images = [
      image({ family: 'web', version: '2.0.0', ageDays: 1 }),
      image({ family: 'web', version: '1.0.0', ageDays: 900 }),
    ];
    const plan = planRetention(
      planInput({
        images,
        families: [{ name: 'web', retention: policy({ keepLatest: 1, maxAgeDays: 30 }) }],
      }),
    );
    expect(decisionOf(plan, '1.0.0').decision).toBe('deprecate');
  });

  it('retires rejected and failed images on their own short policy', () => {
    const images = [
      image({ family: 'web', version: '3.0.0', state: 'rejected', ageDays: 9, stateChangedAt: daysAgo(8) }),
      image({
        family: 'web',
        version: '3.1.0',
        state: 'failed',
        ageDays: 2,
        stateChangedAt: daysAgo(2),
        amiIds: {},
      }),
    ];
    const plan = planRetention(
      planInput({
        images,
        families: [{ name: 'web', retention: policy({ keepLatest: 2, failedRetireAfterDays: 7 }) }],
      }),
    );
    expect(decisionOf(plan, '3.0.0').decision).toBe('retire');
    expect(codes(plan, '3.0.0')).toEqual(['failed-policy']);
    expect(decisionOf(plan, '3.1.0').decision).toBe('keep');
    expect(codes(plan, '3.1.0')).toEqual(['grace-pending']);
  });

  it('keeps images still in the pipeline and skips retired ones', () => {
    const images = [
      image({ family: 'web', version: '4.0.0', state: 'inspecting', ageDays: 400 }),
      image({ family: 'web', version: '0.1.0', state: 'retired', ageDays: 900 }),
    ];
    const plan = planRetention(planInput({ images }));
    expect(plan.decisions.map((d) => [d.version, d.decision, d.reasons[0]?.code])).toEqual([
      ['4.0.0', 'keep', 'in-progress'],
    ]);
  });

  describe('out of date', () => {
    const outOfDate = policy({ keepLatest: 5, outOfDate: { graceDays: 7 } });
    const golden = (version: string, ageDays: number, over: Partial<Image> = {}) =>
      image({ family: 'web', version, ageDays, sourceAmiId: 'ami-0aaaaaaaaaaaaaaa1', ...over });
    const plan = (images: Image[], retention = outOfDate) =>
      planRetention(planInput({ images, families: [{ name: 'web', retention }] }));

    it('deprecates an image flagged vulnerable past the grace, though within keepLatest', () => {
      // Arrange: 1.1 was flagged eight days ago; 1.2 is the newest.
      const images = [golden('1.2', 1), golden('1.1', 20, { vulnerable: true, vulnerableSince: daysAgo(8) })];

      // Act
      const result = plan(images);

      // Assert
      expect(decisionOf(result, '1.1')).toEqual(
        expect.objectContaining({
          decision: 'deprecate',
          reasons: [
            expect.objectContaining({
              code: 'out-of-date',
              message: expect.stringContaining('flagged vulnerable since'),
            }),
          ],
        }),
      );
      expect(decisionOf(result, '1.2').decision).toBe('keep');
    });

    it('waits out the grace, and does nothing when the family has no out-of-date rule', () => {
      // Arrange
      const flagged = golden('1.1', 20, { vulnerable: true, vulnerableSince: daysAgo(6) });
      const older = golden('1.0', 30, { vulnerable: true, vulnerableSince: daysAgo(30) });

      // Act / Assert
      expect(decisionOf(plan([golden('1.2', 1), flagged]), '1.1').decision).toBe('keep');
      expect(decisionOf(plan([golden('1.2', 1), older], policy({ keepLatest: 5 })), '1.0').decision).toBe(
        'keep',
      );
    });

    it('deprecates an image superseded by one built on a newer base, and not one built on the same base', () => {
      // Arrange: 1.2, published ten days ago, was built from another source AMI than 1.1; 1.0 from the same as 1.2.
      const newest = golden('1.2', 10, { sourceAmiId: 'ami-0bbbbbbbbbbbbbbb2', publishedAt: daysAgo(10) });
      const images = [newest, golden('1.1', 20), golden('1.0', 30, { sourceAmiId: 'ami-0bbbbbbbbbbbbbbb2' })];

      // Act
      const result = plan(images);

      // Assert
      expect(decisionOf(result, '1.1')).toEqual(
        expect.objectContaining({
          decision: 'deprecate',
          reasons: [
            expect.objectContaining({
              code: 'out-of-date',
              message: expect.stringContaining('superseded by 1.2'),
            }),
          ],
        }),
      );
      expect(decisionOf(result, '1.0').decision).toBe('keep');
    });

    it('still keeps an out-of-date image that is in use', () => {
      // Arrange
      const flagged = golden('1.1', 20, { vulnerable: true, vulnerableSince: daysAgo(8) });
      const input = planInput({
        images: [golden('1.2', 1), flagged],
        families: [{ name: 'web', retention: outOfDate }],
      });
      const ami = Object.values(flagged.amiIds)[0]!;

      // Act
      const result = planRetention({
        ...input,
        usage: input.usage.map((u) => (u.amiId === ami ? { ...u, inUse: true, references: ['i-1'] } : u)),
      });

      // Assert
      expect(decisionOf(result, '1.1').decision).toBe('keep');
      expect(decisionOf(result, '1.1').reasons.map((r) => r.code)).toEqual(['in-use', 'out-of-date']);
    });
  });

  describe('never-rules', () => {
    const expiredWeb = () => [
      image({ family: 'web', version: '2.0.0', ageDays: 1 }),
      image({ family: 'web', version: '1.0.0', ageDays: 100 }),
    ];
    const oneKept = policy({ keepLatest: 1 });

    it('keeps an image that is in use and names the reference', () => {
      const images = expiredWeb();
      const ami = Object.values(images[1]!.amiIds)[0]!;
      const input = planInput({ images, families: [{ name: 'web', retention: oneKept }] });
      const usage = input.usage.map((u) =>
        u.amiId === ami ? { ...u, inUse: true, references: ['instance:i-0abc'] } : u,
      );
      const plan = planRetention({ ...input, usage });
      expect(decisionOf(plan, '1.0.0').decision).toBe('keep');
      expect(decisionOf(plan, '1.0.0').reasons[0]).toEqual({
        code: 'in-use',
        message: `${ami} in use by instance:i-0abc`,
      });
    });

    it.each([
      ['after', (own: UsageFact, other: UsageFact) => [own, other]],
      ['before', (own: UsageFact, other: UsageFact) => [other, own]],
    ])('keeps an image another account uses, its fact coming %s the owner’s unused one', (_, order) => {
      // Arrange: the owner account sees nothing; the workloads account runs an instance of it.
      const images = expiredWeb();
      const ami = Object.values(images[1]!.amiIds)[0]!;
      const input = planInput({ images, families: [{ name: 'web', retention: oneKept }] });
      const own = input.usage.find((u) => u.amiId === ami)!;
      const other: UsageFact = { amiId: ami, inUse: true, references: ['222222222222:instance:i-0abc'] };

      // Act
      const plan = planRetention({
        ...input,
        usage: [...input.usage.filter((u) => u.amiId !== ami), ...order(own, other)],
      });

      // Assert
      expect(decisionOf(plan, '1.0.0').decision).toBe('keep');
      expect(decisionOf(plan, '1.0.0').reasons[0]).toEqual({
        code: 'in-use',
        message: `${ami} in use by 222222222222:instance:i-0abc`,
      });
    });

    it('merges the facts of one AMI: in use if any says so, every reference, the latest times', () => {
      // Act
      const merged = mergeUsageFacts([
        { amiId: 'ami-0000000a', inUse: false, references: [], lastLaunchedAt: '2026-03-01T00:00:00Z' },
        {
          amiId: 'ami-0000000a',
          inUse: true,
          references: ['lt-1:v3', 'i-1'],
          lastSeenInUseAt: '2026-02-01T00:00:00Z',
          lastLaunchedAt: '2026-01-01T00:00:00Z',
        },
        {
          amiId: 'ami-0000000a',
          inUse: false,
          references: ['i-1'],
          lastSeenInUseAt: '2026-02-02T00:00:00+01:00',
        },
      ]);

      // Assert: 2026-02-02T00:00+01:00 is later than 2026-02-01T00:00Z.
      expect(merged.get('ami-0000000a')).toEqual({
        amiId: 'ami-0000000a',
        inUse: true,
        references: ['i-1', 'lt-1:v3'],
        lastSeenInUseAt: '2026-02-02T00:00:00+01:00',
        lastLaunchedAt: '2026-03-01T00:00:00Z',
      });
    });

    it('keeps an image in use even when the inventory names no reference', () => {
      const images = expiredWeb();
      const ami = Object.values(images[1]!.amiIds)[0]!;
      const input = planInput({ images, families: [{ name: 'web', retention: oneKept }] });
      const usage = input.usage.map((u) => (u.amiId === ami ? { ...u, inUse: true, references: [] } : u));
      const plan = planRetention({ ...input, usage });
      expect(decisionOf(plan, '1.0.0').decision).toBe('keep');
      expect(decisionOf(plan, '1.0.0').reasons[0]).toEqual({
        code: 'in-use',
        message: `${ami} in use by an unnamed reference`,
      });
    });

    it('keeps an image launched within the in-use grace, and lets it go after', () => {
      const images = expiredWeb();
      const ami = Object.values(images[1]!.amiIds)[0]!;
      const make = (launchedDaysAgo: number) => {
        const input = planInput({
          images,
          families: [{ name: 'web', retention: policy({ keepLatest: 1, inUseGraceDays: 30 }) }],
        });
        return planRetention({
          ...input,
          usage: input.usage.map((u) =>
            u.amiId === ami ? { ...u, lastLaunchedAt: daysAgo(launchedDaysAgo) } : u,
          ),
        });
      };
      expect(decisionOf(make(29), '1.0.0').decision).toBe('keep');
      expect(decisionOf(make(31), '1.0.0').decision).toBe('deprecate');
    });

    it('keeps an image whose usage the inventory does not know', () => {
      const images = expiredWeb();
      const input = planInput({ images, families: [{ name: 'web', retention: oneKept }] });
      const plan = planRetention({ ...input, usage: input.usage.slice(0, 1) });
      expect(codes(plan, '1.0.0')).toContain('usage-unknown');
      expect(decisionOf(plan, '1.0.0').decision).toBe('keep');
    });

    it('keeps held images, by image or by family, until the hold expires or is released', () => {
      const images = expiredWeb();
      const base = planInput({ images, families: [{ name: 'web', retention: oneKept }] });
      const onImage = planRetention({
        ...base,
        holds: [hold({ kind: 'image', family: 'web', version: '1.0.0' })],
      });
      const onFamily = planRetention({ ...base, holds: [hold({ kind: 'family', family: 'web' })] });
      const expired = planRetention({
        ...base,
        holds: [hold({ kind: 'family', family: 'web' }, { expiresAt: daysAgo(1) })],
      });
      const released = planRetention({
        ...base,
        holds: [hold({ kind: 'family', family: 'web' }, { releasedAt: daysAgo(1) })],
      });
      expect(decisionOf(onImage, '1.0.0').reasons[0]?.message).toBe(
        'held by legal@example.com (LEGAL-1): litigation',
      );
      expect(decisionOf(onFamily, '1.0.0').decision).toBe('keep');
      expect(decisionOf(expired, '1.0.0').decision).toBe('deprecate');
      expect(decisionOf(released, '1.0.0').decision).toBe('deprecate');
    });

    it('keeps a channel target however old', () => {
      const images = expiredWeb();
      const plan = planRetention(
        planInput({
          images,
          families: [{ name: 'web', retention: oneKept }],
          channels: [{ family: 'web', name: 'stable', version: '1.0.0' }],
        }),
      );
      expect(decisionOf(plan, '1.0.0').reasons[0]).toEqual({
        code: 'channel-target',
        message: 'channel stable points to it',
      });
    });

    it('never modifies an unmanaged image', () => {
      const images = expiredWeb();
      images[1] = { ...images[1]!, managed: false };
      const plan = planRetention(planInput({ images, families: [{ name: 'web', retention: oneKept }] }));
      expect(codes(plan, '1.0.0')).toEqual(['not-managed', 'expired-count']);
      expect(decisionOf(plan, '1.0.0').decision).toBe('keep');
    });

    it('keeps the parent of a retained child, and the parent of that parent', () => {
      const g1 = image({ family: 'golden', version: '1.0.0', ageDays: 300 });
      const g2 = image({ family: 'golden', version: '2.0.0', ageDays: 200 });
      const g3 = image({ family: 'golden', version: '3.0.0', ageDays: 1 });
      const base = image({
        family: 'base',
        version: '1.0.0',
        ageDays: 250,
        parent: { family: 'golden', version: '1.0.0' },
      });
      const app = image({
        family: 'app',
        version: '1.0.0',
        ageDays: 5,
        parent: { family: 'base', version: '1.0.0' },
      });
      const base2 = image({ family: 'base', version: '2.0.0', ageDays: 2 });
      const plan = planRetention(
        planInput({
          images: [g1, g2, g3, base, base2, app],
          families: ['golden', 'base', 'app'].map((name) => ({ name, retention: oneKept })),
        }),
      );
      expect(decisionOf(plan, '1.0.0', 'base').decision).toBe('keep');
      expect(decisionOf(plan, '1.0.0', 'base').reasons[0]).toEqual({
        code: 'parent-of-kept',
        message: 'parent of app@1.0.0, which stays',
      });
      expect(decisionOf(plan, '1.0.0', 'golden').decision).toBe('keep');
      expect(codes(plan, '1.0.0', 'golden')[0]).toBe('parent-of-kept');
      expect(decisionOf(plan, '2.0.0', 'golden').decision).toBe('deprecate');
    });

    it('keeps images of a family that has no retention policy', () => {
      const plan = planRetention(planInput({ images: expiredWeb(), families: [] }));
      expect(
        plan.decisions.every((d) => d.decision === 'keep' && d.reasons.some((r) => r.code === 'no-policy')),
      ).toBe(true);
    });
  });

  describe('guards', () => {
    const retiring = (n: number, family = 'web') =>
      Array.from({ length: n }, (_, i) =>
        image({
          family,
          version: `0.${i}.0`,
          state: 'disabled',
          ageDays: 200 + i,
          stateChangedAt: daysAgo(100),
        }),
      );

    it('turns the plan into no action when retirements exceed the per-run limit', () => {
      const images = [image({ family: 'web', version: '9.0.0', ageDays: 1 }), ...retiring(4)];
      const input = planInput({
        images,
        families: [{ name: 'web', retention: policy({ keepLatest: 1, maxRetirementsPerRun: 10 }) }],
      });
      const plan = planRetention({
        ...input,
        guards: { maxRetirementsPerRun: 3, maxInventoryAgeMinutes: 60 },
      });
      expect(plan.summary.retire).toBe(4);
      expect(plan.guard).toEqual({
        status: 'tripped',
        reasons: ['4 retirements exceed the per-run limit of 3'],
      });
      expect(plan.actions).toEqual([]);
    });

    it('trips on a family over its own cap', () => {
      const images = [image({ family: 'web', version: '9.0.0', ageDays: 1 }), ...retiring(3)];
      const plan = planRetention(
        planInput({
          images,
          families: [{ name: 'web', retention: policy({ keepLatest: 1, maxRetirementsPerRun: 2 }) }],
        }),
      );
      expect(plan.guard.reasons).toEqual(['3 retirements in web exceed its limit of 2']);
      expect(plan.actions).toEqual([]);
    });

    it('refuses to act on stale inventory', () => {
      const plan = planRetention({
        ...planInput({ images: fiveWeb() }),
        inventoryAt: new Date(NOW.getTime() - 61 * 60_000),
      });
      expect(plan.guard).toEqual({
        status: 'tripped',
        reasons: ['inventory is 61 minutes old; the limit is 60'],
      });
      expect(plan.actions).toEqual([]);
      expect(plan.summary.deprecate).toBe(3);
    });

    it('refuses inventory from the future', () => {
      const plan = planRetention({
        ...planInput({ images: fiveWeb() }),
        inventoryAt: new Date(NOW.getTime() + 3_600_000),
      });
      expect(plan.guard.status).toBe('tripped');
      expect(plan.guard.reasons[0]).toContain('in the future');
    });
  });

  it('diffs against the previous plan', () => {
    const images = fiveWeb();
    const first = planRetention(planInput({ images }));
    const next = planRetention(
      planInput({
        sweepId: 'sweep-2',
        previousPlan: first,
        images: [
          image({ family: 'web', version: '1.6.0', ageDays: 1 }),
          ...images.filter((i) => i.version !== '1.1.0'),
        ],
      }),
    );
    expect(next.previousSweepId).toBe('sweep-1');
    expect(next.diff).toEqual({
      added: [{ family: 'web', version: '1.6.0', from: null, to: 'keep' }],
      changed: [{ family: 'web', version: '1.4.0', from: 'keep', to: 'deprecate' }],
      removed: [{ family: 'web', version: '1.1.0', from: 'deprecate', to: null }],
      unchanged: 3,
    });
  });

  it('refuses an inventory that lists one image twice, naming it', () => {
    const a = image({ family: 'web', version: '1.0.0' });
    expect(() => planRetention(planInput({ images: [a, { ...a }] }))).toThrow(
      /images\[web@1\.0\.0\]: appears more than once/,
    );
  });
});
