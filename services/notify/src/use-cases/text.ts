import { type FindingsSummary, SEVERITIES } from '@ami-lifecycle/core';

/** Every subject starts so: a mail rule can file them. */
export const SUBJECT_PREFIX = '[ami-lifecycle]';

/** SNS refuses a Subject over 100 characters, or one with anything but printable ASCII. */
export const MAX_SUBJECT_LENGTH = 100;

/**
 * A Subject SNS takes: the prefix and `text`, every character outside printable ASCII replaced by `?`,
 * blanks collapsed, cut to 100 characters (ending in `...` when cut).
 */
export const subjectLine = (text: string): string => {
  const ascii = `${SUBJECT_PREFIX} ${text}`
    .replace(/[^\x20-\x7e]/g, (c) => (/\s/.test(c) ? ' ' : '?'))
    .replace(/ {2,}/g, ' ')
    .trim();
  return ascii.length <= MAX_SUBJECT_LENGTH
    ? ascii
    : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
};

/** `1 CRITICAL, 2 HIGH`: the severities with findings, worst first; `no findings` when there are none. */
export const nonZeroCounts = (counts: FindingsSummary, only?: readonly string[]): string => {
  const parts = SEVERITIES.filter((s) => counts[s] > 0 && (only === undefined || only.includes(s))).map(
    (s) => `${counts[s]} ${s}`,
  );
  return parts.length === 0 ? 'no findings' : parts.join(', ');
};

/** The per-severity table of a findings summary, one severity a line. */
export const countsTable = (counts: FindingsSummary, limits?: Partial<Record<string, number>>): string[] =>
  SEVERITIES.map((s) => {
    const limit = limits?.[s];
    const over = limit !== undefined && counts[s] > limit;
    const note = limit === undefined ? '' : `  (limit ${limit}${over ? ', over it' : ''})`;
    return `  ${s.padEnd(14)}${String(counts[s]).padStart(4)}${note}`;
  });

/** `Label:      value` lines, the values aligned. */
export const fields = (rows: readonly (readonly [string, string | undefined])[]): string[] => {
  const present = rows.filter((r): r is readonly [string, string] => r[1] !== undefined && r[1] !== '');
  const width = Math.max(0, ...present.map(([label]) => label.length + 1));
  return present.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}${value}`);
};

/** A titled block: the title, then its lines; nothing when there are none. */
export const section = (title: string, lines: readonly string[]): string[] =>
  lines.length === 0 ? [] : ['', `${title}:`, ...lines];

/** Bullet lines, at most `max`, with a last line saying how many more there are. */
export const bullets = (items: readonly string[], max = 20): string[] => {
  const shown = items.slice(0, max).map((i) => `  - ${i}`);
  if (items.length > max) shown.push(`  ... and ${items.length - max} more`);
  return shown;
};

/** The whole body: the lines joined, with a closing line saying why the reader gets it. */
export const body = (lines: readonly string[], because: string): string =>
  [
    ...lines,
    '',
    '--',
    because,
    'Sent by ami-lifecycle. Who is told what is set under notify in the policy.',
  ].join('\n');

/** `2 GiB`, `0.25 GiB`: at most two decimals, no trailing zeros. */
export const gib = (value: number): string => `${Number(value.toFixed(2))} GiB`;

/** `USD 1.25`. */
export const money = (amount: number, currency: string): string => `${currency} ${amount.toFixed(2)}`;
