import { type AmictlCommand, CliUsageError, parseAmictlArgs } from '../src';

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
    });
    expect(parseAmictlArgs(['build', 'golden-al2023', '--key', 'k-1'])).toMatchObject({
      force: false,
      reason: 'manual',
      key: 'k-1',
    });
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
      'config validate <file>',
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
    ])
      expect(help).toContain(`  ${command}  `);
    expect(help).toMatch(
      /Exit codes:\n {2}0 {2}done\n {2}1 {2}refused.*\n {2}2 {2}bad usage.*\n {2}3 {2}could not reach AWS/s,
    );
  });

  it.each([
    [['config', 'validate'], 'config validate [options] <file>', ['the policy file']],
    [['config', 'apply'], 'config apply [options] <file>', ['--by <name>']],
    [['build'], 'build [options] <family>', ['--force', '--reason <reason>', 'stale-base', '--key <key>']],
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
    [['config'], 'config [options] [command]', ['validate <file>', 'apply [options] <file>']],
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
      /^unknown command "deploy": use config, build, images, image, approve, reject, channel, refresh, hold, retention, families or events$/,
      '',
    ],
    [['help', 'deploy'], /^unknown command "deploy"/, ''],
    [['config'], /^config takes validate or apply, got nothing$/, 'config'],
    [['config', 'remove'], /^config takes validate or apply, got "remove"$/, 'config'],
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
