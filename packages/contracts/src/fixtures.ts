import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Fixture files of one detail-type, as package-relative POSIX paths. Relative paths keep this
 * module free of `__dirname` at load time, so it bundles into Lambdas in any module format.
 */
export interface EventFixtures {
  readonly directory: string;
  readonly valid: readonly string[];
  readonly invalid: readonly string[];
}

/** Declares the fixtures of a detail-type; the contract test checks the list against the disk. */
export function eventFixtures(
  directory: string,
  files: { valid: readonly string[]; invalid: readonly string[] },
): EventFixtures {
  const root = `tests/events/${directory}`;
  return {
    directory: root,
    valid: files.valid.map((file) => `${root}/${file}`),
    invalid: files.invalid.map((file) => `${root}/${file}`),
  };
}

/** Absolute path of a package-relative fixture path, for tests in any workspace. */
export function fixturePath(relativePath: string): string {
  return resolve(__dirname, '..', relativePath);
}

/** Reads and JSON-parses a fixture; the result is deliberately `unknown` until a contract parses it. */
export function readFixture(relativePath: string): unknown {
  return JSON.parse(readFileSync(fixturePath(relativePath), 'utf8'));
}
