import { randomUUID } from 'node:crypto';
import { buildIdFor } from '@ami-lifecycle/build-service';
import { type BuildRequestedDetail, buildRequested } from '@ami-lifecycle/contracts';
import {
  type AuditRecord,
  type CatalogPort,
  type Clock,
  type EventPublisher,
  evaluateGate,
  type FindingsPort,
  type Gate,
  type GateFinding,
  type Image,
  imageKey,
  judgesImage,
  parseStoredConfig,
  SEVERITIES,
  type Severity,
} from '@ami-lifecycle/core';
import type { AmictlCommand } from './args';
import { RefusedError, unreachable } from './errors';
import { allPages, amiList, formatDuration, json, paint, stateTone, type Tone } from './output';
import { type ImageView, imageView } from './read-commands';

/** Seconds between two looks at a build that `build --wait` follows. */
export const BUILD_POLL_SECONDS = 30;

/**
 * How long `build --wait` waits for the build service to take the request (an image registered, or an
 * execution of the build state machine) before it says the request was not taken.
 */
export const BUILD_START_GRACE_SECONDS = 10 * 60;

/** One line of a followed build: what happened, and when (ISO). */
export interface ProgressLine {
  at: string;
  text: string;
}

/** What the build state machine's execution of one build says: its status, its steps, why it failed. */
export interface BuildExecutionView {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  /** What it did so far, oldest first: started, builder launched and running, each component, builder stopped. */
  steps: ProgressLine[];
  /** Why it failed, as its FailBuild step recorded it (`run-components: ComponentFailedError: ...`). */
  failure: string | undefined;
  /** The request's build existed already, or its inputs were built before: that image. */
  duplicateOf: { family: string; version: string } | undefined;
}

/** The executions of the build state machine, by build id (their execution name). */
export interface BuildTracker {
  /** Undefined while no execution of that name exists. */
  execution(buildId: string): Promise<BuildExecutionView | undefined>;
}

/** What `build` needs of amictl's deps. */
export interface BuildDeps {
  catalog: CatalogPort;
  events: EventPublisher<{ 'Build Requested': BuildRequestedDetail }>;
  clock: Clock;
  region: string;
  /** `AWS_ENDPOINT_URL`, for the message when AWS could not be reached while following a build. */
  endpoint?: string | undefined;
  user: string | undefined;
  /** The build state machine's executions: the steps before an image exists, and the failures without one. */
  builds?: BuildTracker | undefined;
  /** Inspector's findings, to name the CVEs of an image the gate rejected. */
  findings?: Pick<FindingsPort, 'listFindingsForImage'> | undefined;
  /** Waits between two looks (seconds); `main.ts` waits in real time, tests advance their clock. */
  sleep: (seconds: number) => Promise<void>;
  color?: boolean | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `build --json` without `--wait`: the request amictl put on the bus. */
export interface BuildRequestView {
  eventId: string;
  family: string;
  idempotencyKey: string;
  /** The id the build runs under: the build state machine's execution name, the image's `buildId`. */
  buildId: string;
  correlationId: string;
  reason: string;
  requestedBy: string;
  force: boolean;
  requestedAt: string;
}

export const BUILD_OUTCOMES = [
  'published',
  'awaiting-approval',
  'rejected',
  'failed',
  'publication-failed',
  // The image is out of use: its build, or the earlier one of the same inputs, was published and then
  // deprecated, disabled or retired.
  'deprecated',
  'disabled',
  'retired',
  'not-started',
  'timed-out',
  // Following the build failed (AWS unreachable, an error amictl cannot name): the request is on the
  // bus and the build goes on, amictl does not know how it ends.
  'unknown',
] as const;
export type BuildOutcome = (typeof BUILD_OUTCOMES)[number];

/** `build --wait --json`: the request, how it ended, and what happened on the way. */
export interface BuildOutcomeView {
  request: BuildRequestView;
  outcome: BuildOutcome;
  /** Why it did not succeed (the failing step's error, the gate's reasons, what it is still doing); null on success. */
  reason: string | null;
  /** The image as `images list --json` shows it; null when none was registered. */
  image: ImageView | null;
  /** The same request or inputs were built before: `image` is that build's, nothing new was built. */
  alreadyBuilt: boolean;
  /**
   * The findings that broke the gate's limits, for a rejected image (read from Inspector): one per
   * finding, so a CVE found on two packages is there twice, under two finding ids.
   */
  failingFindings: FailingFinding[];
  /** Every progress line, oldest first. */
  progress: ProgressLine[];
}

/** A finding that broke the gate's limits: its CVE (or finding id, without one), severity and Inspector id. */
export interface FailingFinding {
  vulnerabilityId: string;
  severity: Severity;
  findingId: string;
}

/** Exit 0 for these outcomes; 1 for the others. */
const SUCCEEDED: ReadonlySet<BuildOutcome> = new Set(['published', 'awaiting-approval']);

/**
 * `build`: checks the family's stored config (it must exist and parse, or the build service would
 * refuse the request), puts `Build Requested` on the bus, and with `--wait` follows the build to its
 * outcome. Answers the exit code.
 */
export const requestBuild = async (
  command: Extract<AmictlCommand, { command: 'build' }>,
  deps: BuildDeps,
): Promise<0 | 1> => {
  const stored = await deps.catalog.getFamilyConfig(command.family);
  if (stored === undefined) {
    throw new RefusedError(`family ${command.family} has no stored config; run amictl config apply first`);
  }
  try {
    parseStoredConfig(command.family, stored);
  } catch (error) {
    // The build service would refuse the request for it: refused here, with nothing put on the bus.
    throw new RefusedError(`${(error as Error).message}\napply a valid policy first (amictl config apply)`);
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
  const request: BuildRequestView = {
    eventId,
    family: detail.family,
    idempotencyKey: key,
    buildId: buildIdFor(detail.family, key),
    correlationId: detail.correlationId,
    reason: detail.reason,
    requestedBy: detail.requestedBy,
    force: detail.force,
    requestedAt: detail.occurredAt,
  };
  const requested = `Build Requested for ${detail.family} (event ${eventId}, idempotency key ${key}, build id ${request.buildId})`;
  if (command.wait === undefined) {
    deps.out(command.json ? json(request) : requested);
    return 0;
  }
  if (!command.json) deps.out(requested);
  const { view, lost } = await followBuild(request, { ...command.wait, json: command.json }, deps);
  if (lost !== undefined) return lostTrack(view, lost, command.json, deps);
  if (command.json) deps.out(json(view));
  else {
    const color = paint(deps.color ?? false);
    const closing = closingLine(view);
    if (SUCCEEDED.has(view.outcome)) deps.out(color('good', closing));
    else deps.err(`amictl: ${closing}`);
  }
  return SUCCEEDED.has(view.outcome) ? 0 : 1;
};

/** `'s p a c e s'` for the shell, or the word as it is when the shell takes it so. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * The command that follows a requested build again: the same request under the same idempotency key,
 * which the build service answers with the same build (the build id, and so the name of the build state
 * machine's execution, derive from the key: a second start of that execution is a duplicate), so
 * nothing new is built.
 */
const followAgainCommand = (request: BuildRequestView): string =>
  [
    'amictl build',
    shellWord(request.family),
    `--key ${shellWord(request.idempotencyKey)}`,
    ...(request.force ? ['--force'] : []),
    ...(request.reason === 'manual' ? [] : [`--reason ${shellWord(request.reason)}`]),
    '--wait',
  ].join(' ');

/** A build whose request is on the bus, followed until amictl lost track of it. */
export class BuildFollowError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'BuildFollowError';
  }
}

/**
 * Following a build failed after its request was put on the bus: the request still stands and its build
 * goes on, so what is printed says which build it is and how to follow it again (with `--json`, the
 * request with the outcome `unknown`). Then the error: AWS or the local cloud unreachable is thrown as it
 * is (exit 3 and what to check, from `runAmictl`), anything else as a `BuildFollowError` (exit 4 from
 * `main.ts`), never as a refusal (exit 1 says nothing changed, and the request is on the bus).
 */
const lostTrack = (view: BuildOutcomeView, error: unknown, asJson: boolean, deps: BuildDeps): never => {
  const { request, image } = view;
  const away = unreachable(error, { endpoint: deps.endpoint, region: deps.region });
  const cause = away?.problem ?? (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  const follow =
    `follow it again with ${followAgainCommand(request)} (the same key is the same build: nothing new is built)` +
    (image === null ? '' : `, or look with amictl image show ${image.family} ${image.version}`);
  if (asJson) {
    deps.out(
      json({ ...view, reason: `could not follow the build: ${cause}; its request is on the bus: ${follow}` }),
    );
  } else {
    deps.err(
      `amictl: lost track of build ${request.buildId} of ${request.family} (idempotency key ${request.idempotencyKey}); ` +
        `its request is on the bus and the build goes on: ${follow}`,
    );
  }
  if (away !== undefined) throw error;
  throw new BuildFollowError(`could not follow build ${request.buildId}: ${cause}`, { cause: error });
};

/** The last line: how the build ended, and what to do next. */
const closingLine = (view: BuildOutcomeView): string => {
  const image = view.image;
  const name = image === null ? view.request.family : `${image.family} ${image.version}`;
  const again = view.alreadyBuilt
    ? ' (built before from the same request or inputs; --force builds anew)'
    : '';
  if (view.alreadyBuilt && image !== null && ENDED_BADLY.has(view.outcome)) {
    const as = view.outcome === 'publication-failed' ? 'approved, and its publication failed' : view.outcome;
    return (
      `the same inputs were already built as ${name}, which is ${as}: ${view.reason}; ` +
      'use --force to build again (without --key, or with a new one)'
    );
  }
  switch (view.outcome) {
    case 'published':
      return `${name}: published${again} (${amiList(image?.amiIds ?? {})}; channels ${image?.channels.join(', ') || 'none'})`;
    case 'awaiting-approval':
      return (
        `${name}: passed its inspection${again} and waits for a person's approval (its family says approval: manual): ` +
        `amictl approve ${image?.family} ${image?.version} --reason TEXT`
      );
    case 'rejected':
    case 'failed':
    case 'publication-failed':
      return `${name}: ${view.outcome.replace('-', ' ')}${again}: ${view.reason}`;
    case 'deprecated':
    case 'disabled':
    case 'retired':
      return `${name}: ${view.outcome}: ${view.reason}`;
    case 'not-started':
    case 'timed-out':
    case 'unknown':
      return view.reason ?? `${name}: ${view.outcome}`;
  }
};

/** The outcomes of an image that will not be published (again): a build or an image that ended badly. */
const ENDED_BADLY: ReadonlySet<BuildOutcome> = new Set([
  'rejected',
  'failed',
  'publication-failed',
  'deprecated',
  'disabled',
  'retired',
]);

/** `2026-03-01T09:00:30Z`: progress lines are seconds apart. */
const seconds = (iso: string): string => (iso.length >= 19 ? `${iso.slice(0, 19)}Z` : iso);

const severityText = (findings: Image['findings']): string => {
  if (findings === undefined) return '';
  const counted = SEVERITIES.filter((s) => findings[s] > 0).map((s) => `${findings[s]} ${s}`);
  return ` (findings: ${counted.join(', ') || 'none'})`;
};

/** An audit record as a progress line. */
const auditLine = (record: AuditRecord, image: Image, color: ReturnType<typeof paint>): ProgressLine => {
  if (record.action === 'create')
    return {
      at: record.at,
      text: `${image.family} ${image.version} registered, ${color('busy', 'building')}: ${record.reason}`,
    };
  if (record.from !== undefined || record.to !== undefined) {
    const verdict = record.to === 'approved' || record.to === 'rejected' ? severityText(image.findings) : '';
    const to = record.to ?? '-';
    return {
      at: record.at,
      text: `${record.from ?? '-'} -> ${color(stateTone(to), to)}${verdict}: ${record.reason}`,
    };
  }
  const label: Record<string, [string, Tone | undefined]> = {
    'ami-created': ['image created', undefined],
    'inspection-recorded': [`verdict recorded${severityText(image.findings)}`, undefined],
    'inspection-failed': ['inspection failed', 'bad'],
    'publication-failed': ['publication failed', 'bad'],
  };
  const channel = /^set-channel:(.+)$/.exec(record.action)?.[1];
  const [text, tone] =
    channel !== undefined
      ? [`channel ${channel} now points at ${image.version}`, undefined]
      : (label[record.action] ?? [record.action, undefined]);
  return { at: record.at, text: `${color(tone, text)}: ${record.reason}` };
};

/**
 * The family's gate as it stood when the image was judged: the config version the verdict's audit record
 * names (`policyVersion`), else the one the image was built with; today's, with a note, when that version
 * is gone from the catalog or no longer parses. Undefined when the family has no config at all.
 */
const gateOfVerdict = async (
  image: Image,
  policyVersion: number | undefined,
  catalog: Pick<CatalogPort, 'getFamilyConfig'>,
): Promise<{ gate: Gate; note: string } | undefined> => {
  const version = policyVersion ?? image.configVersion;
  let gone = 'no config version is recorded for its verdict';
  if (version !== undefined) {
    const then = await catalog.getFamilyConfig(image.family, version);
    gone = `config version ${version}, which judged it, is gone`;
    if (then !== undefined) {
      try {
        return { gate: parseStoredConfig(image.family, then).config.inspect.gate, note: '' };
      } catch {
        gone = `config version ${version}, which judged it, no longer parses`;
      }
    }
  }
  const today = await catalog.getFamilyConfig(image.family);
  if (today === undefined) return undefined;
  const { config, version: current } = parseStoredConfig(image.family, today);
  return {
    gate: config.inspect.gate,
    note: `; findings judged by today's config (version ${current}): ${gone}`,
  };
};

/**
 * The findings that broke the gate: Inspector's findings of the AMI on the instances that judge it (its
 * test instance and workloads; not our instances of another image, such as a child's builder), each
 * finding once (by its id: two findings of one CVE on two packages stay two), judged by the gate of the
 * config version the verdict was made under, at the verdict's time. `note` says when that gate was not
 * to be had and today's judged instead.
 */
const failingFindings = async (
  image: Image,
  verdict: { at: string; policyVersion: number | undefined },
  deps: Pick<BuildDeps, 'catalog' | 'findings' | 'region'>,
): Promise<{ failing: FailingFinding[]; note: string }> => {
  const amiId = image.amiIds[deps.region];
  if (deps.findings === undefined || amiId === undefined) return { failing: [], note: '' };
  const judged = await gateOfVerdict(image, verdict.policyVersion, deps.catalog);
  if (judged === undefined) return { failing: [], note: '' };
  const { gate } = judged;
  // The test instance is gone by now, so its findings are closed: they are what the gate counted.
  const byId = new Map<string, GateFinding>();
  for (const f of await deps.findings.listFindingsForImage(amiId)) {
    if (f.status === 'SUPPRESSED' || !judgesImage(f.instanceTags, image)) continue;
    byId.set(f.id, {
      id: f.id,
      cve: f.cve,
      severity: f.severity,
      fixAvailable: f.fixAvailable,
      status: 'ACTIVE',
    });
  }
  const found = [...byId.values()];
  const evaluated = evaluateGate({ findings: found, gate, now: new Date(verdict.at) });
  const waived = new Set(evaluated.waived);
  const over = new Set(
    SEVERITIES.filter((s) => {
      const max = gate.maxFindings[s];
      return max !== undefined && evaluated.counted[s] > max;
    }),
  );
  const failing = found
    .filter((f) => over.has(f.severity) && !waived.has(f.id) && (!gate.fixAvailableOnly || f.fixAvailable))
    .map((f) => ({ vulnerabilityId: f.cve ?? f.id, severity: f.severity, findingId: f.id }))
    .sort(
      (a, b) =>
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
        a.vulnerabilityId.localeCompare(b.vulnerabilityId) ||
        a.findingId.localeCompare(b.findingId),
    );
  return { failing, note: judged.note };
};

/** `CVE-2024-38476 (CRITICAL)`, or `CVE-2024-38476 (CRITICAL, 2 findings)` when it was found twice (two packages). */
const failingText = (failing: readonly FailingFinding[]): string => {
  const byCve = new Map<string, { severity: Severity; count: number }>();
  for (const f of failing) {
    const key = `${f.vulnerabilityId}\u0000${f.severity}`;
    const seen = byCve.get(key);
    if (seen === undefined) byCve.set(key, { severity: f.severity, count: 1 });
    else seen.count += 1;
  }
  return [...byCve]
    .map(([key, { severity, count }]) => {
      const cve = key.slice(0, key.indexOf('\u0000'));
      return `${cve} (${severity}${count > 1 ? `, ${count} findings` : ''})`;
    })
    .join(', ');
};

const findByBuildId = async (catalog: CatalogPort, family: string, buildId: string) =>
  (await allPages(`the images of ${family}`, (page) => catalog.listImagesByFamily(family, page))).find(
    (i) => i.buildId === buildId,
  );

const ENDED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * The image and its audit trail as of one moment: the services move it while amictl reads, so the image
 * is read again after its trail, until both agree (the same `stateVersion`, which every write moves on).
 */
const imageWithAudit = async (
  catalog: CatalogPort,
  first: Image,
): Promise<{ image: Image; audit: AuditRecord[] }> => {
  let image = first;
  for (let attempt = 1; ; attempt++) {
    const { family, version } = image;
    const audit = await allPages(`the audit trail of ${imageKey(image)}`, (page) =>
      catalog.listAudit(family, version, page),
    );
    audit.sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
    const again = (await catalog.getImage(family, version)) ?? image;
    if (again.stateVersion === image.stateVersion || attempt >= 5) return { image: again, audit };
    image = again;
  }
};

/**
 * Follows a requested build by polling the catalog (its image, found by the build id, then its state
 * and audit trail) and, when wired, the build state machine's execution (the steps before the image is
 * registered, and a failure without one), every `BUILD_POLL_SECONDS` until an outcome or the timeout.
 * Progress lines are printed as they are found (not with `--json`: they are in the answer).
 *
 * A look that fails (AWS unreachable, any error) ends the following, not the build: the answer is then
 * the outcome `unknown` with what was seen so far (the image as last read), and `lost` the error.
 */
export const followBuild = async (
  request: BuildRequestView,
  options: { timeoutSeconds: number; timeout: string; json: boolean },
  deps: BuildDeps,
): Promise<{ view: BuildOutcomeView; lost?: unknown }> => {
  const seen: Seen = { progress: [], alreadyBuilt: false, image: undefined };
  try {
    return { view: await follow(request, options, deps, seen) };
  } catch (error) {
    const last = seen.image;
    const channels = last === undefined ? [] : await deps.catalog.listChannels(last.family).catch(() => []);
    return {
      view: {
        request,
        outcome: 'unknown',
        reason: error instanceof Error ? error.message : String(error),
        image: last === undefined ? null : imageView(last, channels),
        alreadyBuilt: seen.alreadyBuilt,
        failingFindings: [],
        progress: seen.progress,
      },
      lost: error,
    };
  }
};

/** What following a build saw so far: the lines printed, whether it follows an earlier build, the image. */
interface Seen {
  progress: ProgressLine[];
  alreadyBuilt: boolean;
  /** The image as last read. */
  image: Image | undefined;
}

const follow = async (
  request: BuildRequestView,
  options: { timeoutSeconds: number; timeout: string; json: boolean },
  deps: BuildDeps,
  seen: Seen,
): Promise<BuildOutcomeView> => {
  const color = paint(!options.json && (deps.color ?? false));
  const { progress } = seen;
  const seenAudit = new Set<string>();
  let stepsSeen = 0;
  let target: { family: string; version: string } | undefined;
  const startedMs = deps.clock.now().getTime();
  const maxPolls = Math.ceil(options.timeoutSeconds / BUILD_POLL_SECONDS) + 1;
  const print = (lines: ProgressLine[]) => {
    lines.sort((a, b) => a.at.localeCompare(b.at));
    for (const line of lines) {
      progress.push(line);
      if (!options.json) deps.out(`${seconds(line.at)}  ${line.text}`);
    }
  };
  const ended = async (
    outcome: BuildOutcome,
    image: Image | undefined,
    reason: string | null,
    failing: BuildOutcomeView['failingFindings'] = [],
  ): Promise<BuildOutcomeView> => ({
    request,
    outcome,
    reason,
    image: image === undefined ? null : imageView(image, await deps.catalog.listChannels(image.family)),
    alreadyBuilt: seen.alreadyBuilt,
    failingFindings: failing,
    progress,
  });

  for (let poll = 1; ; poll++) {
    const lines: ProgressLine[] = [];
    const execution = await deps.builds?.execution(request.buildId);
    if (execution !== undefined) {
      lines.push(...execution.steps.slice(stepsSeen));
      stepsSeen = execution.steps.length;
    }
    let image: Image | undefined;
    if (target === undefined) {
      image = await findByBuildId(deps.catalog, request.family, request.buildId);
      if (image !== undefined) target = { family: image.family, version: image.version };
      else if (execution?.duplicateOf !== undefined) {
        target = execution.duplicateOf;
        seen.alreadyBuilt = true;
      }
    }
    if (target !== undefined) image ??= await deps.catalog.getImage(target.family, target.version);
    if (image !== undefined) seen.image = image;
    let audit: AuditRecord[] = [];
    if (image !== undefined) {
      ({ image, audit } = await imageWithAudit(deps.catalog, image));
      seen.image = image;
      const firstLook = seenAudit.size === 0;
      const fresh = audit.filter((r) => !seenAudit.has(`${r.at}|${r.seq}`));
      for (const r of fresh) seenAudit.add(`${r.at}|${r.seq}`);
      // A build done before this request: its story is not this request's, only where it stands now.
      if (seen.alreadyBuilt && firstLook)
        lines.push({
          at: deps.clock.now().toISOString(),
          text: `${image.family} ${image.version} was built before from the same request or inputs; it is ${color(stateTone(image.state), image.state)}`,
        });
      else lines.push(...fresh.map((r) => auditLine(r, image!, color)));
    }
    print(lines);

    if (image !== undefined) {
      const lastTo = (state: string) => [...audit].reverse().find((r) => r.to === state);
      switch (image.state) {
        case 'published':
          return ended('published', image, null);
        case 'deprecated':
        case 'disabled':
        case 'retired':
          // Out of use (or on its way out): not what a build is asked for (exit 1, saying so).
          return ended(image.state, image, lastTo(image.state)?.reason ?? 'no reason recorded');
        case 'rejected': {
          const rejection = lastTo('rejected');
          let failing: FailingFinding[] = [];
          let note = '';
          try {
            ({ failing, note } = await failingFindings(
              image,
              { at: rejection?.at ?? image.stateChangedAt, policyVersion: rejection?.policyVersion },
              deps,
            ));
          } catch (error) {
            note = `; its failing findings could not be read: ${(error as Error).message}`;
          }
          const cves = failing.length === 0 ? '' : `; failing findings: ${failingText(failing)}`;
          return ended(
            'rejected',
            image,
            `${image.reason ?? rejection?.reason ?? 'no reason recorded'}${cves}${note}`,
            failing,
          );
        }
        case 'failed':
          return ended(
            'failed',
            image,
            image.reason ?? lastTo('failed')?.reason ?? execution?.failure ?? 'no reason recorded',
          );
        case 'inspecting':
          if (image.verdict === 'pass') return ended('awaiting-approval', image, null);
          break;
        case 'approved': {
          const last = audit[audit.length - 1];
          if (last?.action === 'publication-failed') return ended('publication-failed', image, last.reason);
          break;
        }
        case 'building':
          // FailBuild marks the image failed; should that step itself have failed, the execution says why.
          if (execution !== undefined && ENDED.has(execution.status) && execution.failure !== undefined)
            return ended('failed', image, execution.failure);
          break;
      }
    } else if (execution !== undefined && ENDED.has(execution.status)) {
      return ended(
        'failed',
        undefined,
        execution.failure ?? `the build's execution ended ${execution.status} before an image was registered`,
      );
    }

    const elapsed = (deps.clock.now().getTime() - startedMs) / 1000;
    if (image === undefined && execution === undefined && elapsed >= BUILD_START_GRACE_SECONDS) {
      return ended(
        'not-started',
        undefined,
        `the build service has not taken build ${request.buildId} after ${formatDuration(elapsed)}: no image and ` +
          `no execution of that name; it may have refused the request (amictl events rejected)` +
          (deps.builds === undefined ? ', or the same inputs were built before (--force builds anew)' : ''),
      );
    }
    if (elapsed >= options.timeoutSeconds || poll >= maxPolls) {
      const doing =
        image === undefined
          ? 'not started'
          : image.state === 'approved'
            ? 'still publishing'
            : `still ${image.state}`;
      const follow =
        image === undefined
          ? `amictl images list --family ${request.family}`
          : `amictl image show ${image.family} ${image.version}`;
      return ended(
        'timed-out',
        image,
        `${image === undefined ? `build ${request.buildId}` : `${image.family} ${image.version}`} ${doing} after ${options.timeout}; follow with ${follow}`,
      );
    }
    await deps.sleep(BUILD_POLL_SECONDS);
  }
};
