import {
  ChannelConflictError,
  ChannelTargetNotPublishedError,
  ConcurrentConfigApplyError,
  ConfigVersionConflictError,
  HoldNotFoundError,
  ImageNotFoundError,
  type PolicyConfigStore,
  StaleImageError,
} from '@ami-lifecycle/catalog';
import type { DetailOf } from '@ami-lifecycle/contracts';
import {
  type CatalogPort,
  type Clock,
  type EventPublisher,
  FamilyNotConfiguredError,
  type FindingsPort,
  IllegalTransitionError,
  InvalidVersionError,
  imageKey,
  ValidationError,
} from '@ami-lifecycle/core';
import {
  HoldRefusedError,
  OrganizationNotConfiguredError,
  PlanNotFoundError,
} from '@ami-lifecycle/decommission-service';
import {
  approveImage,
  ImageNotPublishableError,
  PublishRefusedError,
  type RegionalPorts,
  rejectImage,
  rollbackChannel,
} from '@ami-lifecycle/publish-service';
import { type AmictlCommand, CliUsageError, parseAmictlArgs } from './args';
import { type BuildTracker, requestBuild } from './build-commands';
import { applyPolicy, diffPolicy, validatePolicy } from './config-commands';
import { type DeadLetterReader, showDeadLetters } from './dead-letter-commands';
import { RefusedError, unreachable } from './errors';
import { listFamilies } from './family-commands';
import { addHold, listHolds, removeHold } from './hold-commands';
import { showLineage } from './lineage-commands';
import { type NotificationsPort, NotificationsTopicError, testNotifications } from './notify-commands';
import { listImages, showChannels, showImage } from './read-commands';
import { showRefreshHistory, showRefreshPlan } from './refresh-commands';
import { runReport } from './report';
import { applyRetention, type RetentionPorts, showRetention, showRetentionPlan } from './retention-commands';

/** The events amictl puts on the bus itself or through the publish service. */
export type AmictlEvents = {
  [T in 'Build Requested' | 'Image Approved' | 'Image Rejected' | 'Image Published']: DetailOf<T>;
};

/** What amictl works with; `main.ts` wires AWS (or the local cloud's endpoints), tests their own. */
export interface AmictlDeps {
  /** The catalog, and its all-or-nothing store of a policy's configs (`config apply`). */
  catalog: CatalogPort & PolicyConfigStore;
  events: EventPublisher<AmictlEvents>;
  clock: Clock;
  /** The home region: where images are built, whose AMI the approval events name. */
  region: string;
  /**
   * EC2 images and SSM parameters per region: a channel rollback's parameters, and the deregistration
   * protection that holds turn on and off.
   */
  regions: RegionalPorts;
  /**
   * What `retention plan` and `retention apply` need: EC2's managed AMIs per region (`inventory`), the
   * usage in each account images are shared with, through its role (`sharedUsage`), and the starter of
   * the decommission state machine (`sweeps`). `main.ts` always wires it; a library caller without it
   * gets a thrown error from those two commands (exit 4 from `main.ts`).
   */
  decommission?: RetentionPorts;
  /**
   * Asks a yes/no question on the terminal (`retention apply` without `--yes`); absent when there is no
   * terminal, and then `retention apply` needs `--yes` (exit 2 otherwise).
   */
  confirm?: (question: string) => Promise<boolean>;
  /** The events dead-letter queue, for `events rejected`; `main.ts` wires SQS. */
  deadLetters?: DeadLetterReader;
  /**
   * The stage's notifications topic, for `notify test`: its subscriptions, and the test message sent to
   * it; `main.ts` wires SNS (`snsNotifications`).
   */
  notifications?: NotificationsPort;
  /** Waits while SSM validates a rolled-back parameter; real time unless a test says otherwise. */
  pause?: (seconds: number) => Promise<void>;
  /**
   * Waits between two looks at a build that `build --wait` follows (seconds); real time unless a test
   * says otherwise (against the local cloud, tests advance the simulated clock). The wait is bounded by
   * `clock` and by the number of looks, so a clock that never moves still ends it.
   */
  sleep?: (seconds: number) => Promise<void>;
  /**
   * The build state machine's executions, by build id: what `build --wait` reports before the image is
   * registered (builder, components) and the reason of a build that failed without one. Without it,
   * `build --wait` follows the catalog alone.
   */
  builds?: BuildTracker;
  /** Inspector's findings of an AMI: the CVEs `build --wait` names for an image the gate rejected. */
  findings?: Pick<FindingsPort, 'listFindingsForImage'>;
  /**
   * Whether to colour what is printed (states, verdicts, outcomes); never JSON. `main.ts` sets it when
   * stdout is a terminal and `NO_COLOR` is empty (`useColor`). Default: no colour.
   */
  color?: boolean;
  /** `AWS_ENDPOINT_URL`, for messages: the endpoint every client was made with (undefined: AWS's own). */
  endpoint?: string | undefined;
  /**
   * Writes a file of the operator's (`report --html FILE`): the path as given, the whole content.
   * Without it, `report --html` is refused as bad usage (exit 2).
   */
  writeFile?: (path: string, content: string) => void;
  readFile: (path: string) => string;
  /** Who is acting, when `--by` does not say: the user name of the shell. */
  user: string | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * 0: done; 1: refused (a bad policy, an unknown family, version or sweep, an illegal transition, a sweep
 * not confirmed), nothing changed, or a followed build or a test message that did not get through to
 * all (`build --wait`, `notify test`); 2: bad usage; 3: AWS or the local cloud could not be reached, or
 * did not take the credentials, or lacks the notifications topic. Anything else is thrown: a bug, or an
 * AWS failure amictl cannot name.
 */
export type ExitCode = 0 | 1 | 2 | 3;

/** Errors that mean: understood, refused, nothing changed. Their message is all the user needs. */
const REFUSALS = [
  RefusedError,
  ValidationError,
  PublishRefusedError,
  ImageNotPublishableError,
  IllegalTransitionError,
  InvalidVersionError,
  FamilyNotConfiguredError,
  ImageNotFoundError,
  StaleImageError,
  ChannelConflictError,
  ChannelTargetNotPublishedError,
  ConfigVersionConflictError,
  ConcurrentConfigApplyError,
  HoldRefusedError,
  HoldNotFoundError,
  OrganizationNotConfiguredError,
  PlanNotFoundError,
] as const;

export const runAmictl = async (argv: readonly string[], deps: AmictlDeps): Promise<ExitCode> => {
  const badUsage = (error: CliUsageError): ExitCode => {
    deps.err(`amictl: ${error.message}`);
    deps.err(`(see amictl ${error.command ? `${error.command} ` : ''}--help)`);
    return 2;
  };
  let command: AmictlCommand;
  try {
    command = parseAmictlArgs(argv);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    return badUsage(error);
  }
  try {
    return await run(command, deps);
  } catch (error) {
    // A command may find it was asked in a way it cannot do (retention apply without --yes or a terminal).
    if (error instanceof CliUsageError) return badUsage(error);
    if (REFUSALS.some((refusal) => error instanceof refusal)) {
      deps.err(`amictl: ${(error as Error).message}`);
      return 1;
    }
    if (error instanceof NotificationsTopicError) {
      deps.err(`amictl: ${error.problem}`);
      deps.err(`amictl: ${error.hint}`);
      return 3;
    }
    const away = unreachable(error, { endpoint: deps.endpoint, region: deps.region });
    if (away !== undefined) {
      deps.err(`amictl: ${away.problem}`);
      deps.err(`amictl: ${away.hint}`);
      return 3;
    }
    throw error;
  }
};

const run = async (command: AmictlCommand, deps: AmictlDeps): Promise<ExitCode> => {
  const by = (named: string | undefined) => named ?? deps.user ?? 'amictl';
  switch (command.command) {
    case 'help':
    case 'version':
      deps.out(command.text);
      return 0;
    case 'config-validate':
      return validatePolicy(command, deps) ? 0 : 1;
    case 'config-apply':
      await applyPolicy(command.file, by(command.by), deps);
      return 0;
    case 'config-diff':
      await diffPolicy(command, deps);
      return 0;
    case 'build':
      return await requestBuild(command, { ...deps, sleep: deps.sleep ?? realPause });
    case 'lineage':
      await showLineage(
        deps.catalog,
        { family: command.family, format: command.format, color: deps.color ?? false },
        deps.out,
      );
      return 0;
    case 'report': {
      const { writeFile } = deps;
      if (command.html !== undefined && writeFile === undefined)
        throw new CliUsageError('report --html needs a place to write files; use --json', 'report');
      await runReport(
        {
          catalog: deps.catalog,
          clock: deps.clock,
          ...(deps.decommission === undefined ? {} : { inventory: deps.decommission.inventory }),
        },
        { html: command.html, json: command.json },
        deps.out,
        writeFile ?? (() => undefined),
      );
      return 0;
    }
    case 'images-list':
      await listImages(command, deps);
      return 0;
    case 'image-show':
      await showImage(command, deps);
      return 0;
    case 'channel-show':
      await showChannels(command, deps);
      return 0;
    case 'refresh-plan':
      await showRefreshPlan(command, deps);
      return 0;
    case 'refresh-history':
      await showRefreshHistory(command, deps);
      return 0;
    case 'hold-add':
      await addHold(command, deps);
      return 0;
    case 'hold-list':
      await listHolds(command, deps);
      return 0;
    case 'hold-remove':
      await removeHold(command, deps);
      return 0;
    case 'retention-plan':
      await showRetentionPlan(command, deps);
      return 0;
    case 'retention-apply':
      await applyRetention(command, deps);
      return 0;
    case 'retention-show':
      await showRetention(command, deps);
      return 0;
    case 'events-rejected':
      await showDeadLetters(command, deps);
      return 0;
    case 'notify-test':
      return await testNotifications(command, deps);
    case 'families-list':
      await listFamilies(command, deps);
      return 0;
    case 'approve':
    case 'reject': {
      const decide = command.command === 'approve' ? approveImage : rejectImage;
      const image = await decide(
        { family: command.family, version: command.version, by: by(command.by), reason: command.reason },
        { catalog: deps.catalog, events: deps.events, clock: deps.clock, region: deps.region },
      );
      deps.out(
        `${imageKey(image)}: ${image.state} (${command.command === 'approve' ? 'Image Approved' : 'Image Rejected'} sent)`,
      );
      return 0;
    }
    case 'channel-rollback': {
      const { channel, fromVersion } = await rollbackChannel(
        {
          family: command.family,
          channel: command.channel,
          toVersion: command.to,
          by: by(command.by),
          reason: command.reason,
        },
        {
          catalog: deps.catalog,
          events: deps.events,
          clock: deps.clock,
          region: deps.region,
          regions: deps.regions,
          pause: deps.pause ?? realPause,
        },
      );
      deps.out(
        `${command.family} channel ${channel.name}: ${fromVersion} -> ${channel.version} (revision ${channel.revision})`,
      );
      return 0;
    }
  }
};

const realPause = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));
