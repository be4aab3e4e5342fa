import type {
  DetailOf,
  ImageBuildFailedDetail,
  ImageInspectionCompletedDetail,
  ImagePublishedDetail,
  ImageRejectedDetail,
  ImageVulnerableDetail,
} from '@ami-lifecycle/contracts';
import {
  type AuditRecord,
  type FindingsSummary,
  type Gate,
  type Image,
  type ImageDecision,
  type NotifyEvent,
  type RefreshDecision,
  SEVERITIES,
} from '@ami-lifecycle/core';
import type { Message } from './deliver';
import { type GateAssessment, type VulnerabilityGroup, vulnerabilityLines } from './findings';
import { body, bullets, countsTable, fields, gib, money, nonZeroCounts, section, subjectLine } from './text';

/** Why the readers get a message: the event they are told about, and of which family. */
export const because = (event: NotifyEvent, family?: string, buildOutcome = false): string =>
  `You are told about ${event}${family === undefined ? '' : ` of ${family}`}: the policy lists you for it${buildOutcome ? ', or you requested this build' : ''}.`;

/** What the message says when the findings could not be read from Inspector. */
const findingsUnread = (error: string | undefined): string[] =>
  error === undefined ? [] : ['', `The findings could not be read from Inspector (${error}).`];

const imageLabel = (d: { family: string; version: string }) => `${d.family} ${d.version}`;

const show = (d: { family: string; version: string }) => `amictl image show ${d.family} ${d.version}`;

/** Where the image stands now, in words. */
const stateText = (image: Image | undefined, approval?: 'auto' | 'manual'): string | undefined => {
  if (image === undefined) return 'not in the catalog';
  if (image.state === 'inspecting' && image.verdict === 'pass') {
    return approval === 'manual' || approval === undefined
      ? 'inspecting: waiting for a person to approve it'
      : 'inspecting';
  }
  if (image.state === 'approved') return `approved${image.approver === 'auto' ? ' by its gate' : ''}`;
  return image.state;
};

const waiverLines = (assessment: GateAssessment | undefined): string[] =>
  (assessment?.waiversUsed ?? []).map(
    ({ waiver, vulnerabilities }) =>
      `${waiver.id}${vulnerabilities.some((v) => v !== waiver.id) ? ` (excused ${vulnerabilities.join(', ')})` : ''}: approved by ${waiver.approvedBy}, until ${waiver.expiresAt} - ${waiver.reason}`,
  );

/** The failing findings' lines, at most 10 (the worst first), with how many instances each was on. */
const failingLines = (groups: readonly VulnerabilityGroup[]): string[] =>
  bullets(vulnerabilityLines(groups), 10);

/**
 * `1 CRITICAL`: the counts (after waivers, as the gate compares them) of the severities over the gate's
 * limits; undefined when none is (tests failed, say) or the gate is unknown.
 */
const overLimitText = (counts: FindingsSummary | undefined, gate: Gate | undefined) => {
  if (counts === undefined || gate === undefined) return undefined;
  const over = SEVERITIES.filter((s) => {
    const max = gate.maxFindings[s];
    return max !== undefined && counts[s] > max;
  });
  return over.length === 0 ? undefined : nonZeroCounts(counts, over);
};

export interface InspectionFacts {
  image?: Image;
  gate?: Gate;
  approval?: 'auto' | 'manual';
  assessment?: GateAssessment;
  findingsError?: string;
}

export const renderInspectionCompleted = (
  d: ImageInspectionCompletedDetail,
  facts: InspectionFacts,
  why: string,
): Message => {
  const what = d.purpose === 'reinspection' ? 're-inspection' : 'inspection';
  const over = overLimitText(d.findings, facts.gate);
  const state = d.purpose === 'candidate' ? stateText(facts.image, facts.approval) : undefined;
  const outcome =
    d.verdict === 'pass'
      ? `${what} passed${state?.startsWith('approved') ? ', approved' : state?.includes('waiting') ? ', awaiting approval' : ''}`
      : `${what} failed${over ? `: ${over}` : ''}`;
  const lines = [
    `${imageLabel(d)}: ${outcome}.`,
    '',
    ...fields([
      ['Family', d.family],
      ['Version', d.version],
      ['AMI', d.imageId],
      [
        'Inspection',
        d.purpose === 'candidate' ? 'candidate (decides approval)' : 're-inspection of a published image',
      ],
      ['Verdict', d.verdict],
      ['State', d.purpose === 'candidate' ? state : facts.image?.state],
      ['Findings', nonZeroCounts(d.findings)],
    ]),
    ...section('Findings per severity, after waivers', countsTable(d.findings, facts.gate?.maxFindings)),
    ...section('Why', bullets(d.reasons)),
    ...section('Failing findings, the worst first', failingLines(facts.assessment?.failing ?? [])),
    ...section('Waivers used', bullets(waiverLines(facts.assessment))),
    ...findingsUnread(facts.findingsError),
    ...(d.purpose === 'candidate' && facts.image?.state === 'inspecting' && d.verdict === 'pass'
      ? ['', `Approve it: amictl approve ${d.family} ${d.version} --reason TEXT`]
      : []),
    '',
    `More: ${show(d)}`,
  ];
  return { subject: subjectLine(`${imageLabel(d)} ${outcome}`), body: body(lines, why) };
};

export const renderImageRejected = (d: ImageRejectedDetail, facts: InspectionFacts, why: string): Message => {
  const counts = facts.image?.findings;
  const over = overLimitText(counts, facts.gate);
  const by = d.approver.kind === 'auto' ? 'its gate' : d.approver.principal;
  const outcome =
    d.approver.kind === 'person'
      ? `rejected by ${d.approver.principal}`
      : `rejected${over ? `: ${over}` : ''}`;
  const lines = [
    `${imageLabel(d)} was rejected by ${by}; it will not be published.`,
    '',
    ...fields([
      ['Family', d.family],
      ['Version', d.version],
      ['AMI', d.imageId],
      ['Rejected by', by],
      ['Reason', d.reason],
      ['Findings', counts === undefined ? undefined : nonZeroCounts(counts)],
    ]),
    ...(counts === undefined
      ? []
      : section('Findings per severity', countsTable(counts, facts.gate?.maxFindings))),
    ...section('Failing findings, the worst first', failingLines(facts.assessment?.failing ?? [])),
    ...section('Waivers used', bullets(waiverLines(facts.assessment))),
    ...findingsUnread(facts.findingsError),
    '',
    `More: ${show(d)}`,
  ];
  return { subject: subjectLine(`${imageLabel(d)} ${outcome}`), body: body(lines, why) };
};

export const renderBuildFailed = (
  d: ImageBuildFailedDetail,
  facts: { image?: Image; audit: readonly AuditRecord[] },
  why: string,
): Message => {
  const trail = facts.audit
    .slice(-8)
    .map((r) => `${r.at} ${r.action}${r.to ? ` -> ${r.to}` : ''} (${r.actor}): ${r.reason}`);
  const lines = [
    `${imageLabel(d)}: the build failed at ${d.stage}.`,
    '',
    ...fields([
      ['Family', d.family],
      ['Version', d.version],
      ['Stage', d.stage],
      ['Reason', d.reason],
      ['Build', d.buildId],
      ['AMI', d.imageId],
      ['Requested as', facts.image?.buildReason],
      ['State', facts.image?.state],
    ]),
    ...section('What happened, the latest last', bullets(trail)),
    '',
    `More: ${show(d)}`,
    `Build it again: amictl build ${d.family} --reason TEXT`,
  ];
  return {
    subject: subjectLine(`${imageLabel(d)} build failed at ${d.stage}`),
    body: body(lines, why),
  };
};

export interface VulnerableFacts {
  image?: Image;
  /** The event's vulnerabilities, with their packages and fixed builds where Inspector has them. */
  vulnerabilities: VulnerabilityGroup[];
  /** Where the vulnerable image runs: per account, its instances that have the finding. */
  affected: { accountId: string; instances: string[] }[];
  channels: string[];
  sharedWith: string[];
  decision?: RefreshDecision;
  /** The build id of the rebuild the decision requested. */
  rebuildId?: string;
  findingsError?: string;
}

const rebuildLines = (d: ImageVulnerableDetail, facts: VulnerableFacts): string[] => {
  const decision = facts.decision;
  if (decision === undefined) {
    return [
      'The refresh service has recorded no decision about a rebuild yet.',
      `See: amictl refresh history ${d.family}`,
    ];
  }
  if (decision.outcome === 'requested') {
    return [
      `A rebuild was requested by ${decision.decidedBy} at ${decision.decidedAt}${decision.request?.force ? ' (forced: the same inputs, built with the updates of the day)' : ''}.`,
      ...fields([
        ['Build', facts.rebuildId],
        ['Request', decision.request?.idempotencyKey],
        ['Why', decision.reason],
      ]).map((l) => `  ${l}`),
      `Follow it: amictl images list --family ${d.family}`,
    ];
  }
  return [`No rebuild (${decision.skip}): ${decision.reason}`, `See: amictl refresh history ${d.family}`];
};

export const renderImageVulnerable = (
  d: ImageVulnerableDetail,
  facts: VulnerableFacts,
  why: string,
): Message => {
  const ids = [...new Set(d.findings.map((f) => f.vulnerabilityId))];
  const worst = facts.vulnerabilities[0]?.severity ?? d.findings[0]?.severity;
  const what =
    ids.length === 1
      ? `${ids[0]} (${d.findings[0]?.severity})`
      : `${ids.length} vulnerabilities, worst ${worst}`;
  const rebuild =
    facts.decision?.outcome === 'requested' ? ', rebuild requested' : facts.decision ? ', no rebuild' : '';
  const affected = facts.affected.map(
    (a) =>
      `account ${a.accountId}: ${a.instances.length === 0 ? 'no instance named' : a.instances.join(', ')}`,
  );
  const lines = [
    `${imageLabel(d)} is vulnerable: ${what}.`,
    '',
    ...fields([
      ['Family', d.family],
      ['Version', d.version],
      ['AMI', d.imageId],
      ['State', facts.image?.state],
      ['Channels', facts.channels.length === 0 ? 'none points at it' : facts.channels.join(', ')],
      ['Shared with', facts.sharedWith.length === 0 ? undefined : facts.sharedWith.join(', ')],
      ['All findings', nonZeroCounts(d.summary)],
    ]),
    ...section('Vulnerabilities', bullets(vulnerabilityLines(facts.vulnerabilities), 20)),
    ...section(
      'Running it with these findings (Inspector)',
      affected.length === 0 ? ['  no running instance reported'] : bullets(affected),
    ),
    ...findingsUnread(facts.findingsError),
    ...section(
      'Rebuild',
      rebuildLines(d, facts).map((l) => (l.startsWith('  ') ? l : `  ${l}`)),
    ),
    '',
    `More: ${show(d)}`,
  ];
  return { subject: subjectLine(`${imageLabel(d)} vulnerable: ${what}${rebuild}`), body: body(lines, why) };
};

export const renderImagePublished = (
  d: ImagePublishedDetail,
  facts: { image?: Image; sharedWith: string[] },
  why: string,
): Message => {
  const rollback = d.idempotencyKey.startsWith('channel-moved:');
  const channels = d.channels.join(', ');
  const outcome = rollback ? `is again the target of ${channels}` : `published on ${channels}`;
  const lines = [
    `${imageLabel(d)} ${outcome}.`,
    '',
    ...fields([
      ['Family', d.family],
      ['Version', d.version],
      ['Channels', channels],
      ['Approved by', facts.image?.approver],
      ['Published at', facts.image?.publishedAt],
      ['Shared with', facts.sharedWith.length === 0 ? 'no other account' : facts.sharedWith.join(', ')],
    ]),
    ...section(
      'AMIs per region',
      Object.entries(d.regions)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([region, ami]) => `  ${region.padEnd(16)}${ami}`),
    ),
    ...section(
      'SSM parameters (launch templates can name them as resolve:ssm:<name>)',
      bullets(d.ssmParameters, 50),
    ),
    '',
    `More: ${show(d)}`,
  ];
  return { subject: subjectLine(`${imageLabel(d)} ${outcome}`), body: body(lines, why) };
};

export const renderSweepCompleted = (
  d: DetailOf<'Retention Sweep Completed'>,
  facts: { withheld?: string; acted: readonly ImageDecision[] },
  why: string,
): Message => {
  const freed = d.schemaVersion === 2 ? d.snapshotGiBFreed : undefined;
  const tripped = d.guard.verdict === 'tripped';
  const done = (['retire', 'disable', 'deprecate'] as const)
    .filter((k) => d.counts[k] > 0)
    .map((k) => `${d.counts[k]} ${k === 'retire' ? 'retired' : `${k}d`}`);
  const outcome = tripped
    ? 'guard tripped, nothing done'
    : d.dryRun
      ? 'dry run, nothing done'
      : `${done.length === 0 ? 'nothing to do' : done.join(', ')}${freed ? `, ${gib(freed)} freed` : ''}`;
  const lines = [
    `The retention sweep ${d.sweepId} of ${d.family}: ${outcome}.`,
    '',
    ...fields([
      ['Family', d.family],
      ['Sweep', d.sweepId],
      ['Inventory of', d.inventoryAt],
      ['Dry run', d.dryRun ? `yes${facts.withheld ? `: ${facts.withheld}` : ''}` : 'no'],
      ['Guard', tripped ? `tripped: ${d.guard.verdict === 'tripped' ? d.guard.reason : ''}` : 'ok'],
    ]),
    ...section('Plan', [
      `  keep ${d.counts.keep}, deprecate ${d.counts.deprecate}, disable ${d.counts.disable}, retire ${d.counts.retire}`,
    ]),
    ...(d.schemaVersion === 2
      ? section('Done', [
          `  actions done ${d.actions.done}, skipped ${d.actions.skipped} (checked again and refused), failed ${d.actions.failed}`,
          `  snapshot storage freed ${gib(d.snapshotGiBFreed)}, saving ${money(d.monthlyStorageCostSaved.amount, d.monthlyStorageCostSaved.currency)} a month`,
        ])
      : []),
    ...section(
      'Images the plan acts on',
      bullets(
        facts.acted.map(
          (a) => `${a.version} (${a.state}): ${a.decision} - ${a.reasons.map((r) => r.message).join('; ')}`,
        ),
      ),
    ),
    '',
    `More: amictl retention show ${d.sweepId}`,
  ];
  return { subject: subjectLine(`${d.family} retention ${d.sweepId}: ${outcome}`), body: body(lines, why) };
};

export const renderDeadLetters = (
  facts: { count: number; queue: string; previous?: { count: number; at: string } },
  why: string,
): Message => {
  const change =
    facts.previous === undefined
      ? undefined
      : `${facts.previous.count} at ${facts.previous.at} (${facts.count > facts.previous.count ? `${facts.count - facts.previous.count} more` : `${facts.previous.count - facts.count} fewer`})`;
  const noun = facts.count === 1 ? 'event' : 'events';
  const lines = [
    `The events dead-letter queue holds ${facts.count} ${noun}.`,
    '',
    ...fields([
      ['Queue', facts.queue],
      ['Messages', String(facts.count)],
      ['Last told', change],
    ]),
    '',
    'Each is an event a function refused (malformed, or refused for good), could not act on after',
    "Lambda's retries, or EventBridge could not deliver. They stay two weeks.",
    '',
    'See them, with who refused each and why:',
    '  amictl events rejected',
    '  (npm run amictl -- events rejected --json, from a checkout)',
  ];
  return {
    subject: subjectLine(`${facts.count} ${noun} in the dead-letter queue`),
    body: body(lines, why),
  };
};
