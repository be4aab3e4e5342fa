import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { buildIdFor } from '@ami-lifecycle/build-service';
import {
  ChannelConflictError,
  ChannelTargetNotPublishedError,
  ConcurrentConfigApplyError,
  ConfigVersionConflictError,
  HoldNotFoundError,
  ImageNotFoundError,
  type PolicyConfigChange,
  type PolicyConfigStore,
  policyStorageIssues,
  StaleImageError,
} from '@ami-lifecycle/catalog';
import { type BuildRequestedDetail, buildRequested, type DetailOf } from '@ami-lifecycle/contracts';
import {
  type CatalogPort,
  type Clock,
  type EventPublisher,
  expiredWaivers,
  type FamilyConfig,
  FamilyNotConfiguredError,
  IllegalTransitionError,
  InvalidVersionError,
  imageKey,
  organizationConfigOf,
  parsePolicy,
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
import { type DeadLetterReader, showDeadLetters } from './dead-letter-commands';
import { RefusedError, unreachable } from './errors';
import { listFamilies } from './family-commands';
import { addHold, listHolds, removeHold } from './hold-commands';
import { listImages, showChannels, showImage } from './read-commands';
import { showRefreshHistory, showRefreshPlan } from './refresh-commands';
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
  /** Waits while SSM validates a rolled-back parameter; real time unless a test says otherwise. */
  pause?: (seconds: number) => Promise<void>;
  readFile: (path: string) => string;
  /** Who is acting, when `--by` does not say: the user name of the shell. */
  user: string | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * 0: done; 1: refused (a bad policy, an unknown family, version or sweep, an illegal transition, a sweep
 * not confirmed), nothing changed; 2: bad usage; 3: AWS or the local cloud could not be reached, or did
 * not take the credentials. Anything else is thrown: a bug, or an AWS failure amictl cannot name.
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
    const away = unreachable(error);
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
      deps.out(command.text);
      return 0;
    case 'config-validate': {
      const policy = readPolicy(command.file, deps);
      const names = Object.keys(policy.families);
      deps.out(`${command.file}: valid, ${names.length} families (${names.join(', ')})`);
      return 0;
    }
    case 'config-apply':
      return await applyPolicy(command.file, by(command.by), deps);
    case 'build':
      return await requestBuild(command, deps);
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

/**
 * Reads and validates the policy file, waivers judged against now; each expired waiver is a warning.
 * What the catalog could not store (an item over DynamoDB's 400 KB, measured as it will be stored) is
 * refused here too, so `config validate` passes only what `config apply` can store.
 */
const readPolicy = (file: string, deps: Pick<AmictlDeps, 'readFile' | 'clock' | 'err'>) => {
  let text: string;
  try {
    text = deps.readFile(file);
  } catch (error) {
    throw new RefusedError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const now = deps.clock.now();
  const policy = parsePolicy(text, file, { now, storable: policyStorageIssues });
  for (const w of expiredWaivers(policy, now)) {
    deps.err(
      `warning: ${file}: the waiver ${w.id} of ${w.family} expired at ${w.expiresAt} and excuses nothing`,
    );
  }
  return policy;
};

/**
 * Validates the whole file first (a bad file stores nothing), then stores the organisation config and
 * each family whose config changed as its next version, all at once or nothing (one policy apply of the
 * catalog): every config, changed or not, must still be at the version read here, or the apply is
 * refused before anything is written. An unchanged config keeps its version, so applying twice is a
 * no-op.
 */
const applyPolicy = async (file: string, by: string, deps: AmictlDeps): Promise<ExitCode> => {
  const policy = readPolicy(file, deps);
  const at = deps.clock.now().toISOString();
  const organization = organizationConfigOf(policy);
  const currentOrganization = await deps.catalog.getOrganizationConfig();
  const organizationChanged =
    currentOrganization === undefined || !isDeepStrictEqual(currentOrganization.config, organization);
  const families = await Promise.all(
    (Object.values(policy.families) as FamilyConfig[]).map(async (config) => {
      const current = await deps.catalog.getFamilyConfig(config.name);
      const changed = current === undefined || JSON.stringify(current.config) !== JSON.stringify(config);
      return { config, current, changed };
    }),
  );
  const change: PolicyConfigChange = {
    organization: {
      expectedCurrent: currentOrganization?.version ?? null,
      ...(organizationChanged ? { config: organization } : {}),
    },
    families: families.map(({ config, current, changed }) => ({
      family: config.name,
      expectedCurrent: current?.version ?? null,
      ...(changed ? { config } : {}),
    })),
    at,
    by,
  };
  const stored =
    organizationChanged || families.some((f) => f.changed)
      ? await deps.catalog.applyPolicyConfigs(change)
      : { families: [] };
  deps.out(
    stored.organization === undefined
      ? `organization config: unchanged (version ${currentOrganization?.version})`
      : `organization config: stored as version ${stored.organization.version}`,
  );
  for (const { config, current } of families) {
    const version = stored.families.find((f) => f.family === config.name)?.version;
    deps.out(
      version === undefined
        ? `${config.name}: unchanged (version ${current?.version})`
        : `${config.name}: stored as version ${version}`,
    );
  }
  return 0;
};

const requestBuild = async (
  command: Extract<AmictlCommand, { command: 'build' }>,
  deps: AmictlDeps,
): Promise<ExitCode> => {
  if ((await deps.catalog.getFamilyConfig(command.family)) === undefined) {
    throw new RefusedError(`family ${command.family} has no stored config; run amictl config apply first`);
  }
  const key = command.key ?? `amictl-${randomUUID()}`;
  const parsed = buildRequested.schema.safeParse({
    schemaVersion: 1,
    family: command.family,
    correlationId: randomUUID(),
    idempotencyKey: key,
    occurredAt: deps.clock.now().toISOString(),
    reason: command.reason,
    requestedBy: command.by ?? deps.user ?? 'amictl',
    force: command.force,
  });
  if (!parsed.success) {
    throw new RefusedError(
      `Build Requested would be invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(detail)'}: ${i.message}`).join('; ')}`,
    );
  }
  const detail: BuildRequestedDetail = parsed.data;
  const { eventId } = await deps.events.publish('Build Requested', detail);
  deps.out(
    `Build Requested for ${detail.family} (event ${eventId}, idempotency key ${key}, build id ${buildIdFor(detail.family, key)})`,
  );
  return 0;
};
