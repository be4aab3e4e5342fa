import { type HoldTarget, LIFECYCLE_STATES, type LifecycleState } from '@ami-lifecycle/core';
import { Command, type CommanderError, Help, Option } from 'commander';
import cliPackage from '../package.json';
import { LINEAGE_FORMATS, type LineageFormat } from './lineage-commands';
import { CHANNEL_HISTORY } from './read-commands';
import { REFRESH_HISTORY_LIMIT } from './refresh-commands';

/** A command line that does not say what to do; the message names what is wrong. */
export class CliUsageError extends Error {
  constructor(
    message: string,
    /** The command the words were for (`config apply`), empty for amictl itself: where `--help` helps. */
    readonly command = '',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliUsageError';
  }
}

export const BUILD_REASONS = ['manual', 'schedule', 'parent-published', 'vulnerable', 'stale-base'] as const;

/** `build --timeout` when `--wait` does not say. */
export const DEFAULT_BUILD_TIMEOUT = '60m';

export type AmictlCommand =
  | { command: 'help'; text: string }
  | { command: 'version'; text: string }
  | { command: 'config-validate'; file: string; json: boolean }
  | { command: 'config-apply'; file: string; by: string | undefined }
  | { command: 'config-diff'; file: string; json: boolean }
  | {
      command: 'build';
      family: string;
      force: boolean;
      reason: (typeof BUILD_REASONS)[number];
      by: string | undefined;
      key: string | undefined;
      json: boolean;
      /** `--wait`: follow the build to its outcome, for at most the timeout (`--timeout` as given, and in seconds). */
      wait: { timeout: string; timeoutSeconds: number } | undefined;
    }
  | {
      command: 'images-list';
      family: string | undefined;
      state: LifecycleState | undefined;
      json: boolean;
    }
  | { command: 'image-show'; family: string; version: string; json: boolean }
  | {
      command: 'approve' | 'reject';
      family: string;
      version: string;
      reason: string;
      by: string | undefined;
    }
  | { command: 'channel-show'; family: string; json: boolean }
  | {
      command: 'channel-rollback';
      family: string;
      channel: string;
      to: string | undefined;
      reason: string;
      by: string | undefined;
    }
  | { command: 'refresh-plan'; json: boolean }
  | { command: 'refresh-history'; family: string; json: boolean; limit: number }
  | {
      command: 'hold-add';
      target: HoldTarget;
      reason: string;
      owner: string;
      ticket: string | undefined;
      expires: string | undefined;
    }
  | { command: 'hold-list'; json: boolean }
  | { command: 'hold-remove'; id: string; reason: string; by: string | undefined }
  | { command: 'retention-plan'; family: string | undefined; json: boolean }
  | { command: 'retention-apply'; yes: boolean; dryRun: boolean }
  | { command: 'retention-show'; sweepId: string | undefined; json: boolean }
  | { command: 'events-rejected'; json: boolean; limit: number }
  | { command: 'families-list'; json: boolean }
  | { command: 'lineage'; family: string | undefined; format: LineageFormat }
  | { command: 'report'; html: string | undefined; json: boolean }
  | { command: 'notify-test'; family: string; json: boolean };

/** Dead letters listed by `events rejected` unless `--limit` says otherwise. */
export const DEAD_LETTERS_LIMIT = 100;

/** What each exit code means; the end of `amictl --help`. */
export const EXIT_CODES = `Exit codes:
  0  done (config diff: with or without differences; build --wait: published, or passed and waiting
     for a person's approval)
  1  refused: an unknown family or version, an illegal transition, an invalid policy file, a request
     that the publish service refused, a hold on nothing known, an expiry not in the future, an
     unknown hold id, an unknown sweep id, no stored organisation config, a retention apply not
     confirmed; build --wait: the build failed, the image was rejected or its publication failed (the
     reason printed), it (or the earlier build of the same inputs) is deprecated, disabled or
     retired, or it did not end within --timeout; notify test: a family with no recipients (nothing
     sent), or a recipient without a confirmed subscription that lets the message through (sent to
     the others); the message names it
  2  bad usage: an unknown command or option, a missing argument or option, a bad option value, a
     retention apply without --yes and without a terminal to ask on; nothing was read or changed
  3  could not reach AWS or the local cloud (network, endpoint, credentials, missing table, bus,
     state machine or notifications topic): the message names the endpoint (AWS_ENDPOINT_URL) and
     region (AWS_REGION) used, and what to check
  4  failed otherwise (a bug, an AWS error amictl does not know): the error is printed; a write may
     have been partly done, so look with images list, image show or channel show
  build --wait ends in 3 or 4 also when it lost track of a build already requested: the build goes
  on, and the command to follow it again (same --key, nothing new built) is printed`;

/** The one line each command's help ends with. */
const EXIT_CODES_LINE =
  'Exit codes: 0 done, 1 refused, 2 bad usage, 3 AWS or the local cloud could not be reached,\n' +
  '4 failed otherwise (amictl --help says more).';

const ENVIRONMENT = `Environment:
  CATALOG_TABLE, EVENT_BUS_NAME  the catalog table and the bus (default ami-lifecycle-local)
  DECOMMISSION_STATE_MACHINE_ARN
                                 the state machine retention apply starts (default: the stage's
                                 ami-lifecycle-<stage>-decommission in AWS_REGION and the caller's
                                 account, <stage> read from CATALOG_TABLE ami-lifecycle-<stage>)
  AWS_REGION, AWS_ENDPOINT_URL   as for any AWS client: the same commands work against the local cloud
                                 (npm run local-cloud prints the variables) and against AWS
  BUILD_STATE_MACHINE_ARN        the build state machine build --wait reads (default: the stage's
                                 ami-lifecycle-<stage>-build, as for the decommission one)
  NO_COLOR                       any value but empty: no colour (amictl colours only on a terminal)
  EVENTS_DEAD_LETTER_QUEUE_URL   the events dead-letter queue events rejected reads (default: the queue
                                 <EVENT_BUS_NAME>-events-dlq of the caller's account)
  NOTIFY_TOPIC_ARN               the notifications topic notify test sends to (default: the topic
                                 <EVENT_BUS_NAME>-notifications of the caller's account and AWS_REGION)
  USER                           who acts when --by does not say

Run "amictl <command> --help" for a command's arguments and options; from the repository,
"npm run amictl -- <command>".`;

/** How a missing or empty argument is named in a message: "build needs a family name". */
const NOUNS: Record<string, string> = {
  file: 'a policy file',
  family: 'a family name',
  version: 'a version',
  channel: 'a channel name',
  id: 'a hold id',
  'sweep-id': 'a sweep id',
};

/** `90s`, `45m`, `2h`, `1h30m`: a positive duration, in seconds; undefined when it is not one. */
export const parseDuration = (text: string): number | undefined => {
  const parts = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (parts === null || text.trim() === '') return undefined;
  const [h, m, s] = parts.slice(1).map((p) => Number(p ?? 0)) as [number, number, number];
  const seconds = h * 3600 + m * 60 + s;
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
};

/**
 * Parses and checks the words; every mistake is a `CliUsageError` naming it, and `--help` (or no words
 * at all) answers the help text. Nothing is read or written here.
 */
export const parseAmictlArgs = (argv: readonly string[]): AmictlCommand => {
  const out: string[] = [];
  let parsed: AmictlCommand | undefined;
  const program = amictlProgram(
    (command) => {
      parsed = command;
    },
    (text) => out.push(text),
  );
  try {
    // `amictl help config diff` is `amictl config diff --help` (commander's help command takes one word).
    const words =
      argv.length === 0
        ? ['--help']
        : argv[0] === 'help' && argv.length > 2
          ? [...argv.slice(1), '--help']
          : [...argv];
    program.parse(words, { from: 'user' });
  } catch (error) {
    if (error instanceof HelpShown) return { command: 'help', text: out.join('').trimEnd() };
    if (error instanceof VersionShown) return { command: 'version', text: out.join('').trimEnd() };
    throw error;
  }
  if (parsed === undefined) throw new CliUsageError('nothing to do; see amictl --help');
  return parsed;
};

/** Thrown through commander when it printed help (to `out`): not an error, the answer. */
class HelpShown extends Error {}

/** Thrown through commander when it printed the version (to `out`). */
class VersionShown extends Error {}

/** Each command's examples, by its words; every command that runs has some (a test checks). */
export const EXAMPLES: Record<string, readonly string[]> = {
  'config validate': ['config validate examples/ami-lifecycle.yaml', 'config validate policy.yaml --json'],
  'config apply': ['config apply examples/ami-lifecycle.yaml --by alice@example.com'],
  'config diff': ['config diff examples/ami-lifecycle.yaml', 'config diff policy.yaml --json'],
  build: [
    'build golden-al2023',
    'build golden-al2023 --force --reason stale-base --key rebuild-2026-03',
    'build golden-al2023 --wait --timeout 90m',
    'build payments-api --wait --json',
  ],
  'images list': ['images list', 'images list --family golden-al2023 --state published --json'],
  'image show': ['image show golden-al2023 2026.03.01.1', 'image show golden-al2023 2026.03.01.1 --json'],
  approve: ['approve payments-api 1.2.0 --reason "tests signed off" --by alice@example.com'],
  reject: ['reject payments-api 1.2.0 --reason "breaks the payment flow" --by alice@example.com'],
  'channel show': ['channel show golden-al2023', 'channel show golden-al2023 --json'],
  'channel rollback': [
    'channel rollback golden-al2023 stable --reason "1.1.0 breaks boot"',
    'channel rollback golden-al2023 stable --to 1.0.0 --reason "back to the known good one"',
  ],
  'refresh plan': ['refresh plan', 'refresh plan --json'],
  'refresh history': ['refresh history golden-al2023', 'refresh history golden-al2023 --limit 5 --json'],
  'hold add': [
    'hold add --image golden-al2023@1.0.0 --reason "litigation LIT-42" --owner legal@example.com',
    'hold add --family payments-api --reason audit --owner legal@example.com --ticket LEGAL-9 --expires 2026-12-31T00:00:00Z',
  ],
  'hold list': ['hold list', 'hold list --json'],
  'hold remove': ['hold remove hold-3f9c0a51d2e87b46 --reason "case closed"'],
  'retention plan': ['retention plan', 'retention plan --family golden-ubuntu --json'],
  'retention apply': ['retention apply', 'retention apply --yes --dry-run'],
  'retention show': ['retention show', 'retention show sweep-2026-03-01 --json'],
  'families list': ['families list', 'families list --json'],
  'events rejected': ['events rejected', 'events rejected --limit 10 --json'],
  lineage: ['lineage', 'lineage golden-al2023 --format mermaid', 'lineage --json'],
  report: ['report', 'report --html report.html', 'report --json'],
  'notify test': ['notify test golden-al2023', 'notify test payments-api --json'],
};

/** The command named by its words (`config apply`). */
const commandAt = (program: Command, path: string): Command => {
  let cmd = program;
  for (const word of path.split(' ')) {
    const next = cmd.commands.find((c) => c.name() === word);
    if (next === undefined) throw new Error(`amictl has no command "${path}"`);
    cmd = next;
  }
  return cmd;
};

/**
 * The command tree. Actions only record what was asked (`emit`); `write` receives help text. Errors
 * never reach the terminal from here: each becomes a `CliUsageError` with amictl's own wording.
 */
const amictlProgram = (emit: (command: AmictlCommand) => void, write: (text: string) => void): Command => {
  let helpWritten = false;
  const program = new Command('amictl')
    .usage('<command> [options]')
    .description(
      'The AMI lifecycle controller from the shell: apply the policy, request builds, list and inspect ' +
        'images, approve or reject them, show and roll back channels, see what the refresh service would ' +
        'rebuild and what it decided, place and release legal holds, preview and start retention sweeps ' +
        'and see what they did, and check that notifications reach their recipients.',
    )
    .configureOutput({
      writeOut: (text) => {
        helpWritten = true;
        write(text);
      },
      writeErr: () => {},
      outputError: () => {},
    })
    .showSuggestionAfterError(true)
    .version(`amictl ${cliPackage.version}`, '-V, --version', "print amictl's version")
    .addHelpText('after', `\n${EXIT_CODES}\n\n${ENVIRONMENT}`)
    // Before any command acts: commander takes the word after an option as its value, even another option.
    .hook('preAction', (_program, actionCmd) => refuseOptionsAsValues(program, actionCmd));

  const config = program.command('config').description('check or store the policy file');
  config
    .command('validate')
    .summary('check a policy file')
    .description('Check a policy file; every problem is named by its path and line. Nothing is stored.')
    .argument('<file>', 'the policy file (YAML)')
    .option('--json', 'print { file, valid, families, problems: [{ path, message }], warnings } instead')
    .action((file: string, options: { json?: boolean }, cmd: Command) => {
      emit({ command: 'config-validate', file: operand(cmd, 'file', file), json: options.json === true });
    });
  config
    .command('apply')
    .summary("store the organisation's and each family's config as their next version")
    .description(
      'Validate the policy file, then store the organisation config (accounts, regions, organization, ' +
        "sweep guards) and each family's config as their next version. A bad file stores nothing; an " +
        'unchanged config keeps its version, so applying twice changes nothing.',
    )
    .argument('<file>', 'the policy file (YAML)')
    .option('--by <name>', 'who applies it (default: $USER)')
    .action((file: string, options: { by?: string }, cmd: Command) => {
      emit({ command: 'config-apply', file: operand(cmd, 'file', file), by: text(cmd, '--by', options.by) });
    });
  config
    .command('diff')
    .summary('what config apply of a policy file would change, without writing')
    .description(
      'Compare a policy file with the stored configs, as config apply would, and write nothing: the ' +
        'organisation config and each family added, changed (every changed field by its path, old -> new) ' +
        'or unchanged, and the stored families the file no longer names (config apply leaves those as ' +
        'stored: it never deletes a family). Exit 0 with or without differences ("no changes" when none); ' +
        'an invalid file is exit 1, with the problems config validate names.',
    )
    .argument('<file>', 'the policy file (YAML)')
    .option('--json', 'print { file, changes, organization, families } instead of lines')
    .action((file: string, options: { json?: boolean }, cmd: Command) => {
      emit({ command: 'config-diff', file: operand(cmd, 'file', file), json: options.json === true });
    });

  program
    .command('build')
    .summary('request a build of a family')
    .description(
      'Put Build Requested for a family on the bus; the build service takes it from there. The family ' +
        'needs a stored config that parses (amictl config apply); otherwise nothing is put on the bus. ' +
        'Prints the event id, the idempotency key and the build id. With --wait, follows the build and ' +
        'its inspection to the outcome, a line per step (builder launched, each component, image created ' +
        'and available, inspection started, verdict and findings, approved, published or rejected): exit ' +
        "0 when the image is published, or passed its inspection and waits for a person's approval; exit 1 " +
        'when the build failed, the image was rejected or its publication failed, with the reason the ' +
        'failing step recorded (and the failing CVEs of a rejection), when it (or the earlier build of ' +
        'the same inputs) is deprecated, disabled or retired, or when it did not end within --timeout; ' +
        'exit 3 or 4 if it lost track of the requested build, printing how to follow it again.',
    )
    .argument('<family>', 'the family to build')
    .option('--force', 'build even when nothing changed since the last build')
    .addOption(new Option('--reason <reason>', 'why it is built').choices(BUILD_REASONS).default('manual'))
    .option('--by <name>', 'who asks (default: $USER)')
    .option('--key <key>', 'the idempotency key: the same key never builds twice (default: a new one)')
    .option('--wait', 'follow the build to its outcome (published, waiting for approval, rejected, failed)')
    .option(
      '--timeout <duration>',
      `with --wait: give up after this long, e.g. 90s, 45m, 2h (default: ${DEFAULT_BUILD_TIMEOUT})`,
    )
    .option('--json', 'print the request as JSON; with --wait, the outcome with the image and every step')
    .action(
      (
        family: string,
        options: {
          force?: boolean;
          reason: (typeof BUILD_REASONS)[number];
          by?: string;
          key?: string;
          wait?: boolean;
          timeout?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        emit({
          command: 'build',
          family: operand(cmd, 'family', family),
          force: options.force === true,
          reason: options.reason,
          by: text(cmd, '--by', options.by),
          key: text(cmd, '--key', options.key),
          json: options.json === true,
          wait: buildWait(cmd, options.wait === true, options.timeout),
        });
      },
    );

  const images = program.command('images').description('list images');
  images
    .command('list')
    .summary('list images with their state, verdict, AMIs and channels')
    .description(
      'List images, of every family or of one, sorted by family and creation time: state, verdict, ' +
        'vulnerable, the channels that point at each, and its AMI per region.',
    )
    .option('--family <family>', 'only the images of this family')
    .addOption(new Option('--state <state>', 'only the images in this state').choices(LIFECYCLE_STATES))
    .option('--json', 'print a JSON array instead of a table')
    .action((options: { family?: string; state?: LifecycleState; json?: boolean }, cmd: Command) => {
      emit({
        command: 'images-list',
        family: text(cmd, '--family', options.family),
        state: options.state,
        json: options.json === true,
      });
    });

  const image = program.command('image').description('show one image');
  image
    .command('show')
    .summary('show one image and its audit trail')
    .description(
      'Show one image: state, AMIs, parent, verdict, findings, channels, why it was built, and its audit ' +
        'trail oldest first.',
    )
    .argument('<family>', 'the family')
    .argument('<version>', 'the version')
    .option('--json', 'print a JSON object instead of lines')
    .action((family: string, version: string, options: { json?: boolean }, cmd: Command) => {
      emit({
        command: 'image-show',
        family: operand(cmd, 'family', family),
        version: operand(cmd, 'version', version),
        json: options.json === true,
      });
    });

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .summary(
        decision === 'approve'
          ? 'approve an inspected image for publication'
          : 'reject an image so that it is never published',
      )
      .description(
        decision === 'approve'
          ? 'Approve an image whose inspection passed (inspecting -> approved): audited with who and why, ' +
              'then Image Approved starts its publication. An image without a passing verdict is refused.'
          : 'Reject an image before it is published (inspecting or approved -> rejected): audited with who ' +
              'and why, then Image Rejected; a publication under way stops.',
      )
      .argument('<family>', 'the family')
      .argument('<version>', 'the version')
      .requiredOption('--reason <text>', 'why, for the audit trail (required)')
      .option('--by <name>', 'who decides (default: $USER)')
      .action((family: string, version: string, options: { reason: string; by?: string }, cmd: Command) => {
        emit({
          command: decision,
          family: operand(cmd, 'family', family),
          version: operand(cmd, 'version', version),
          reason: text(cmd, '--reason', options.reason)!,
          by: text(cmd, '--by', options.by),
        });
      });
  }

  const channel = program.command('channel').description("show or roll back a family's channels");
  channel
    .command('show')
    .summary("show a family's channels and their history")
    .description(
      `Show each channel of a family: the version it points to, that image's AMIs, and its latest ${CHANNEL_HISTORY} revisions, newest first.`,
    )
    .argument('<family>', 'the family')
    .option('--json', 'print a JSON array instead of lines')
    .action((family: string, options: { json?: boolean }, cmd: Command) => {
      emit({ command: 'channel-show', family: operand(cmd, 'family', family), json: options.json === true });
    });
  channel
    .command('rollback')
    .summary('point a channel back at an earlier version')
    .description(
      "Point a channel back at an earlier published version (by default the newest earlier one still published): each region's SSM parameter is rewritten and read back first, then the channel moves, audited with who and why, and Image Published names its new target.",
    )
    .argument('<family>', 'the family')
    .argument('<channel>', 'the channel')
    .option('--to <version>', 'the version to go back to (default: the previous one)')
    .requiredOption('--reason <text>', 'why, for the audit trail (required)')
    .option('--by <name>', 'who rolls back (default: $USER)')
    .action(
      (
        family: string,
        channelName: string,
        options: { to?: string; reason: string; by?: string },
        cmd: Command,
      ) => {
        emit({
          command: 'channel-rollback',
          family: operand(cmd, 'family', family),
          channel: operand(cmd, 'channel', channelName),
          to: text(cmd, '--to', options.to),
          reason: text(cmd, '--reason', options.reason)!,
          by: text(cmd, '--by', options.by),
        });
      },
    );

  const refresh = program
    .command('refresh')
    .description('see what the refresh service would rebuild now, and what it decided');
  refresh
    .command('plan')
    .summary('what the daily refresh would rebuild now, and why (a dry run)')
    .description(
      "A dry run of the refresh service's daily run as of now: which families it would rebuild (vulnerable, " +
        'parent published, stale base) and which it would skip, each with its reason; the families with ' +
        'nothing to do and their current version; the families whose stored config no longer parses. ' +
        'Nothing is written and nothing is put on the bus.',
    )
    .option('--json', 'print a JSON object instead of a table')
    .action((options: { json?: boolean }) => {
      emit({ command: 'refresh-plan', json: options.json === true });
    });
  refresh
    .command('history')
    .summary("a family's recorded refresh decisions, newest first")
    .description(
      'The refresh decisions recorded for a family, newest first: when, the trigger, requested or skipped ' +
        '(and why), and the idempotency key of the requested build.',
    )
    .argument('<family>', 'the family')
    .option('--json', 'print a JSON array instead of a table')
    .option('--limit <n>', `at most this many decisions, the newest (default: ${REFRESH_HISTORY_LIMIT})`)
    .action((family: string, options: { json?: boolean; limit?: string }, cmd: Command) => {
      emit({
        command: 'refresh-history',
        family: operand(cmd, 'family', family),
        json: options.json === true,
        limit: positiveInteger(cmd, '--limit', options.limit) ?? REFRESH_HISTORY_LIMIT,
      });
    });

  const hold = program.command('hold').description('place, list and release legal holds');
  hold
    .command('add')
    .summary('place a legal hold on an image or a family')
    .description(
      'Place a legal hold on one image (--image FAMILY@VERSION) or on a whole family (--family FAMILY): ' +
        'nothing it covers is deprecated, disabled or retired while it is in force, whatever the policy ' +
        'says. It is stored first, then EC2 deregistration protection is turned on for every AMI it covers ' +
        "in every region (the image's, or those of every image of the family not yet retired). The image " +
        'or family must be in the catalog; --expires must be in the future. Prints the hold id.',
    )
    .option('--image <family@version>', 'hold this image')
    .option('--family <family>', 'hold every image of this family, the future ones too')
    .requiredOption('--reason <text>', 'why, e.g. the matter it is held for (required)')
    .requiredOption('--owner <who>', 'who answers for the hold: a person or a team address (required)')
    .option('--ticket <id>', 'the ticket that asked for it')
    .option('--expires <time>', 'when it ends by itself, ISO-8601 with a zone (default: when released)')
    .action(
      (
        options: {
          image?: string;
          family?: string;
          reason: string;
          owner: string;
          ticket?: string;
          expires?: string;
        },
        cmd: Command,
      ) => {
        emit({
          command: 'hold-add',
          target: holdTarget(cmd, options.image, options.family),
          reason: text(cmd, '--reason', options.reason)!,
          owner: text(cmd, '--owner', options.owner)!,
          ticket: text(cmd, '--ticket', options.ticket),
          expires: text(cmd, '--expires', options.expires),
        });
      },
    );
  hold
    .command('list')
    .summary('list the holds in force, expired ones marked')
    .description(
      'List every hold not released, oldest first: id, target, reason, owner, ticket, when placed and ' +
        'when it expires. A hold past its expiry no longer protects anything and is marked expired until ' +
        'the daily sweep lifts and releases it.',
    )
    .option('--json', 'print a JSON array instead of a table')
    .action((options: { json?: boolean }) => {
      emit({ command: 'hold-list', json: options.json === true });
    });
  hold
    .command('remove')
    .summary('release a hold and lift the protection it put on')
    .description(
      'Release a hold (its record is kept, with who and when), then lift the EC2 deregistration protection ' +
        'of the AMIs it covered, except those another hold in force still covers. Releasing again is ' +
        'harmless, and retries a lift that failed.',
    )
    .argument('<id>', 'the hold id (amictl hold list)')
    .requiredOption('--reason <text>', 'why it is released (required)')
    .option('--by <name>', 'who releases it (default: $USER)')
    .action((id: string, options: { reason: string; by?: string }, cmd: Command) => {
      emit({
        command: 'hold-remove',
        id: operand(cmd, 'id', id),
        reason: text(cmd, '--reason', options.reason)!,
        by: text(cmd, '--by', options.by),
      });
    });

  const retention = program
    .command('retention')
    .description('preview, start and inspect retention sweeps (deprecate, disable, retire)');
  retention
    .command('plan')
    .summary('what a retention sweep would decide now, and why (a dry run)')
    .description(
      'A retention plan made now from live inventory, as the daily sweep makes it: EC2 in every enabled ' +
        "region and the usage in every account images are shared with, the organisation's guards, holds, " +
        'channels and lineage. Each image not yet retired with its decision (keep, deprecate, disable, ' +
        'retire) and every reason, then the guard verdict, the counts and the diff to the newest stored ' +
        'plan. Nothing is stored, nothing is changed and nothing is put on the bus.',
    )
    .option(
      '--family <family>',
      'print only the decisions of this family (the plan is made for all: the guards are organisation-wide)',
    )
    .option('--json', 'print the plan object (the core retention plan schema) instead of a table')
    .action((options: { family?: string; json?: boolean }, cmd: Command) => {
      emit({
        command: 'retention-plan',
        family: text(cmd, '--family', options.family),
        json: options.json === true,
      });
    });
  retention
    .command('apply')
    .summary('start a retention sweep now, after asking for confirmation')
    .description(
      'Start a run of the decommission state machine now, as the daily schedule does: it plans from live ' +
        'inventory, stores the plan and carries out its actions a batch at a time, each checked again ' +
        'first. Asks for confirmation on the terminal unless --yes; without a terminal, --yes is required. ' +
        'A "no" starts nothing (exit 1). Prints the sweep id (sweep-manual-<minute>, or ' +
        'sweep-manual-dry-run-<minute>) and how to follow it. Run "amictl retention plan" first to see ' +
        'what it would do.',
    )
    .option('--yes', 'do not ask: start it')
    .option('--dry-run', 'a sweep that only plans and stores its plan, and acts on nothing')
    .action((options: { yes?: boolean; dryRun?: boolean }) => {
      emit({ command: 'retention-apply', yes: options.yes === true, dryRun: options.dryRun === true });
    });
  retention
    .command('show')
    .summary('a stored retention plan and what became of its actions')
    .description(
      'A stored retention plan, the newest when no sweep id is given: each decision with its reasons ' +
        '(actions marked), the guard verdict, the counts and the diff to the plan before it, then each ' +
        "action with the image's state in the catalog now: done, or still in the state it was planned from.",
    )
    .argument('[sweep-id]', 'the sweep (default: the newest plan)')
    .option('--json', 'print a JSON object instead of lines')
    .action((sweepId: string | undefined, options: { json?: boolean }, cmd: Command) => {
      emit({
        command: 'retention-show',
        sweepId: sweepId === undefined ? undefined : operand(cmd, 'sweep-id', sweepId),
        json: options.json === true,
      });
    });

  program
    .command('families')
    .description('the families of the stored policy')
    .command('list')
    .summary('every family: kind, base, config version, channels and images by state')
    .description(
      'List every family with a stored config, by name: golden or application, what it builds on (its ' +
        "source, or its parent's channel), the config version and who stored it, where its channels point " +
        'and how many of its images are in each state.',
    )
    .option('--json', 'print a JSON array instead of a table')
    .action((options: { json?: boolean }) => {
      emit({ command: 'families-list', json: options.json === true });
    });

  const events = program.command('events').description('the events the controller did not act on');
  events
    .command('rejected')
    .summary('the dead letters: events refused, failed or not delivered, with why')
    .description(
      'List the events dead-letter queue without taking anything out of it, oldest first: events a ' +
        'function refused at once (malformed, with the fields named, or refused for good), events a ' +
        "function still failed after Lambda's retries, and events EventBridge could not deliver; each with " +
        'who refused it, its detail-type and family, and why. --json carries each event, to re-drive it.',
    )
    .option('--json', 'print a JSON array instead of a table')
    .option('--limit <n>', `at most this many (default: ${DEAD_LETTERS_LIMIT})`)
    .action((options: { json?: boolean; limit?: string }, cmd: Command) => {
      emit({
        command: 'events-rejected',
        json: options.json === true,
        limit: positiveInteger(cmd, '--limit', options.limit) ?? DEAD_LETTERS_LIMIT,
      });
    });

  program
    .command('lineage')
    .summary('which image is built on which')
    .description(
      'The lineage of the images: which image each was built on, of one family or of all; as a tree, as ' +
        'Mermaid or Graphviz DOT text, or as JSON.',
    )
    .argument('[family]', 'only the lineage of this family (default: every family)')
    .addOption(new Option('--format <format>', 'how to draw it').choices(LINEAGE_FORMATS).default('tree'))
    .option('--json', 'the same as --format json')
    .action(
      (family: string | undefined, options: { format: LineageFormat; json?: boolean }, cmd: Command) => {
        const given = cmd.getOptionValueSource('format') === 'cli';
        if (options.json === true && given && options.format !== 'json')
          throw new CliUsageError(
            `--json is --format json; it does not go with --format ${options.format}`,
            pathOf(cmd),
          );
        emit({
          command: 'lineage',
          family: family === undefined ? undefined : operand(cmd, 'family', family),
          format: options.json === true ? 'json' : options.format,
        });
      },
    );

  program
    .command('report')
    .summary('a report of the estate as the catalog knows it')
    .description(
      'A report of the estate as the catalog knows it now, printed as text, written as one HTML file ' +
        '(--html) or printed as JSON (--json).',
    )
    .option('--html <file>', 'write the report as HTML to this file')
    .option('--json', 'print the report as JSON instead of text')
    .action((options: { html?: string; json?: boolean }, cmd: Command) => {
      emit({ command: 'report', html: text(cmd, '--html', options.html), json: options.json === true });
    });

  program
    .command('notify')
    .description("check the family's notifications")
    .command('test')
    .summary("send a test message to a family's recipients, and check their subscriptions")
    .description(
      "Send one test message to everyone the stored policy tells about the family's events (its own " +
        "recipients and the organisation's), through the stage's notifications topic and with the " +
        'recipients message attribute the notify service sets, so that each filtered email subscription ' +
        'lets it through. Subject "[ami-lifecycle] test message for <family>"; the body says who sent it, ' +
        'when, and who is told about which events. Then lists each recipient with its events and its ' +
        'subscription: confirmed, pending confirmation, missing, or with a filter policy that holds the ' +
        'message back. A family without a stored config or without recipients is refused (exit 1), ' +
        'nothing sent; a recipient whose subscription is missing, pending or filtered is warned about on ' +
        'stderr and ends in exit 1, after the message went to the others.',
    )
    .argument('<family>', 'the family')
    .option(
      '--json',
      'print { family, topicArn, messageId, recipients: [{ address, events, subscription }] }',
    )
    .action((family: string, options: { json?: boolean }, cmd: Command) => {
      emit({ command: 'notify-test', family: operand(cmd, 'family', family), json: options.json === true });
    });

  for (const [path, examples] of Object.entries(EXAMPLES)) {
    const cmd = commandAt(program, path);
    cmd.addHelpText(
      'after',
      `\nExamples:\n${examples.map((e) => `  $ amictl ${e}`).join('\n')}\n\n${EXIT_CODES_LINE}`,
    );
  }

  // amictl --help lists the commands one can run (config validate, config apply, ...), not the groups.
  program.configureHelp({
    visibleCommands: (cmd) => leaves(new Help().visibleCommands(cmd)),
    subcommandTerm: (cmd) => {
      const term = new Help().subcommandTerm(cmd);
      const group = cmd.parent !== null && cmd.parent !== program ? `${cmd.parent.name()} ` : '';
      return `${group}${term}`;
    },
  });

  // Set last, on every command: each translates its own errors (it knows its name and arguments).
  for (const cmd of everyCommand(program)) {
    cmd.exitOverride((error) => {
      if (error.code === 'commander.version') throw new VersionShown();
      if (error.exitCode === 0 || helpWritten) throw new HelpShown();
      throw usageError(program, cmd, error);
    });
  }
  return program;
};

const leaves = (commands: readonly Command[]): Command[] =>
  commands.flatMap((c) => (c.commands.length === 0 ? [c] : leaves(c.commands)));

const everyCommand = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(everyCommand)];

/** `config apply`: the words that name the command, without `amictl`. */
const pathOf = (cmd: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

const noun = (argument: string) => NOUNS[argument] ?? argument;

/**
 * `approve f 1 --reason --by alice` would approve with the reason "--by": an option whose value is one of
 * amictl's own options was given no value. Refused for every command in one place.
 */
const refuseOptionsAsValues = (program: Command, cmd: Command): void => {
  const known = new Set(everyCommand(program).flatMap((c) => c.options.flatMap((o) => [o.long, o.short])));
  for (const option of cmd.options) {
    if (!option.required && !option.optional) continue;
    const value: unknown = cmd.getOptionValue(option.attributeName());
    const word = typeof value === 'string' ? value.split('=')[0] : undefined;
    if (word !== undefined && known.has(word))
      throw new CliUsageError(`${option.long} needs a value, got the option ${word}`, pathOf(cmd));
  }
};

const operand = (cmd: Command, argument: string, value: string): string => {
  if (value.trim() === '') throw new CliUsageError(`${pathOf(cmd)} needs ${noun(argument)}`, pathOf(cmd));
  return value;
};

const text = (cmd: Command, flag: string, value: string | undefined): string | undefined => {
  if (value !== undefined && value.trim() === '')
    throw new CliUsageError(`${flag} must not be empty`, pathOf(cmd));
  return value;
};

/** Exactly one of `--image FAMILY@VERSION` and `--family FAMILY`. */
const holdTarget = (cmd: Command, image: string | undefined, family: string | undefined): HoldTarget => {
  if ((image === undefined) === (family === undefined))
    throw new CliUsageError(
      `${pathOf(cmd)} needs exactly one of --image FAMILY@VERSION and --family FAMILY`,
      pathOf(cmd),
    );
  if (family !== undefined) return { kind: 'family', family: text(cmd, '--family', family)! };
  const at = image!.indexOf('@');
  if (at <= 0 || at === image!.length - 1)
    throw new CliUsageError(`--image must be FAMILY@VERSION, got "${image}"`, pathOf(cmd));
  return { kind: 'image', family: image!.slice(0, at), version: image!.slice(at + 1) };
};

/** `--wait [--timeout D]`: how long to follow the build; `--timeout` alone is a mistake. */
const buildWait = (
  cmd: Command,
  wait: boolean,
  timeout: string | undefined,
): { timeout: string; timeoutSeconds: number } | undefined => {
  if (!wait) {
    if (timeout !== undefined) throw new CliUsageError('--timeout goes with --wait', pathOf(cmd));
    return undefined;
  }
  const given = timeout ?? DEFAULT_BUILD_TIMEOUT;
  const seconds = parseDuration(given);
  if (seconds === undefined)
    throw new CliUsageError(
      `--timeout must be a duration such as 90s, 45m, 2h or 1h30m, got "${given}"`,
      pathOf(cmd),
    );
  return { timeout: given.trim(), timeoutSeconds: seconds };
};

const positiveInteger = (cmd: Command, flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new CliUsageError(`${flag} must be a positive integer, got "${value}"`, pathOf(cmd));
  return n;
};

/** Commander's error, in amictl's words; the message of anything unforeseen is kept as it is. */
const usageError = (program: Command, cmd: Command, error: CommanderError): CliUsageError => {
  const path = pathOf(cmd);
  const fail = (message: string) => new CliUsageError(message, path, { cause: error });
  const bare = error.message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .replace('(Did you mean', '(did you mean');
  const subcommands = () =>
    cmd.commands
      .map((c) => c.name())
      .join(', ')
      .replace(/, ([^,]*)$/, ' or $1');
  switch (error.code) {
    case 'commander.help':
    case 'commander.unknownCommand': {
      // `amictl help nosuch` is the help command's unknown command.
      const word = cmd === program && cmd.args[0] === 'help' ? cmd.args[1] : cmd.args[0];
      if (cmd !== program)
        return fail(`${path} takes ${subcommands()}, got ${word ? `"${word}"` : 'nothing'}`);
      return fail(`unknown command "${word ?? ''}": use ${subcommands()}`);
    }
    case 'commander.unknownOption': {
      const flag = /unknown option '([^']+)'/.exec(bare)?.[1];
      const elsewhere =
        flag !== undefined &&
        everyCommand(program).some((c) => c.options.some((o) => o.long === flag || o.short === flag));
      if (!elsewhere) return fail(bare);
      if (cmd === program) return fail(`${flag} goes after the command, e.g. amictl images list ${flag}`);
      const at = cmd.args.indexOf(flag);
      const operands = (at < 0 ? cmd.args : cmd.args.slice(0, at)).filter((a) => !a.startsWith('-'));
      return fail(`${flag} does not go with "${[path, ...operands].join(' ')}"`);
    }
    case 'commander.missingArgument': {
      const argument = /missing required argument '([^']+)'/.exec(bare)?.[1];
      return fail(argument === undefined ? bare : `${path} needs ${noun(argument)}`);
    }
    case 'commander.excessArguments': {
      const expected = cmd.registeredArguments.map((a) => a.name());
      const extra = cmd.args.slice(expected.length);
      const takes = expected.length === 1 ? `one ${expected[0]}` : expected.join(' and ') || 'no arguments';
      return fail(`${path} takes ${takes}, got also "${extra.join(' ')}"`);
    }
    case 'commander.invalidArgument': {
      const choice =
        /^option '(--[\w-]+)[^']*' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/s.exec(bare);
      return fail(choice ? `${choice[1]} must be one of ${choice[3]}, got "${choice[2]}"` : bare);
    }
    default:
      return fail(bare);
  }
};
