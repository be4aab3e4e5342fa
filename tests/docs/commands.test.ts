import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT_CODES, parseAmictlArgs } from '@ami-lifecycle/cli';
import { REASON_CODES } from '@ami-lifecycle/core';

const ROOT = resolve(__dirname, '..', '..');
const DOCS = 'docs';

/** The words of one shell command line, as a POSIX shell splits them (quotes, backslashes); stops at | ; & > # . */
const shellWords = (line: string): string[] => {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word = (word ?? '') + line[++i];
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if ('|;&>#'.includes(c) && word === undefined) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
};

/** The amictl arguments of a command line (`amictl ...` or `npm run [-s] amictl -- ...`), or undefined. */
const amictlArgs = (line: string): string[] | undefined => {
  const words = shellWords(line.replace(/^\s*\$\s+/, ''));
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) words.shift();
  if (words[0] === 'amictl') return words.slice(1);
  const npm = words.join(' ').match(/^npm run (?:-s |--silent )?amictl(?: --)?(?: |$)/);
  return npm === null ? undefined : words.slice(words.indexOf('amictl') + (words.includes('--') ? 2 : 1));
};

/** The Markdown files whose fenced code blocks show amictl commands, relative to the root. */
const documents = (): { file: string; readme: boolean }[] => [
  ...readdirSync(join(ROOT, DOCS), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => ({ file: `${DOCS}/${f}`, readme: false })),
  { file: 'README.md', readme: true },
  ...readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'packages', d.name, 'README.md')))
    .map((d) => ({ file: `packages/${d.name}/README.md`, readme: true })),
];

/**
 * A README's code blocks also hold output and other tools' commands: only the lines that start with
 * `amictl ` or `npm run amictl -- ` are amictl commands there.
 */
const README_COMMAND = /^\s*(amictl |npm run amictl -- )/;

/** Every amictl command line of the fenced code blocks of the docs and the READMEs, with where it is. */
const documentedCommands = (): { where: string; args: string[] }[] =>
  documents().flatMap(({ file, readme }) => {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    const found: { where: string; args: string[] }[] = [];
    let fenced = false;
    lines.forEach((line, i) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return;
      }
      const args = fenced && (!readme || README_COMMAND.test(line)) ? amictlArgs(line) : undefined;
      if (args !== undefined) found.push({ where: `${file}:${i + 1}`, args });
    });
    return found;
  });

describe('amictl commands the docs show', () => {
  const commands = documentedCommands();

  it("are there to check (the runbook shows many), the READMEs' too", () => {
    expect(commands.filter((c) => c.where.startsWith('docs/runbook.md')).length).toBeGreaterThan(10);
    expect(commands.filter((c) => c.where.startsWith('packages/cli/README.md')).length).toBeGreaterThan(3);
  });

  it('each parse as amictl parses them: the command, its arguments and its options exist', () => {
    const refused = commands.flatMap(({ where, args }) => {
      try {
        parseAmictlArgs(args);
        return [];
      } catch (error) {
        return [`${where}: amictl ${args.join(' ')}: ${(error as Error).message}`];
      }
    });
    expect(refused).toEqual([]);
  });

  it('reads command lines as a shell does', () => {
    expect(
      amictlArgs(
        `amictl hold add --image golden-al2023@2026.03.01.1 --reason "LIT-42: keep" --owner legal@example.com`,
      ),
    ).toEqual([
      'hold',
      'add',
      '--image',
      'golden-al2023@2026.03.01.1',
      '--reason',
      'LIT-42: keep',
      '--owner',
      'legal@example.com',
    ]);
    expect(amictlArgs('npm run amictl -- events rejected --json > dead-letters.json')).toEqual([
      'events',
      'rejected',
      '--json',
    ]);
    expect(amictlArgs("AWS_PROFILE=ops amictl retention show --json | jq '.actions'")).toEqual([
      'retention',
      'show',
      '--json',
    ]);
    expect(amictlArgs('aws events put-events --entries file://entries.json')).toBeUndefined();
    expect(() => parseAmictlArgs(['retention', 'sweep'])).toThrow();
  });
});

describe('the runbook', () => {
  const runbook = readFileSync(join(ROOT, DOCS, 'runbook.md'), 'utf8');
  /** The first column of the table rows under a heading, as written (`` `held` ``). */
  const tableKeys = (heading: string): string[] => {
    const section = runbook.split(/^## /m).find((s) => s.startsWith(heading)) ?? '';
    return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
  };

  it('explains every reason code a retention plan can give, and no other', () => {
    expect(tableKeys('Reading a sweep plan').sort()).toEqual([...REASON_CODES].sort());
  });

  it('explains every exit code amictl --help lists, and no other', () => {
    const codes = [...EXIT_CODES.matchAll(/^ {2}(\d) {2}/gm)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(3);
    expect(tableKeys('Exit codes')).toEqual(codes);
  });
});
