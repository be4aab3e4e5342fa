import {
  evaluateGate,
  fixedClock,
  type Gate,
  type GateFinding,
  type GateInput,
  gateSchema,
  SEVERITIES,
  summarizeFindings,
  type Waiver,
} from '@ami-lifecycle/core';
import fc from 'fast-check';

/** Inspection runs on an injected clock; waivers below expire before or after it. */
const clock = fixedClock('2026-03-01T12:00:00.000Z');
const NOW = clock.now();
const NEXT_MONTH = '2026-04-01T00:00:00.000Z';
const LAST_MONTH = '2026-02-01T00:00:00.000Z';

/** A gate as the policy file would give it, defaults applied by the schema (CRITICAL 0, HIGH 0). */
const gate = (input: GateInput = {}): Gate => gateSchema.parse(input);

const waiver = (id: string, expiresAt: string): Waiver => ({
  id,
  reason: 'vendor fix not yet released',
  approvedBy: 'secops@example.com',
  expiresAt,
});

let findingCounter = 0;
const finding = (over: Partial<GateFinding> & Pick<GateFinding, 'severity'>): GateFinding => ({
  id: `arn:aws:inspector2:eu-west-1:111122223333:finding/f-${++findingCounter}`,
  fixAvailable: true,
  ...over,
});

const zeroCounts = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 };

describe('evaluateGate', () => {
  it('passes an image with no findings and no tests', () => {
    // Act
    const result = evaluateGate({ findings: [], gate: gate(), now: NOW });

    // Assert
    expect(result).toEqual({
      verdict: 'pass',
      reasons: ['all findings within the limits and all tests passed'],
      counted: zeroCounts,
      waived: [],
      expiredWaivers: [],
    });
  });

  it('fails an image with more CRITICAL findings than the limit, saying how many and the limit', () => {
    // Arrange
    const findings = [finding({ severity: 'CRITICAL', cve: 'CVE-2026-0001' })];

    // Act
    const result = evaluateGate({ findings, gate: gate(), now: NOW });

    // Assert
    expect(result.verdict).toBe('fail');
    expect(result.reasons).toEqual(['1 CRITICAL findings exceed the limit of 0']);
    expect(result.counted).toEqual({ ...zeroCounts, CRITICAL: 1 });
  });

  it('passes an image with exactly as many findings as the limit allows', () => {
    // Arrange
    const findings = [finding({ severity: 'HIGH' }), finding({ severity: 'HIGH' })];

    // Act
    const result = evaluateGate({
      findings,
      gate: gate({ maxFindings: { CRITICAL: 0, HIGH: 2 } }),
      now: NOW,
    });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.counted.HIGH).toBe(2);
  });

  it('ignores unfixable findings when the gate counts only fixable ones', () => {
    // Arrange
    const findings = [finding({ severity: 'CRITICAL', fixAvailable: false })];

    // Act
    const onlyFixable = evaluateGate({ findings, gate: gate({ fixAvailableOnly: true }), now: NOW });
    const all = evaluateGate({ findings, gate: gate({ fixAvailableOnly: false }), now: NOW });

    // Assert
    expect(onlyFixable.verdict).toBe('pass');
    expect(onlyFixable.counted.CRITICAL).toBe(0);
    expect(all.verdict).toBe('fail');
  });

  it('still counts fixable findings when the gate counts only fixable ones', () => {
    // Arrange
    const findings = [
      finding({ severity: 'CRITICAL', fixAvailable: false }),
      finding({ severity: 'CRITICAL', fixAvailable: true }),
    ];

    // Act
    const result = evaluateGate({ findings, gate: gate({ fixAvailableOnly: true }), now: NOW });

    // Assert
    expect(result.verdict).toBe('fail');
    expect(result.reasons).toEqual(['1 CRITICAL findings exceed the limit of 0']);
  });

  it('passes a finding under a waiver that expires in the future, and lists it as waived', () => {
    // Arrange
    const f = finding({ severity: 'CRITICAL', cve: 'CVE-2026-0001' });
    const g = gate({ waivers: [waiver('CVE-2026-0001', NEXT_MONTH)] });

    // Act
    const result = evaluateGate({ findings: [f], gate: g, now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.waived).toEqual([f.id]);
    expect(result.expiredWaivers).toEqual([]);
    expect(result.counted.CRITICAL).toBe(0);
  });

  it('does not let an expired waiver excuse a finding, and lists the expired waiver', () => {
    // Arrange
    const f = finding({ severity: 'CRITICAL', cve: 'CVE-2026-0001' });
    const g = gate({ waivers: [waiver('CVE-2026-0001', LAST_MONTH)] });

    // Act
    const result = evaluateGate({ findings: [f], gate: g, now: NOW });

    // Assert
    expect(result.verdict).toBe('fail');
    expect(result.waived).toEqual([]);
    expect(result.expiredWaivers).toEqual(['CVE-2026-0001']);
    expect(result.reasons).toEqual([
      '1 CRITICAL findings exceed the limit of 0',
      'waiver for CVE-2026-0001 has expired and excuses nothing',
    ]);
  });

  it('treats a waiver as expired from the very instant it expires', () => {
    // Arrange
    const f = finding({ severity: 'HIGH', cve: 'CVE-2026-0002' });
    const g = gate({ waivers: [waiver('CVE-2026-0002', NOW.toISOString())] });

    // Act
    const atExpiry = evaluateGate({ findings: [f], gate: g, now: NOW });
    const justBefore = evaluateGate({ findings: [f], gate: g, now: new Date(NOW.getTime() - 1) });

    // Assert
    expect(atExpiry.verdict).toBe('fail');
    expect(justBefore.verdict).toBe('pass');
  });

  it('judges the same waiver by the injected now, not by the real clock', () => {
    // Arrange
    const f = finding({ severity: 'CRITICAL', cve: 'CVE-2026-0003' });
    const g = gate({ waivers: [waiver('CVE-2026-0003', NEXT_MONTH)] });
    const later = fixedClock(NOW);
    later.advance(60 * 86_400_000);

    // Act
    const today = evaluateGate({ findings: [f], gate: g, now: clock.now() });
    const inTwoMonths = evaluateGate({ findings: [f], gate: g, now: later.now() });

    // Assert
    expect([today.verdict, inTwoMonths.verdict]).toEqual(['pass', 'fail']);
  });

  it('matches a waiver by the finding CVE', () => {
    // Arrange
    const waivedCve = finding({ severity: 'HIGH', cve: 'CVE-2026-1111' });
    const otherCve = finding({ severity: 'HIGH', cve: 'CVE-2026-2222' });
    const g = gate({ waivers: [waiver('CVE-2026-1111', NEXT_MONTH)] });

    // Act
    const result = evaluateGate({ findings: [waivedCve, otherCve], gate: g, now: NOW });

    // Assert
    expect(result.waived).toEqual([waivedCve.id]);
    expect(result.counted.HIGH).toBe(1);
    expect(result.verdict).toBe('fail');
  });

  it('matches a waiver by the finding id when the finding has no CVE', () => {
    // Arrange
    const f = finding({ severity: 'CRITICAL', id: 'arn:aws:inspector2:eu-west-1:111122223333:finding/abc' });
    const g = gate({ waivers: [waiver(f.id, NEXT_MONTH)] });

    // Act
    const result = evaluateGate({ findings: [f], gate: g, now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.waived).toEqual([f.id]);
  });

  it('matches a waiver by the finding id even when the finding also has a CVE', () => {
    // Arrange
    const f = finding({ severity: 'CRITICAL', cve: 'CVE-2026-3333' });
    const g = gate({ waivers: [waiver(f.id, NEXT_MONTH)] });

    // Act
    const result = evaluateGate({ findings: [f], gate: g, now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.waived).toEqual([f.id]);
  });

  // Exposes a defect in gate.ts: the CVE waiver is looked up first and, when it has expired, the
  // finding is counted even though a waiver for its own id is still valid at now.
  it('excuses a finding under a valid waiver for its id even when the waiver for its CVE has expired', () => {
    // Arrange
    const f = finding({ severity: 'CRITICAL', cve: 'CVE-2026-8888' });
    const g = gate({ waivers: [waiver('CVE-2026-8888', LAST_MONTH), waiver(f.id, NEXT_MONTH)] });

    // Act
    const result = evaluateGate({ findings: [f], gate: g, now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.waived).toEqual([f.id]);
  });

  it('excuses a finding under a valid waiver for its CVE even when the waiver for its id has expired', () => {
    // Arrange
    const f = finding({ severity: 'CRITICAL', cve: 'CVE-2026-9999' });
    const g = gate({ waivers: [waiver('CVE-2026-9999', NEXT_MONTH), waiver(f.id, LAST_MONTH)] });

    // Act
    const result = evaluateGate({ findings: [f], gate: g, now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.waived).toEqual([f.id]);
  });

  it('lets one CVE waiver excuse every finding of that CVE', () => {
    // Arrange
    const findings = [
      finding({ severity: 'CRITICAL', cve: 'CVE-2026-4444' }),
      finding({ severity: 'HIGH', cve: 'CVE-2026-4444' }),
    ];
    const g = gate({ waivers: [waiver('CVE-2026-4444', NEXT_MONTH)] });

    // Act
    const result = evaluateGate({ findings, gate: g, now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.waived).toEqual(findings.map((f) => f.id));
  });

  it.each(['SUPPRESSED', 'CLOSED'] as const)('ignores %s findings', (status) => {
    // Arrange
    const findings = [finding({ severity: 'CRITICAL', status })];

    // Act
    const result = evaluateGate({ findings, gate: gate(), now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.counted).toEqual(zeroCounts);
  });

  it('counts findings marked ACTIVE and findings with no status alike', () => {
    // Arrange
    const findings = [finding({ severity: 'HIGH', status: 'ACTIVE' }), finding({ severity: 'HIGH' })];

    // Act
    const result = evaluateGate({ findings, gate: gate(), now: NOW });

    // Assert
    expect(result.counted.HIGH).toBe(2);
    expect(result.verdict).toBe('fail');
  });

  it('fails on a failing test even when every finding is within the limits', () => {
    // Act
    const result = evaluateGate({
      findings: [],
      gate: gate(),
      tests: [
        { name: 'smoke', passed: true },
        { name: 'integration', passed: false, detail: 'port 443 closed' },
      ],
      now: NOW,
    });

    // Assert
    expect(result.verdict).toBe('fail');
    expect(result.reasons).toEqual(['test "integration" failed: port 443 closed']);
  });

  it('lists every failure, not just the first', () => {
    // Arrange
    const findings = [
      finding({ severity: 'CRITICAL' }),
      finding({ severity: 'CRITICAL' }),
      finding({ severity: 'HIGH' }),
      finding({ severity: 'HIGH', cve: 'CVE-2026-5555' }),
    ];
    const g = gate({ waivers: [waiver('CVE-2026-5555', LAST_MONTH)] });
    const tests = [
      { name: 'smoke', passed: false },
      { name: 'performance', passed: true },
      { name: 'integration', passed: false, detail: 'timeout after 300 s' },
    ];

    // Act
    const result = evaluateGate({ findings, gate: g, tests, now: NOW });

    // Assert
    expect(result.verdict).toBe('fail');
    expect(result.reasons).toEqual([
      '2 CRITICAL findings exceed the limit of 0',
      '2 HIGH findings exceed the limit of 0',
      'test "smoke" failed',
      'test "integration" failed: timeout after 300 s',
      'waiver for CVE-2026-5555 has expired and excuses nothing',
    ]);
  });

  it('treats severities without a limit as unlimited', () => {
    // Arrange: the default gate limits only CRITICAL and HIGH
    const findings = [
      ...Array.from({ length: 50 }, () => finding({ severity: 'MEDIUM' })),
      ...Array.from({ length: 20 }, () => finding({ severity: 'LOW' })),
      finding({ severity: 'INFORMATIONAL' }),
      finding({ severity: 'UNTRIAGED' }),
    ];

    // Act
    const result = evaluateGate({ findings, gate: gate(), now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.counted).toEqual({ ...zeroCounts, MEDIUM: 50, LOW: 20, INFORMATIONAL: 1, UNTRIAGED: 1 });
  });

  it('leaves CRITICAL unlimited when a gate lists limits without it', () => {
    // Arrange
    const g = gate({ maxFindings: { MEDIUM: 3 } });
    const findings = [
      finding({ severity: 'CRITICAL' }),
      ...Array.from({ length: 4 }, () => finding({ severity: 'MEDIUM' })),
    ];

    // Act
    const result = evaluateGate({ findings, gate: g, now: NOW });

    // Assert
    expect(result.reasons).toEqual(['4 MEDIUM findings exceed the limit of 3']);
  });

  it('passes with an expired waiver on a finding whose severity is unlimited, noting the expiry', () => {
    // Arrange
    const g = gate({ waivers: [waiver('CVE-2026-6666', LAST_MONTH)] });
    const findings = [finding({ severity: 'LOW', cve: 'CVE-2026-6666' })];

    // Act
    const result = evaluateGate({ findings, gate: g, now: NOW });

    // Assert
    expect(result.verdict).toBe('pass');
    expect(result.expiredWaivers).toEqual(['CVE-2026-6666']);
    expect(result.reasons).toEqual([
      'all findings within the limits and all tests passed',
      'waiver for CVE-2026-6666 has expired and excuses nothing',
    ]);
  });

  it('lists an expired waiver once, however many findings it matched', () => {
    // Arrange
    const g = gate({ waivers: [waiver('CVE-2026-7777', LAST_MONTH)] });
    const findings = [
      finding({ severity: 'MEDIUM', cve: 'CVE-2026-7777' }),
      finding({ severity: 'LOW', cve: 'CVE-2026-7777' }),
    ];

    // Act
    const result = evaluateGate({ findings, gate: g, now: NOW });

    // Assert
    expect(result.expiredWaivers).toEqual(['CVE-2026-7777']);
  });
});

describe('evaluateGate properties', () => {
  const findingArb = fc.record({
    id: fc.constantFrom('f-1', 'f-2', 'f-3', 'f-4', 'f-5'),
    cve: fc.option(fc.constantFrom('CVE-1', 'CVE-2', 'CVE-3'), { nil: undefined }),
    severity: fc.constantFrom(...SEVERITIES),
    fixAvailable: fc.boolean(),
    status: fc.constantFrom('ACTIVE', 'SUPPRESSED', 'CLOSED', undefined),
  }) as fc.Arbitrary<GateFinding>;
  const gateArb = fc
    .record({
      maxFindings: fc.record(
        Object.fromEntries(SEVERITIES.map((s) => [s, fc.option(fc.nat({ max: 3 }), { nil: undefined })])),
      ),
      fixAvailableOnly: fc.boolean(),
      waivers: fc.uniqueArray(
        fc.record({
          id: fc.constantFrom('f-1', 'f-2', 'CVE-1', 'CVE-2'),
          daysFromNow: fc.integer({ min: -30, max: 30 }),
        }),
        { selector: (w) => w.id, maxLength: 4 },
      ),
    })
    .map(({ waivers, ...rest }) =>
      gate({
        ...rest,
        waivers: waivers.map((w) =>
          waiver(w.id, new Date(NOW.getTime() + w.daysFromNow * 86_400_000 + 1).toISOString()),
        ),
      }),
    );
  const testsArb = fc.array(
    fc.record({ name: fc.constantFrom('smoke', 'integration'), passed: fc.boolean() }),
    {
      maxLength: 3,
    },
  );

  it('fails exactly when a counted severity is over its limit or a test failed', () => {
    fc.assert(
      fc.property(fc.array(findingArb, { maxLength: 12 }), gateArb, testsArb, (findings, g, tests) => {
        // Act
        const result = evaluateGate({ findings, gate: g, tests, now: NOW });

        // Assert
        const overLimit = SEVERITIES.some((s) => {
          const max = g.maxFindings[s];
          return max !== undefined && result.counted[s] > max;
        });
        const failedTest = tests.some((t) => !t.passed);
        return (result.verdict === 'fail') === (overLimit || failedTest);
      }),
      { numRuns: 2_000 },
    );
  });

  it('counts exactly the active, countable findings that no waiver valid at now excuses', () => {
    fc.assert(
      fc.property(fc.array(findingArb, { maxLength: 12 }), gateArb, (findings, g) => {
        // Arrange: an oracle written from the doc comment of evaluateGate, not from its code. It also
        // finds the id-waiver-shadowed-by-expired-CVE-waiver defect above.
        const validWaiver = new Set(
          g.waivers.filter((w) => Date.parse(w.expiresAt) > NOW.getTime()).map((w) => w.id),
        );
        const considered = findings.filter(
          (f) => (f.status ?? 'ACTIVE') === 'ACTIVE' && (!g.fixAvailableOnly || f.fixAvailable),
        );
        const excused = (f: GateFinding) =>
          validWaiver.has(f.id) || (f.cve !== undefined && validWaiver.has(f.cve));

        // Act
        const result = evaluateGate({ findings, gate: g, now: NOW });

        // Assert
        expect(result.counted).toEqual(summarizeFindings(considered.filter((f) => !excused(f))));
        expect(result.waived).toEqual(considered.filter(excused).map((f) => f.id));
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('summarizeFindings', () => {
  it('counts every severity, with zero for those not present', () => {
    // Arrange
    const findings = [
      { severity: 'CRITICAL' as const },
      { severity: 'HIGH' as const },
      { severity: 'HIGH' as const },
      { severity: 'LOW' as const },
    ];

    // Act
    const summary = summarizeFindings(findings);

    // Assert
    expect(summary).toEqual({ ...zeroCounts, CRITICAL: 1, HIGH: 2, LOW: 1 });
  });

  it('gives all zeros for no findings', () => {
    expect(summarizeFindings([])).toEqual(zeroCounts);
  });

  it('counts findings whatever their status, since it summarises what the scanner reported', () => {
    // Arrange
    const findings = [finding({ severity: 'MEDIUM', status: 'SUPPRESSED' }), finding({ severity: 'MEDIUM' })];

    // Act
    const summary = summarizeFindings(findings);

    // Assert
    expect(summary.MEDIUM).toBe(2);
  });
});
