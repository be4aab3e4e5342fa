import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  expiredWaivers,
  MAX_FAMILY_CONFIG_BYTES,
  MAX_POLICY_BYTES,
  parsePolicy,
  ValidationError,
} from '@ami-lifecycle/core';

const EXAMPLE = readFileSync(join(__dirname, '../../../examples/ami-lifecycle.yaml'), 'utf8');

/** The issues `parsePolicy` refuses `text` with (it must refuse it). */
const issuesOf = (text: string) => {
  try {
    parsePolicy(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  throw new Error('the policy was accepted');
};

/** The example with one more family, `name`, a copy of golden-ubuntu. */
const withFamily = (name: string): string => {
  const start = EXAMPLE.indexOf('  golden-ubuntu:');
  const end = EXAMPLE.indexOf('  payments-api:');
  return `${EXAMPLE.trimEnd()}\n${EXAMPLE.slice(start, end).replace('  golden-ubuntu:', `  ${name}:`).trimEnd()}\n`;
};

describe('parsePolicy refuses what it cannot store faithfully', () => {
  it('refuses a family named __proto__, naming it, instead of losing it', () => {
    // Act
    const issues = issuesOf(withFamily('__proto__'));

    // Assert
    expect(issues).toEqual([
      {
        path: 'families.__proto__',
        message: expect.stringMatching(/^"__proto__" is a reserved name and cannot be a key \(line \d+/),
      },
    ]);
  });

  it('names the family listed twice, and any other key given twice', () => {
    // Act
    const family = issuesOf(withFamily('golden-ubuntu'));
    const key = issuesOf(
      EXAMPLE.replace('      keepLatest: 3\n', '      keepLatest: 3\n      keepLatest: 4\n'),
    );

    // Assert
    expect(family).toEqual([
      {
        path: 'families.golden-ubuntu',
        message: expect.stringMatching(
          /^family "golden-ubuntu" is listed twice \(line \d+, column \d+\); each may appear once$/,
        ),
      },
    ]);
    expect(key).toEqual([
      {
        path: 'families.golden-ubuntu.retention.keepLatest',
        message: expect.stringMatching(/^key "keepLatest" appears twice \(line \d+/),
      },
    ]);
  });

  it('refuses a file over 1 MiB before parsing it, naming the limit', () => {
    // Act
    const issues = issuesOf(`${EXAMPLE}\n# ${'x'.repeat(MAX_POLICY_BYTES)}\n`);

    // Assert
    expect(issues).toEqual([
      { path: '', message: expect.stringContaining(`at most ${MAX_POLICY_BYTES} bytes (1 MiB)`) },
    ]);
  });

  it('refuses, when judged against now, a waiver that expires more than waivers.maxDays later', () => {
    // Arrange: the example allows 365 days; its golden-al2023 waiver expires 2026-12-31.
    const forever = EXAMPLE.replace('expiresAt: "2026-12-31T23:59:59Z"', 'expiresAt: "2999-01-01T00:00:00Z"');

    // Act
    const issues = (() => {
      try {
        parsePolicy(forever, 'test.yaml', { now: new Date('2026-03-01T00:00:00Z') });
      } catch (err) {
        return (err as ValidationError).issues;
      }
      return [];
    })();

    // Assert: refused then, accepted without a clock (a stored config is not judged again), and the
    // default of 180 days refuses the example's own waiver judged from a year before it ends.
    expect(issues).toEqual([
      {
        path: 'families.golden-al2023.inspect.gate.waivers.0.expiresAt',
        message: expect.stringMatching(/^expires more than 365 days from now \(2026-03-01\); .* \(line \d+/),
      },
    ]);
    expect(() => parsePolicy(forever, 'test.yaml')).not.toThrow();
    const defaults = EXAMPLE.replace('waivers:\n  maxDays: 365\n', '');
    expect(() => parsePolicy(defaults, 'test.yaml', { now: new Date('2026-01-01T00:00:00Z') })).toThrow(
      'expires more than 180 days from now',
    );
    expect(() => parsePolicy(EXAMPLE, 'test.yaml', { now: new Date('2026-03-01T00:00:00Z') })).not.toThrow();
  });

  it('lists the waivers that have already expired', () => {
    // Act
    const expired = expiredWaivers(parsePolicy(EXAMPLE, 'test.yaml'), new Date('2026-07-01T00:00:00Z'));

    // Assert: payments-api's waiver ended on 2026-06-30; golden-al2023's runs to the end of the year.
    expect(expired).toEqual([
      { family: 'payments-api', id: 'CVE-2025-21587', expiresAt: '2026-06-30T00:00:00Z' },
    ]);
  });

  it('judges what could not be stored by the check it is given, at the paths it names, in place of the JSON bound', () => {
    // Arrange: a family of ~370 KB of JSON, over the default bound; the store's own check takes it, and
    // finds the organisation too large instead.
    const command = `            - echo ${'x'.repeat(190)}\n`;
    const big = EXAMPLE.replace(
      '            - systemctl enable auditd\n',
      `            - systemctl enable auditd\n${command.repeat(1850)}`,
    );
    const judged: string[] = [];
    const storable = (policy: { families: Record<string, unknown> }) => {
      judged.push(...Object.keys(policy.families));
      return [
        { path: ['accounts', 'workloads'], message: 'would be too large to store' },
        { path: ['families', 'payments-api'], message: 'would be too large as well' },
      ];
    };

    // Act
    let refused: unknown;
    try {
      parsePolicy(big, 'test.yaml', { storable });
    } catch (error) {
      refused = error;
    }

    // Assert: the issues are the check's, in file order, each with its line.
    const workloadsLine = EXAMPLE.split('\n').findIndex((line) => line === '  workloads:') + 1;
    expect(workloadsLine).toBeGreaterThan(0);
    expect(judged).toEqual(['golden-al2023', 'golden-ubuntu', 'payments-api', 'orders-worker']);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues).toEqual([
      {
        path: 'accounts.workloads',
        message: `would be too large to store (line ${workloadsLine}, column 3)`,
      },
      {
        path: 'families.payments-api',
        message: expect.stringMatching(/^would be too large as well \(line \d+, column 3\)$/),
      },
    ]);
    expect(() => parsePolicy(big, 'test.yaml', { storable: () => [] })).not.toThrow();
  });

  it('refuses a family too large to store, naming it and the limit, so that apply never stores half a policy', () => {
    // Arrange: golden-ubuntu's hardening component grows to ~400 KB of commands.
    const command = `            - echo ${'x'.repeat(190)}\n`;
    const huge = EXAMPLE.replace(
      '            - systemctl enable auditd\n',
      `            - systemctl enable auditd\n${command.repeat(2000)}`,
    );

    // Act
    const issues = issuesOf(huge);

    // Assert
    expect(issues).toEqual([
      {
        path: 'families.golden-ubuntu',
        message: expect.stringMatching(
          new RegExp(
            `^is \\d+ bytes once stored; a family's config may be at most ${MAX_FAMILY_CONFIG_BYTES} bytes`,
          ),
        ),
      },
    ]);
  });
});
