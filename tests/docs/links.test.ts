import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** What is not the repository's own text: dependencies, build output, caches, git. */
const SKIPPED_DIRS = new Set([
  'node_modules',
  'dist',
  '.turbo',
  'coverage',
  '.serverless',
  '.esbuild',
  '.git',
]);
const SKIPPED_PATHS = new Set(['bench/results', 'package-lock.json']);
const TEXT_FILE = /\.(ts|js|cjs|mjs|json|ya?ml|md|sh|txt)$/;

/** Every text file of the repository, as a root-relative POSIX path. */
const repositoryFiles = (dir = ''): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (SKIPPED_PATHS.has(path)) return [];
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : repositoryFiles(path);
    // Files without an extension are scripts (`.ci/run`) when small enough to be text.
    const text =
      TEXT_FILE.test(entry.name) ||
      (!entry.name.includes('.') && statSync(join(ROOT, path)).size < 1_000_000);
    return entry.isFile() && text ? [path] : [];
  });

// This file is left out: its samples name files that do not exist, on purpose.
const SELF = relative(ROOT, __filename).split(sep).join('/');
const files = repositoryFiles().filter((f) => f !== SELF);
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const inside = (absolute: string) => absolute === ROOT || absolute.startsWith(ROOT + sep);

/** Markdown without its code (fenced blocks and inline spans): links there are text, not links. */
const withoutCode = (markdown: string): string =>
  markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`+[^`\n]*`+/g, '');

/** The targets of a markdown file's inline links, images and reference definitions. */
const markdownLinks = (markdown: string): string[] => {
  const text = withoutCode(markdown);
  return [
    ...[...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!),
  ];
};

/** A relative link's file, or undefined for a URL or an anchor in the same page. */
const linkedFile = (from: string, target: string): string | undefined => {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) return undefined;
  const path = decodeURI(target.replace(/[#?].*$/, ''));
  return path.startsWith('/') ? join(ROOT, path) : resolve(ROOT, dirname(from), path);
};

/** Relative paths written anywhere in a text (`../x/y`), resolved from the file they are in. */
const relativePaths = (from: string, text: string): { written: string; absolute: string }[] =>
  [...text.matchAll(/(?<![\w.])(?:\.\.\/)+[^\s'"`)\]<>,;]*/g)].map((m) => ({
    written: m[0],
    absolute: resolve(ROOT, dirname(from), m[0]),
  }));

const markdownFiles = files.filter((f) => f.endsWith('.md'));
const basenames = new Set(files.map((f) => basename(f)));

describe('links and citations', () => {
  it('finds the repository text it checks', () => {
    expect(markdownFiles).toEqual(expect.arrayContaining(['README.md', 'docs/design.md', 'docs/README.md']));
    expect(files.length).toBeGreaterThan(100);
  });

  it('every relative link of a markdown file resolves to a file of the repository', () => {
    const broken = markdownFiles.flatMap((file) =>
      markdownLinks(read(file)).flatMap((target) => {
        const path = linkedFile(file, target);
        if (path === undefined) return [];
        if (!inside(path)) return [`${file}: ${target} leads outside the repository`];
        return existsSync(path) ? [] : [`${file}: ${target} does not exist`];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('no file cites a path outside the repository', () => {
    const outside = files.flatMap((file) => {
      const text = read(file);
      return [
        ...relativePaths(file, text)
          .filter((p) => !inside(p.absolute))
          .map((p) => `${file}: ${p.written} leads outside the repository`),
        ...(text.includes(ROOT) ? [`${file}: names this checkout's absolute path ${ROOT}`] : []),
      ];
    });
    expect(outside).toEqual([]);
  });

  it('every markdown document a file names is in the repository, none of another project', () => {
    const missing = files.flatMap((file) => {
      const text = read(file).replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '');
      return [...text.matchAll(/(?<![\w/.-])[\w./-]*?[\w-]+\.md\b/g)]
        .map((m) => m[0])
        .filter((named) => {
          const path = named.replace(/^\.\//, '');
          const found =
            existsSync(resolve(ROOT, dirname(file), path)) ||
            existsSync(join(ROOT, path)) ||
            (!path.includes('/') && basenames.has(path));
          return !found;
        })
        .map((named) => `${file}: names ${named}, which is not in the repository`);
    });
    expect(missing).toEqual([]);
  });

  it('reads links as markdown does: code is not a link, anchors and URLs are not files', () => {
    const sample = [
      '[a](docs/a.md) ![b](./img/b.png "title") [c](#anchor) [d](https://example.com/x.md)',
      '`[e](not/a/link.md)`',
      '```md',
      '[f](in/a/block.md)',
      '```',
      '[g]: ../g.md',
    ].join('\n');
    expect(markdownLinks(sample)).toEqual([
      'docs/a.md',
      './img/b.png',
      '#anchor',
      'https://example.com/x.md',
      '../g.md',
    ]);
    expect(linkedFile('docs/x.md', '#anchor')).toBeUndefined();
    expect(linkedFile('docs/x.md', 'https://example.com')).toBeUndefined();
    expect(relative(ROOT, linkedFile('docs/x.md', '../README.md#two-commands')!)).toBe('README.md');
    expect(inside(resolve(ROOT, 'docs', '../../outside.md'))).toBe(false);
  });
});
