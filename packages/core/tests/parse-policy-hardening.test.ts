import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_POLICY_BYTES, parsePolicy, ValidationError } from '@ami-lifecycle/core';

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
});
