import type { DetailOf } from '@ami-lifecycle/contracts';
import {
  buildIdFor,
  type FamilyNotify,
  type Image,
  type NotifyEvent,
  recipientsFor,
  type StoredConfig,
} from '@ami-lifecycle/core';
import { RefreshDecisionPendingError } from '../errors';
import { type Delivery, deliver, type Message } from './deliver';
import { assessGate, type GateAssessment, groupByVulnerability, judgingFindings } from './findings';
import { familyConfig, organizationNotify } from './policy';
import type { FindingDetail, NotifyDeps } from './ports';
import {
  because,
  renderBuildFailed,
  renderImagePublished,
  renderImageRejected,
  renderImageVulnerable,
  renderInspectionCompleted,
  renderSweepCompleted,
} from './render';

/** The detail-types the notify service tells people about, and the name the policy gives each. */
export const NOTIFY_EVENT_OF = {
  'Image Inspection Completed': 'inspection-completed',
  'Image Rejected': 'image-rejected',
  'Image Build Failed': 'build-failed',
  'Image Vulnerable': 'image-vulnerable',
  'Image Published': 'image-published',
  'Retention Sweep Completed': 'sweep-completed',
} as const satisfies Record<string, NotifyEvent>;

export type NotifiedDetailType = keyof typeof NOTIFY_EVENT_OF;
export type NotifiedEvent = {
  [K in NotifiedDetailType]: { 'detail-type': K; detail: DetailOf<K> };
}[NotifiedDetailType];

/** What one event came to: who was told, or why nobody was. */
export interface NotifyResult {
  event: NotifyEvent;
  family: string;
  /** Set when nobody was to be told, and why; nothing was rendered or sent. */
  skipped?: string;
  delivery?: Delivery;
}

/**
 * How long `Image Vulnerable` waits for the refresh service's decision (by failing, so that Lambda retries
 * it a minute and then two minutes later): its third attempt, three minutes on, goes without it.
 */
export const REFRESH_DECISION_WAIT_MS = 2 * 60 * 1000;

/** The refresh service's trigger key of an image turned vulnerable (`vulnerableKey` of the refresh service). */
export const vulnerableTriggerKey = (family: string, version: string): string =>
  `vulnerable:${family}@${version}`;

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Whether this event is the outcome of the build its correlation id names, which the build's originator
 * is told about: not a re-inspection of a published image, not a channel rolled back to it.
 */
const isBuildOutcome = (event: NotifiedEvent): boolean => {
  switch (event['detail-type']) {
    case 'Image Inspection Completed':
      return event.detail.purpose === 'candidate';
    case 'Image Published':
      return !event.detail.idempotencyKey.startsWith('channel-moved:');
    case 'Image Rejected':
    case 'Image Build Failed':
      return true;
    default:
      return false;
  }
};

/** The build an outcome is of: the failed build's own id, or the id the image was built under. */
const buildIdOf = async (
  event: NotifiedEvent,
  image: () => Promise<Image | undefined>,
): Promise<string | undefined> =>
  event['detail-type'] === 'Image Build Failed' ? event.detail.buildId : (await image())?.buildId;

/**
 * A family's sweep with nothing to tell: no image to deprecate, disable or retire and the guard not tripped.
 * Every family is swept every day, and a daily message per family saying nothing would bury the ones that
 * matter.
 */
export const sweptNothing = (d: DetailOf<'Retention Sweep Completed'>): boolean =>
  d.counts.deprecate + d.counts.disable + d.counts.retire === 0 && d.guard.verdict === 'ok';

/** `accounts 222222222222, organization arn:..., OU ou-...`: whom a family's images are shared with. */
const sharedWith = (config: StoredConfig | undefined): string[] => {
  const sharing = config?.publish.sharing;
  if (sharing === undefined) return [];
  return [
    ...sharing.accounts.map((a) => `account ${a}`),
    ...(sharing.organization ? [`organization ${sharing.organizationArn ?? ''}`.trim()] : []),
    ...(sharing.organizationalUnits ?? []).map((ou) => `OU ${ou}`),
  ];
};

/** Inspector's findings of an AMI, or why they could not be read: a message goes out either way. */
const readFindings = async (
  amiId: string | undefined,
  deps: Pick<NotifyDeps, 'findings'>,
  vulnerabilityIds?: readonly string[],
): Promise<{ findings: FindingDetail[]; error?: string }> => {
  if (amiId === undefined) return { findings: [], error: 'no AMI is known for the image' };
  try {
    return { findings: await deps.findings.findingsOfImage(amiId, vulnerabilityIds) };
  } catch (error) {
    return { findings: [], error: errorText(error) };
  }
};

/** The gate that judged the image: its config version's, else today's. */
const gateOf = async (image: Image | undefined, current: StoredConfig | undefined, deps: NotifyDeps) => {
  if (image?.configVersion !== undefined) {
    try {
      const then = await familyConfig(deps.catalog, image.family, image.configVersion);
      if (then !== undefined) return then.config;
    } catch {
      // That version no longer parses: today's judges instead.
    }
  }
  return current;
};

const inspectionFacts = async (
  d: { family: string; version: string; imageId: string; occurredAt: string },
  image: Image | undefined,
  current: StoredConfig | undefined,
  deps: NotifyDeps,
) => {
  const config = await gateOf(image, current, deps);
  const gate = config?.inspect.gate;
  const read = await readFindings(d.imageId, deps);
  const assessment: GateAssessment | undefined =
    gate === undefined
      ? undefined
      : assessGate({ findings: read.findings, gate, image: d, at: new Date(d.occurredAt) });
  return {
    ...(image === undefined ? {} : { image }),
    ...(gate === undefined ? {} : { gate }),
    ...(config === undefined ? {} : { approval: config.publish.approval }),
    ...(assessment === undefined ? {} : { assessment }),
    ...(read.error === undefined ? {} : { findingsError: read.error }),
  };
};

const vulnerableMessage = async (
  d: DetailOf<'Image Vulnerable'>,
  image: Image | undefined,
  config: StoredConfig | undefined,
  why: string,
  deps: NotifyDeps,
): Promise<Message> => {
  const decision = await deps.catalog.getRefreshDecision(d.family, vulnerableTriggerKey(d.family, d.version));
  const waited = deps.clock.now().getTime() - Date.parse(d.occurredAt);
  if (decision === undefined && waited < REFRESH_DECISION_WAIT_MS) {
    throw new RefreshDecisionPendingError(d.family, d.version, Math.max(0, waited));
  }
  const ids = new Set(d.findings.map((f) => f.vulnerabilityId));
  const read = await readFindings(d.imageId, deps, [...ids]);
  const arns = new Set(d.findings.map((f) => f.findingArn));
  const ofEvent = judgingFindings(read.findings, d).filter(
    (f) => ids.has(f.vulnerabilityId) || arns.has(f.findingArn),
  );
  const known = groupByVulnerability(ofEvent);
  // Every vulnerability of the event is named, with its packages where Inspector still has them.
  const vulnerabilities = [
    ...known,
    ...d.findings
      .filter((f) => !known.some((g) => g.vulnerabilityId === f.vulnerabilityId))
      .filter((f, i, all) => all.findIndex((x) => x.vulnerabilityId === f.vulnerabilityId) === i)
      .map((f) => ({
        vulnerabilityId: f.vulnerabilityId,
        severity: f.severity,
        packages: [],
        instances: [],
        accounts: [],
      })),
  ];
  const byAccount = new Map<string, Set<string>>();
  for (const f of ofEvent) {
    if (f.status !== 'ACTIVE' || f.instanceId === undefined) continue;
    const account = f.accountId ?? 'unknown';
    byAccount.set(account, (byAccount.get(account) ?? new Set()).add(f.instanceId));
  }
  const channels = (await deps.catalog.listChannels(d.family))
    .filter((c) => c.version === d.version)
    .map((c) => c.name)
    .sort();
  return renderImageVulnerable(
    d,
    {
      ...(image === undefined ? {} : { image }),
      vulnerabilities,
      affected: [...byAccount]
        .map(([accountId, instances]) => ({ accountId, instances: [...instances].sort() }))
        .sort((a, b) => a.accountId.localeCompare(b.accountId)),
      channels,
      sharedWith: sharedWith(config),
      ...(decision === undefined ? {} : { decision }),
      ...(decision?.request === undefined
        ? {}
        : { rebuildId: buildIdFor(d.family, decision.request.idempotencyKey) }),
      ...(read.error === undefined ? {} : { findingsError: read.error }),
    },
    why,
  );
};

const sweepMessage = async (
  d: DetailOf<'Retention Sweep Completed'>,
  why: string,
  deps: NotifyDeps,
): Promise<Message> => {
  const plan = await deps.catalog.getPlan(d.sweepId);
  const withheld = plan?.withheld?.find((w) => w.family === d.family)?.reason;
  const acted = (plan?.decisions ?? []).filter((x) => x.family === d.family && x.decision !== 'keep');
  return renderSweepCompleted(d, { ...(withheld === undefined ? {} : { withheld }), acted }, why);
};

/**
 * Tells the people the policy names about one event: the organisation's recipients of it, the family's
 * (for a family's events), and the build's originator (for the outcome of a build its correlation id names,
 * when the policy tells originators about it). Nothing is read or rendered when nobody is to be told. The
 * message is rendered from the catalog (the image, its config's gate, Inspector's findings, the refresh
 * service's decision, the sweep's plan) and sent once to the stage topic naming every recipient, and to each
 * external topic the policy configures.
 */
export const notifyOnEvent = async (event: NotifiedEvent, deps: NotifyDeps): Promise<NotifyResult> => {
  const kind = NOTIFY_EVENT_OF[event['detail-type']];
  const { family } = event.detail;
  if (event['detail-type'] === 'Retention Sweep Completed' && sweptNothing(event.detail)) {
    return { event: kind, family, skipped: `the sweep of ${family} planned and did nothing` };
  }
  // The image the event is about, read once, and only if something needs it.
  let imageRead: Promise<Image | undefined> | undefined;
  const image = (): Promise<Image | undefined> =>
    (imageRead ??=
      event['detail-type'] === 'Retention Sweep Completed'
        ? Promise.resolve(undefined)
        : deps.catalog.getImage(family, event.detail.version));
  const organization = await organizationNotify(deps.catalog);
  // A sweep is told to the organisation's recipients only: a family config that no longer parses must not
  // keep them from it.
  const current = kind === 'sweep-completed' ? undefined : await familyConfig(deps.catalog, family);
  const familyNotify: FamilyNotify | undefined = current?.notify;
  const outcome = isBuildOutcome(event);
  // The correlation id follows the whole story: the children a refresh builds on a published golden image
  // carry the golden build's, and so does a rebuild of the image when it turns vulnerable. The originator is
  // told the outcome of the one build they asked for, matched by its build id.
  const requested = outcome
    ? await deps.store.getOriginator(event.detail.correlationId, deps.clock.now())
    : undefined;
  const originator =
    requested !== undefined &&
    requested.family === family &&
    requested.buildId !== '' &&
    (await buildIdOf(event, image)) === requested.buildId
      ? requested.address
      : undefined;
  const recipients = recipientsFor({
    event: kind,
    organization,
    ...(familyNotify === undefined ? {} : { family: familyNotify }),
    ...(originator === undefined ? {} : { originator }),
  });
  const externalTopics = [organization.topicArn, familyNotify?.topicArn].filter(
    (t): t is string => t !== undefined,
  );
  if (recipients.length === 0 && externalTopics.length === 0) {
    return { event: kind, family, skipped: `nobody is told about ${kind} of ${family}` };
  }

  const why = because(kind, family, outcome && originator !== undefined);
  const config = current?.config;
  let message: Message;
  switch (event['detail-type']) {
    case 'Image Inspection Completed': {
      const d = event.detail;
      message = renderInspectionCompleted(d, await inspectionFacts(d, await image(), config, deps), why);
      break;
    }
    case 'Image Rejected': {
      const d = event.detail;
      message = renderImageRejected(d, await inspectionFacts(d, await image(), config, deps), why);
      break;
    }
    case 'Image Build Failed': {
      const d = event.detail;
      const built = await image();
      const audit = (await deps.catalog.listAudit(d.family, d.version, { limit: 100 })).items;
      message = renderBuildFailed(d, { ...(built === undefined ? {} : { image: built }), audit }, why);
      break;
    }
    case 'Image Vulnerable':
      message = await vulnerableMessage(event.detail, await image(), config, why, deps);
      break;
    case 'Image Published': {
      const published = await image();
      message = renderImagePublished(
        event.detail,
        { ...(published === undefined ? {} : { image: published }), sharedWith: sharedWith(config) },
        why,
      );
      break;
    }
    case 'Retention Sweep Completed':
      message = await sweepMessage(event.detail, why, deps);
      break;
  }
  const delivery = await deliver(message, { recipients, externalTopics }, deps);
  return { event: kind, family, delivery };
};
