import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AmictlCommand, CliUsageError, parseAmictlArgs, parseDuration } from '../src';

const helpOf = (argv: string[]): string => {
  const parsed = parseAmictlArgs(argv);
  if (parsed.command !== 'help') throw new Error(`expected help, got ${parsed.command}`);
  return parsed.text;
};

describe('amictl arguments', () => {
  it('reads the policy and build commands with their flags', () => {
    expect(parseAmictlArgs(['config', 'validate', 'p.yaml'])).toEqual({
      command: 'config-validate',
      file: 'p.yaml',
      json: false,
    });
    expect(parseAmictlArgs(['config', 'validate', 'p.yaml', '--json'])).toEqual({
      command: 'config-validate',
      file: 'p.yaml',
      json: true,
    });
    expect(parseAmictlArgs(['config', 'diff', 'p.yaml'])).toEqual({
      command: 'config-diff',
      file: 'p.yaml',
      json: false,
    });
    expect(parseAmictlArgs(['config', 'diff', 'p.yaml', '--json'])).toEqual({
      command: 'config-diff',
      file: 'p.yaml',
      json: true,
    });
    expect(parseAmictlArgs(['config', 'apply', 'p.yaml', '--by', 'alice'])).toEqual({
      command: 'config-apply',
      file: 'p.yaml',
      by: 'alice',
    });
    expect(parseAmictlArgs(['build', 'golden-al2023', '--force', '--reason', 'stale-base'])).toEqual({
      command: 'build',
      family: 'golden-al2023',
      force: true,
      reason: 'stale-base',
      by: undefined,
      key: undefined,
      json: false,
      wait: undefined,
    });
    expect(parseAmictlArgs(['build', 'golden-al2023', '--key', 'k-1'])).toMatchObject({
      force: false,
      reason: 'manual',
      key: 'k-1',
    });
  });

  it('reads build --wait with its timeout (60m unless --timeout says), and --json', () => {
    expect(parseAmictlArgs(['build', 'golden-al2023', '--wait'])).toMatchObject({
      json: false,
      wait: { timeout: '60m', timeoutSeconds: 3600 },
    });
    expect(
      parseAmictlArgs(['build', 'golden-al2023', '--wait', '--timeout', '1h30m', '--json']),
    ).toMatchObject({
      json: true,
      wait: { timeout: '1h30m', timeoutSeconds: 5400 },
    });
    expect(parseAmictlArgs(['build', 'golden-al2023', '--json'])).toMatchObject({
      json: true,
      wait: undefined,
    });
  });

  it.each([
    ['90s', 90],
    ['45m', 2700],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1h0m30s', 3630],
    [' 5m ', 300],
  ])('reads the duration %j as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '0m', '60', 'm', '1.5h', '-5m', '5 m', '30m1h', 'forever'])(
    'refuses the duration %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('reads lineage and report, --json being lineage --format json', () => {
    expect(parseAmictlArgs(['lineage'])).toEqual({ command: 'lineage', family: undefined, format: 'tree' });
    expect(parseAmictlArgs(['lineage', 'golden-al2023', '--format', 'mermaid'])).toEqual({
      command: 'lineage',
      family: 'golden-al2023',
      format: 'mermaid',
    });
    expect(parseAmictlArgs(['lineage', '--format', 'dot'])).toEqual({
      command: 'lineage',
      family: undefined,
      format: 'dot',
    });
    expect(parseAmictlArgs(['lineage', '--json'])).toEqual({
      command: 'lineage',
      family: undefined,
      format: 'json',
    });
    expect(parseAmictlArgs(['lineage', 'payments-api', '--format', 'json', '--json'])).toEqual({
      command: 'lineage',
      family: 'payments-api',
      format: 'json',
    });
    expect(parseAmictlArgs(['report'])).toEqual({ command: 'report', html: undefined, json: false });
    expect(parseAmictlArgs(['report', '--html', 'estate.html', '--json'])).toEqual({
      command: 'report',
      html: 'estate.html',
      json: true,
    });
  });

  it("answers amictl's version for --version and -V, from packages/cli/package.json", () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(parseAmictlArgs(['--version'])).toEqual({ command: 'version', text: `amictl ${version}` });
    expect(parseAmictlArgs(['-V'])).toEqual({ command: 'version', text: `amictl ${version}` });
    expect(helpOf(['--help'])).toMatch(/\n {2}-V, --version +print amictl's version\n/);
  });

  it.each<[string[], AmictlCommand]>([
    [
      ['images', 'list', '--family', 'golden-al2023', '--state', 'published', '--json'],
      { command: 'images-list', family: 'golden-al2023', state: 'published', json: true },
    ],
    [['images', 'list'], { command: 'images-list', family: undefined, state: undefined, json: false }],
    [
      ['image', 'show', 'golden-al2023', '1.2.0', '--json'],
      { command: 'image-show', family: 'golden-al2023', version: '1.2.0', json: true },
    ],
    [
      ['approve', 'golden-al2023', '1.2.0', '--reason', 'looks good', '--by', 'bob'],
      { command: 'approve', family: 'golden-al2023', version: '1.2.0', reason: 'looks good', by: 'bob' },
    ],
    [
      ['reject', 'golden-al2023', '1.2.0', '--reason', 'no'],
      { command: 'reject', family: 'golden-al2023', version: '1.2.0', reason: 'no', by: undefined },
    ],
    [['channel', 'show', 'golden-al2023'], { command: 'channel-show', family: 'golden-al2023', json: false }],
    [
      ['channel', 'rollback', 'golden-al2023', 'stable', '--to', '1.0.0', '--reason', 'bad release'],
      {
        command: 'channel-rollback',
        family: 'golden-al2023',
        channel: 'stable',
        to: '1.0.0',
        reason: 'bad release',
        by: undefined,
      },
    ],
    [['retention', 'plan'], { command: 'retention-plan', family: undefined, json: false }],
    [
      ['retention', 'plan', '--family', 'golden-al2023', '--json'],
      { command: 'retention-plan', family: 'golden-al2023', json: true },
    ],
    [['retention', 'apply'], { command: 'retention-apply', yes: false, dryRun: false }],
    [['retention', 'apply', '--yes', '--dry-run'], { command: 'retention-apply', yes: true, dryRun: true }],
    [['retention', 'show'], { command: 'retention-show', sweepId: undefined, json: false }],
    [
      ['retention', 'show', 'sweep-2026-03-01', '--json'],
      { command: 'retention-show', sweepId: 'sweep-2026-03-01', json: true },
    ],
    [['refresh', 'plan'], { command: 'refresh-plan', json: false }],
    [['refresh', 'plan', '--json'], { command: 'refresh-plan', json: true }],
    [
      ['refresh', 'history', 'golden-al2023'],
      { command: 'refresh-history', family: 'golden-al2023', json: false, limit: 20 },
    ],
    [
      ['refresh', 'history', 'golden-al2023', '--limit', '5', '--json'],
      { command: 'refresh-history', family: 'golden-al2023', json: true, limit: 5 },
    ],
    [
      ['hold', 'add', '--image', 'golden-al2023@1.2.0', '--reason', 'litigation', '--owner', 'legal'],
      {
        command: 'hold-add',
        target: { kind: 'image', family: 'golden-al2023', version: '1.2.0' },
        reason: 'litigation',
        owner: 'legal',
        ticket: undefined,
        expires: undefined,
      },
    ],
    [
      [
        'hold',
        'add',
        '--family',
        'golden-al2023',
        '--reason',
        'audit',
        '--owner',
        'legal',
        '--ticket',
        'LEGAL-7',
        '--expires',
        '2026-12-31T00:00:00Z',
      ],
      {
        command: 'hold-add',
        target: { kind: 'family', family: 'golden-al2023' },
        reason: 'audit',
        owner: 'legal',
        ticket: 'LEGAL-7',
        expires: '2026-12-31T00:00:00Z',
      },
    ],
    [
      ['hold', 'add', '--image', 'golden-al2023@1.2.0@rc', '--reason', 'r', '--owner', 'o'],
      {
        command: 'hold-add',
        target: { kind: 'image', family: 'golden-al2023', version: '1.2.0@rc' },
        reason: 'r',
        owner: 'o',
        ticket: undefined,
        expires: undefined,
      },
    ],
    [['hold', 'list'], { command: 'hold-list', json: false }],
    [['hold', 'list', '--json'], { command: 'hold-list', json: true }],
    [
      ['hold', 'remove', 'hold-1', '--reason', 'settled', '--by', 'bob'],
      { command: 'hold-remove', id: 'hold-1', reason: 'settled', by: 'bob' },
    ],
  ])('reads %j', (argv, expected) => {
    expect(parseAmictlArgs(argv)).toEqual(expected);
  });

  it('answers the help for no words, --help and the help command, listing every command and the exit codes', () => {
    const help = helpOf([]);
    expect(helpOf(['--help'])).toBe(help);
    expect(helpOf(['help'])).toBe(help);
    for (const command of [
      'config validate [options] <file>',
      'config apply [options] <file>',
      'build [options] <family>',
      'images list [options]',
      'image show [options] <family> <version>',
      'approve [options] <family> <version>',
      'reject [options] <family> <version>',
      'channel show [options] <family>',
      'channel rollback [options] <family> <channel>',
      'refresh plan [options]',
      'refresh history [options] <family>',
      'hold add [options]',
      'hold list [options]',
      'hold remove [options] <id>',
      'config diff [options] <file>',
      'lineage [options] [family]',
      'report [options]',
    ])
      expect(help).toContain(`  ${command}  `);
    expect(help).toMatch(
      /Exit codes:\n {2}0 {2}done.*\n {2}1 {2}refused.*\n {2}2 {2}bad usage.*\n {2}3 {2}could not reach AWS.*\n {2}4 {2}failed otherwise/s,
    );
  });

  it.each([
    [['config', 'validate'], 'config validate [options] <file>', ['the policy file', '--json']],
    [
      ['config', 'diff'],
      'config diff [options] <file>',
      ['the policy file', '--json', 'never deletes a family'],
    ],
    [['config', 'apply'], 'config apply [options] <file>', ['--by <name>']],
    [
      ['build'],
      'build [options] <family>',
      [
        '--force',
        '--reason <reason>',
        'stale-base',
        '--key <key>',
        '--wait',
        '--timeout <duration>',
        '--json',
      ],
    ],
    [['lineage'], 'lineage [options] [family]', ['--format <format>', '"mermaid"', '"dot"', '--json']],
    [['report'], 'report [options]', ['--html <file>', '--json']],
    [
      ['images', 'list'],
      'images list [options]',
      ['--family <family>', '--state <state>', '"retired"', '--json'],
    ],
    [['image', 'show'], 'image show [options] <family> <version>', ['--json']],
    [['approve'], 'approve [options] <family> <version>', ['--reason <text>', '--by <name>']],
    [['reject'], 'reject [options] <family> <version>', ['--reason <text>', '--by <name>']],
    [['channel', 'show'], 'channel show [options] <family>', ['--json']],
    [
      ['channel', 'rollback'],
      'channel rollback [options] <family> <channel>',
      ['--to <version>', '--reason <text>'],
    ],
    [['refresh', 'plan'], 'refresh plan [options]', ['--json', 'dry run', 'Nothing is written']],
    [
      ['refresh', 'history'],
      'refresh history [options] <family>',
      ['--json', '--limit <n>', '(default: 20)'],
    ],
    [
      ['hold', 'add'],
      'hold add [options]',
      [
        '--image <family@version>',
        '--family <family>',
        '--reason <text>',
        '--owner <who>',
        '--ticket <id>',
        '--expires <time>',
      ],
    ],
    [['hold', 'list'], 'hold list [options]', ['--json', 'expired']],
    [['hold', 'remove'], 'hold remove [options] <id>', ['--reason <text>', '--by <name>']],
    [['hold'], 'hold [options] [command]', ['add [options]', 'list [options]', 'remove [options] <id>']],
    [
      ['config'],
      'config [options] [command]',
      ['validate [options] <file>', 'apply [options] <file>', 'diff [options] <file>'],
    ],
    [['refresh'], 'refresh [options] [command]', ['plan [options]', 'history [options] <family>']],
    [['channel'], 'channel [options] [command]', ['show [options] <family>', 'rollback [options]']],
  ])('gives %j its own --help', (words, usage, mentions) => {
    const help = helpOf([...words, '--help']);
    expect(help).toContain(`Usage: amictl ${usage}`);
    for (const mention of mentions) expect(help).toContain(mention);
    expect(helpOf(['help', ...words.slice(0, 1)])).toContain(`Usage: amictl ${words[0]}`);
  });

  it.each([
    [
      ['deploy'],
      /^unknown command "deploy": use config, build, images, image, approve, reject, channel, refresh, hold, retention, families, events, lineage, report or notify$/,
      '',
    ],
    [['help', 'deploy'], /^unknown command "deploy"/, ''],
    [['config'], /^config takes validate, apply or diff, got nothing$/, 'config'],
    [['config', 'remove'], /^config takes validate, apply or diff, got "remove"$/, 'config'],
    [['config', 'diff'], /^config diff needs a policy file$/, 'config diff'],
    [['build', 'x', '--timeout', '5m'], /^--timeout goes with --wait$/, 'build'],
    [
      ['build', 'x', '--wait', '--timeout', 'soon'],
      /^--timeout must be a duration such as 90s, 45m, 2h or 1h30m, got "soon"$/,
      'build',
    ],
    [['build', 'x', '--wait', '--timeout', '0s'], /^--timeout must be a duration/, 'build'],
    [
      ['lineage', '--format', 'svg'],
      /^--format must be one of tree, mermaid, dot, json, got "svg"$/,
      'lineage',
    ],
    [
      ['lineage', '--format', 'dot', '--json'],
      /^--json is --format json; it does not go with --format dot$/,
      'lineage',
    ],
    [['lineage', 'a', 'b'], /^lineage takes one family, got also "b"$/, 'lineage'],
    [['lineage', ' '], /^lineage needs a family name$/, 'lineage'],
    [['report', '--html', ' '], /^--html must not be empty$/, 'report'],
    [['report', '--html'], /option '--html <file>' argument missing/, 'report'],
    [['report', 'now'], /^report takes no arguments, got also "now"$/, 'report'],
    [['config', 'apply'], /^config apply needs a policy file$/, 'config apply'],
    [['config', 'apply', ' '], /^config apply needs a policy file$/, 'config apply'],
    [['config', 'validate', 'a.yaml', 'b.yaml'], /takes one file, got also "b.yaml"/, 'config validate'],
    [
      ['config', 'validate', 'a.yaml', '--force'],
      /--force does not go with "config validate a.yaml"/,
      'config validate',
    ],
    [['build'], /^build needs a family name$/, 'build'],
    [['build', 'x', '--reason', 'because'], /--reason must be one of manual, schedule/, 'build'],
    [['build', 'x', '--by', ' '], /^--by must not be empty$/, 'build'],
    [['build', 'x', '--colour'], /unknown option '--colour'/, 'build'],
    [['build', 'x', '--forc'], /unknown option '--forc' \(did you mean --force\?\)/, 'build'],
    [['build', 'x', '--key'], /option '--key <key>' argument missing/, 'build'],
    [['images'], /^images takes list, got nothing$/, 'images'],
    [
      ['images', 'list', 'golden-al2023'],
      /images list takes no arguments, got also "golden-al2023"/,
      'images list',
    ],
    [
      ['images', 'list', '--state', 'shiny'],
      /^--state must be one of building, built, inspecting, approved, rejected, published, deprecated, disabled, retired, failed, got "shiny"$/,
      'images list',
    ],
    [['images', 'list', '--family', ''], /^--family must not be empty$/, 'images list'],
    [['image', 'show', 'golden-al2023'], /^image show needs a version$/, 'image show'],
    [['image', 'show', 'a', 'b', 'c'], /image show takes family and version, got also "c"/, 'image show'],
    [['approve', 'golden-al2023', '1.2.0'], /required option '--reason <text>' not specified/, 'approve'],
    [['reject', 'golden-al2023', '1.2.0', '--reason', ' '], /^--reason must not be empty$/, 'reject'],
    [['approve', 'golden-al2023', '--reason', 'ok'], /^approve needs a version$/, 'approve'],
    [['channel', 'show'], /^channel show needs a family name$/, 'channel show'],
    [
      ['channel', 'rollback', 'golden-al2023', '--reason', 'r'],
      /^channel rollback needs a channel name$/,
      'channel rollback',
    ],
    [
      ['channel', 'rollback', 'golden-al2023', 'stable'],
      /required option '--reason <text>'/,
      'channel rollback',
    ],
    [
      ['channel', 'show', 'golden-al2023', '--to', '1'],
      /--to does not go with "channel show golden-al2023"/,
      'channel show',
    ],
    [['refresh'], /^refresh takes plan or history, got nothing$/, 'refresh'],
    [
      ['refresh', 'plan', 'golden-al2023'],
      /refresh plan takes no arguments, got also "golden-al2023"/,
      'refresh plan',
    ],
    [['refresh', 'history'], /^refresh history needs a family name$/, 'refresh history'],
    [
      ['refresh', 'history', 'golden-al2023', '--limit', '0'],
      /^--limit must be a positive integer, got "0"$/,
      'refresh history',
    ],
    [
      ['refresh', 'history', 'golden-al2023', '--limit'],
      /option '--limit <n>' argument missing/,
      'refresh history',
    ],
    [['hold'], /^hold takes add, list or remove, got nothing$/, 'hold'],
    [
      ['hold', 'add', '--reason', 'r', '--owner', 'o'],
      /^hold add needs exactly one of --image FAMILY@VERSION and --family FAMILY$/,
      'hold add',
    ],
    [
      ['hold', 'add', '--image', 'a@1', '--family', 'a', '--reason', 'r', '--owner', 'o'],
      /^hold add needs exactly one of --image FAMILY@VERSION and --family FAMILY$/,
      'hold add',
    ],
    [
      ['hold', 'add', '--image', 'golden-al2023', '--reason', 'r', '--owner', 'o'],
      /^--image must be FAMILY@VERSION, got "golden-al2023"$/,
      'hold add',
    ],
    [
      ['hold', 'add', '--image', '@1', '--reason', 'r', '--owner', 'o'],
      /^--image must be FAMILY@VERSION/,
      'hold add',
    ],
    [
      ['hold', 'add', '--image', 'a@', '--reason', 'r', '--owner', 'o'],
      /^--image must be FAMILY@VERSION/,
      'hold add',
    ],
    [
      ['hold', 'add', '--family', ' ', '--reason', 'r', '--owner', 'o'],
      /^--family must not be empty$/,
      'hold add',
    ],
    [
      ['hold', 'add', '--family', 'a', '--owner', 'o'],
      /required option '--reason <text>' not specified/,
      'hold add',
    ],
    [
      ['hold', 'add', '--family', 'a', '--reason', 'r'],
      /required option '--owner <who>' not specified/,
      'hold add',
    ],
    [
      ['hold', 'add', '--family', 'a', '--reason', 'r', '--owner', ' '],
      /^--owner must not be empty$/,
      'hold add',
    ],
    [['hold', 'list', 'x'], /hold list takes no arguments, got also "x"/, 'hold list'],
    [['retention', 'plan', '--family', ''], /^--family must not be empty$/, 'retention plan'],
    [
      ['retention', 'apply', 'now'],
      /^retention apply takes no arguments, got also "now"$/,
      'retention apply',
    ],
    [['retention', 'show', ' '], /^retention show needs a sweep id$/, 'retention show'],
    [['retention', 'show', 'a', 'b'], /^retention show takes one sweep-id, got also "b"$/, 'retention show'],
    [['retention'], /^retention takes plan, apply or show, got nothing$/, 'retention'],
    [['hold', 'remove', '--reason', 'r'], /^hold remove needs a hold id$/, 'hold remove'],
    [['hold', 'remove', 'hold-1'], /required option '--reason <text>' not specified/, 'hold remove'],
  ])('refuses %j, naming what is wrong', (argv, message, command) => {
    let error: unknown;
    try {
      parseAmictlArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as CliUsageError).message).toMatch(message);
    expect((error as CliUsageError).command).toBe(command);
  });

  it.each([
    [
      ['approve', 'golden-al2023', '1', '--by', 'alice', '--reason', '--by'],
      '--reason needs a value, got the option --by',
    ],
    [['hold', 'remove', 'h1', '--reason', '--by'], '--reason needs a value, got the option --by'],
    [['images', 'list', '--family', '--json'], '--family needs a value, got the option --json'],
    [['images', 'list', '--family=--json'], '--family needs a value, got the option --json'],
  ])('refuses an option given another option as its value: %j', (argv, message) => {
    const error = (() => {
      try {
        parseAmictlArgs(argv);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as Error).message).toBe(message);
  });

  it('takes a value that only looks like an option when it is not one of amictl’s', () => {
    expect(parseAmictlArgs(['images', 'list', '--family', '--nosuch-x'])).toMatchObject({
      family: '--nosuch-x',
    });
  });

  it('refuses an option before the command, saying where it goes', () => {
    expect(() => parseAmictlArgs(['--json', 'images', 'list'])).toThrow(CliUsageError);
    expect(() => parseAmictlArgs(['--json', 'images', 'list'])).toThrow(/^--json goes after the command/);
  });
});

describe('amictl help pages', () => {
  /** Every command one can run, by its words, as `amictl --help` lists them. */
  const runnable = (): string[][] =>
    helpOf(['--help'])
      .split('Commands:\n')[1]!
      .split('\n\n')[0]!
      .split('\n')
      .filter((line) => /^ {2}[a-z]/.test(line))
      .map((line) => line.trim().split(/\s+/))
      .map((words) => words.slice(0, words.findIndex((w) => w.startsWith('[') || w.startsWith('<')) >>> 0))
      .map((words) => words.filter((w) => /^[a-z]+$/.test(w)))
      .filter((words) => words[0] !== 'help');

  it('lists every command', () => {
    expect(runnable().map((w) => w.join(' '))).toEqual([
      'config validate',
      'config apply',
      'config diff',
      'build',
      'images list',
      'image show',
      'approve',
      'reject',
      'channel show',
      'channel rollback',
      'refresh plan',
      'refresh history',
      'hold add',
      'hold list',
      'hold remove',
      'retention plan',
      'retention apply',
      'retention show',
      'families list',
      'events rejected',
      'lineage',
      'report',
      'notify test',
    ]);
  });

  it('gives every command a page with its usage, arguments, options, examples and exit codes, by --help and by help', () => {
    for (const words of runnable()) {
      const page = helpOf([...words, '--help']);
      expect(helpOf(['help', ...words])).toBe(page);
      expect(page).toMatch(new RegExp(`^Usage: amictl ${words.join(' ')} `));
      const usage = page.split('\n')[0]!;
      for (const argument of usage.match(/<[a-z-]+>|\[[a-z-]+\]/g)?.filter((a) => a !== '[options]') ?? [])
        expect(page).toMatch(new RegExp(`\\n {2}${argument.slice(1, -1)} `));
      if (usage.includes('[options]')) expect(page).toContain('Options:\n');
      const examples = page.split('Examples:\n')[1];
      expect(examples).toBeDefined();
      expect(
        examples!.split('\n').filter((l) => l.startsWith(`  $ amictl ${words.join(' ')}`)).length,
      ).toBeGreaterThan(0);
      expect(page).toMatch(/Exit codes: 0 done, 1 refused, 2 bad usage, 3 .*\n4 failed otherwise/);
    }
  });

  it('runs each example through the parser: every one of them is a valid command line', () => {
    for (const words of runnable()) {
      const examples = helpOf([...words, '--help'])
        .split('Examples:\n')[1]!
        .split('\n')
        .filter((l) => l.startsWith('  $ amictl '))
        .map((l) => l.slice('  $ amictl '.length));
      for (const example of examples) {
        const argv = [...example.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
        expect(() => parseAmictlArgs(argv)).not.toThrow();
        expect(parseAmictlArgs(argv).command).not.toBe('help');
      }
    }
  });
});
