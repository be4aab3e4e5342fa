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
  type GateFinding,
  type Image,
  imageKey,
  parseStoredConfig,
  SEVERITIES,
  type Severity,
} from '@ami-lifecycle/core';
import type { AmictlCommand } from './args';
import { RefusedError } from './errors';
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
  'not-started',
  'timed-out',
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
  /** The findings that broke the gate's limits, for a rejected image (read from Inspector). */
  failingFindings: { vulnerabilityId: string; severity: Severity }[];
  /** Every progress line, oldest first. */
  progress: ProgressLine[];
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
  const view = await followBuild(request, { ...command.wait, json: command.json }, deps);
  if (command.json) deps.out(json(view));
  else {
    const color = paint(deps.color ?? false);
    const closing = closingLine(view);
    if (SUCCEEDED.has(view.outcome)) deps.out(color('good', closing));
    else deps.err(`amictl: ${closing}`);
  }
  return SUCCEEDED.has(view.outcome) ? 0 : 1;
};

/** The last line: how the build ended, and what to do next. */
const closingLine = (view: BuildOutcomeView): string => {
  const image = view.image;
  const name = image === null ? view.request.family : `${image.family} ${image.version}`;
  const again = view.alreadyBuilt
    ? ' (built before from the same request or inputs; --force builds anew)'
    : '';
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
    case 'not-started':
    case 'timed-out':
      return view.reason ?? `${name}: ${view.outcome}`;
  }
};

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

/** The findings that broke the gate, by CVE: Inspector's findings of the AMI, judged by the family's gate. */
const failingFindings = async (
  image: Image,
  verdictAt: string,
  deps: Pick<BuildDeps, 'catalog' | 'findings' | 'region'>,
): Promise<BuildOutcomeView['failingFindings']> => {
  const amiId = image.amiIds[deps.region];
  const stored = await deps.catalog.getFamilyConfig(image.family);
  if (deps.findings === undefined || amiId === undefined || stored === undefined) return [];
  const { gate } = parseStoredConfig(image.family, stored).config.inspect;
  // The test instance is gone by now, so its findings are closed: they are what the gate counted.
  const byId = new Map<string, GateFinding>();
  for (const f of await deps.findings.listFindingsForImage(amiId)) {
    if (f.status === 'SUPPRESSED') continue;
    byId.set(f.cve ?? f.id, { ...f, status: 'ACTIVE' });
  }
  const found = [...byId.values()];
  const verdict = evaluateGate({ findings: found, gate, now: new Date(verdictAt) });
  const waived = new Set(verdict.waived);
  const over = new Set(
    SEVERITIES.filter((s) => {
      const max = gate.maxFindings[s];
      return max !== undefined && verdict.counted[s] > max;
    }),
  );
  return found
    .filter((f) => over.has(f.severity) && !waived.has(f.id) && (!gate.fixAvailableOnly || f.fixAvailable))
    .map((f) => ({ vulnerabilityId: f.cve ?? f.id, severity: f.severity }))
    .sort(
      (a, b) =>
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
        a.vulnerabilityId.localeCompare(b.vulnerabilityId),
    );
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
 */
export const followBuild = async (
  request: BuildRequestView,
  options: { timeoutSeconds: number; timeout: string; json: boolean },
  deps: BuildDeps,
): Promise<BuildOutcomeView> => {
  const color = paint(!options.json && (deps.color ?? false));
  const progress: ProgressLine[] = [];
  const seenAudit = new Set<string>();
  let stepsSeen = 0;
  let target: { family: string; version: string } | undefined;
  let alreadyBuilt = false;
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
    alreadyBuilt,
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
        alreadyBuilt = true;
      }
    }
    if (target !== undefined) image ??= await deps.catalog.getImage(target.family, target.version);
    let audit: AuditRecord[] = [];
    if (image !== undefined) {
      ({ image, audit } = await imageWithAudit(deps.catalog, image));
      const firstLook = seenAudit.size === 0;
      const fresh = audit.filter((r) => !seenAudit.has(`${r.at}|${r.seq}`));
      for (const r of fresh) seenAudit.add(`${r.at}|${r.seq}`);
      // A build done before this request: its story is not this request's, only where it stands now.
      if (alreadyBuilt && firstLook)
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
        case 'deprecated':
        case 'disabled':
        case 'retired':
          return ended('published', image, null);
        case 'rejected': {
          const at = lastTo('rejected')?.at ?? image.stateChangedAt;
          let failing: BuildOutcomeView['failingFindings'] = [];
          let unread = '';
          try {
            failing = await failingFindings(image, at, deps);
          } catch (error) {
            unread = `; its findings could not be read from Inspector: ${(error as Error).message}`;
          }
          const cves =
            failing.length === 0
              ? ''
              : `; failing findings: ${failing.map((f) => `${f.vulnerabilityId} (${f.severity})`).join(', ')}`;
          return ended(
            'rejected',
            image,
            `${image.reason ?? lastTo('rejected')?.reason ?? 'no reason recorded'}${cves}${unread}`,
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
