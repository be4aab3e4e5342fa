import {
  type AuditRecord,
  type CatalogPort,
  type Channel,
  type FindingsSummary,
  type Image,
  imageKey,
  LIFECYCLE_STATES,
  type LifecycleState,
} from '@ami-lifecycle/core';
import { RefusedError } from './errors';
import { allPages, amiList, json, minutes, paint, stateTone, table, verdictTone } from './output';

/** One image as `images list --json` prints it. */
export interface ImageView {
  family: string;
  version: string;
  state: LifecycleState;
  /** Region -> AMI id. */
  amiIds: Record<string, string>;
  parent: { family: string; version: string; amiId: string | null } | null;
  verdict: 'pass' | 'fail' | null;
  vulnerable: boolean;
  buildReason: string | null;
  /** The family's channels that point at this version. */
  channels: string[];
  createdAt: string;
  stateChangedAt: string;
}

/** One audit record of `image show --json`'s `timeline`. */
export interface TimelineEntry {
  at: string;
  action: string;
  from: LifecycleState | null;
  to: LifecycleState | null;
  actor: string;
  reason: string;
}

/** `image show --json`: the list's fields, what else the catalog knows of the image, and its audit trail. */
export interface ImageDetailView extends ImageView {
  stateVersion: number;
  buildId: string | null;
  configVersion: number | null;
  sourceAmiId: string | null;
  findings: FindingsSummary | null;
  approver: string | null;
  publishedAt: string | null;
  /** Oldest first. */
  timeline: TimelineEntry[];
}

/** One channel of `channel show --json`. */
export interface ChannelView {
  name: string;
  version: string;
  /** The AMIs of the image the channel points to. */
  amiIds: Record<string, string>;
  updatedAt: string;
  updatedBy: string;
  revision: number;
  /** The latest revisions, newest first (the current one included). */
  history: { revision: number; version: string; updatedAt: string; updatedBy: string }[];
}

/** Revisions `channel show` prints per channel. */
export const CHANNEL_HISTORY = 10;
/** `image show` of an unknown version names the family's versions when there are at most this many. */
const FEW_VERSIONS = 10;

export interface ReadDeps {
  catalog: CatalogPort;
  out: (line: string) => void;
  /** Colour states and verdicts (never JSON). */
  color?: boolean | undefined;
}

/** The `images list --json` object of an image, with the channels of its family. */
export const imageView = (image: Image, channels: readonly Channel[]): ImageView => ({
  family: image.family,
  version: image.version,
  state: image.state,
  amiIds: { ...image.amiIds },
  parent: image.parent
    ? { family: image.parent.family, version: image.parent.version, amiId: image.parent.amiId ?? null }
    : null,
  verdict: image.verdict ?? null,
  vulnerable: image.vulnerable,
  buildReason: image.buildReason ?? null,
  channels: channels
    .filter((c) => c.version === image.version)
    .map((c) => c.name)
    .sort(),
  createdAt: image.createdAt,
  stateChangedAt: image.stateChangedAt,
});

const byFamilyThenCreation = (a: Image, b: Image): number =>
  a.family.localeCompare(b.family) ||
  a.createdAt.localeCompare(b.createdAt) ||
  a.version.localeCompare(b.version);

/** `images list`: by family (one query) or by state (one query per state), every page. */
export const listImages = async (
  options: { family: string | undefined; state: LifecycleState | undefined; json: boolean },
  deps: ReadDeps,
): Promise<void> => {
  const { catalog } = deps;
  let images: Image[];
  if (options.family !== undefined) {
    const family = options.family;
    images = await allPages(`the images of ${family}`, (page) => catalog.listImagesByFamily(family, page));
    if (images.length === 0 && (await catalog.getFamilyConfig(family)) === undefined) {
      throw new RefusedError(`family ${family} is unknown: it has no stored config and no images`);
    }
    if (options.state !== undefined) images = images.filter((i) => i.state === options.state);
  } else {
    const states = options.state === undefined ? LIFECYCLE_STATES : [options.state];
    const perState = await Promise.all(
      states.map((state) =>
        allPages(`the ${state} images`, (page) => catalog.listImagesByState(state, page)),
      ),
    );
    images = perState.flat();
  }
  images.sort(byFamilyThenCreation);
  const families = [...new Set(images.map((i) => i.family))];
  const channels = new Map(
    await Promise.all(families.map(async (f) => [f, await catalog.listChannels(f)] as const)),
  );
  const views = images.map((i) => imageView(i, channels.get(i.family) ?? []));

  if (options.json) {
    deps.out(json(views));
    return;
  }
  if (views.length === 0) {
    deps.out(`no images${describeFilter(options)}`);
    return;
  }
  const color = paint(deps.color ?? false);
  for (const line of table(
    ['FAMILY', 'VERSION', 'STATE', 'VERDICT', 'VULNERABLE', 'CHANNELS', 'CREATED', 'AMIS'],
    views.map((v) => [
      v.family,
      v.version,
      v.state,
      v.verdict ?? '-',
      v.vulnerable ? 'yes' : 'no',
      v.channels.join(',') || '-',
      minutes(v.createdAt),
      amiList(v.amiIds),
    ]),
    (cell, _row, column) =>
      column === 2
        ? color(stateTone(cell), cell)
        : column === 3
          ? color(verdictTone(cell), cell)
          : column === 4 && cell === 'yes'
            ? color('bad', cell)
            : cell,
  ))
    deps.out(line);
};

const describeFilter = (options: { family: string | undefined; state: LifecycleState | undefined }) =>
  [
    options.family === undefined ? '' : ` of ${options.family}`,
    options.state === undefined ? '' : ` in state ${options.state}`,
  ].join('');

/** `image show`: the image, its channels and its whole audit trail. */
export const showImage = async (
  options: { family: string; version: string; json: boolean },
  deps: ReadDeps,
): Promise<void> => {
  const { catalog } = deps;
  const image = await catalog.getImage(options.family, options.version);
  if (image === undefined)
    throw new RefusedError(await unknownImage(options.family, options.version, catalog));
  const [audit, channels] = await Promise.all([
    allPages(`the audit trail of ${imageKey(image)}`, (page) =>
      catalog.listAudit(image.family, image.version, page),
    ),
    catalog.listChannels(image.family),
  ]);
  const view: ImageDetailView = {
    ...imageView(image, channels),
    stateVersion: image.stateVersion,
    buildId: image.buildId ?? null,
    configVersion: image.configVersion ?? null,
    sourceAmiId: image.sourceAmiId ?? null,
    findings: image.findings ?? null,
    approver: image.approver ?? null,
    publishedAt: image.publishedAt ?? null,
    timeline: [...audit].sort(oldestFirst).map(timelineEntry),
  };
  if (options.json) {
    deps.out(json(view));
    return;
  }
  const parent = view.parent
    ? `${view.parent.family}@${view.parent.version}${view.parent.amiId ? ` (${view.parent.amiId})` : ''}`
    : '-';
  const findings = view.findings
    ? Object.entries(view.findings)
        .filter(([, n]) => n > 0)
        .map(([severity, n]) => `${severity} ${n}`)
        .join(', ') || 'none'
    : '-';
  const color = paint(deps.color ?? false);
  for (const line of [
    `${imageKey(view)}: ${color(stateTone(view.state), view.state)} since ${view.stateChangedAt}`,
    `  created      ${view.createdAt}${view.buildReason ? ` (build reason: ${view.buildReason})` : ''}`,
    `  amis         ${amiList(view.amiIds)}`,
    `  parent       ${parent}`,
    `  verdict      ${view.verdict === null ? '-' : color(verdictTone(view.verdict), view.verdict)}${view.approver ? ` (by ${view.approver})` : ''}`,
    `  findings     ${findings}`,
    `  vulnerable   ${view.vulnerable ? color('bad', 'yes') : 'no'}`,
    `  channels     ${view.channels.join(', ') || '-'}`,
    ...(view.publishedAt ? [`  published    ${view.publishedAt}`] : []),
    `timeline (${view.timeline.length}):`,
    ...view.timeline.map(
      (t) =>
        `  ${t.at}  ${t.action}${t.from || t.to ? ` ${t.from ?? '-'} -> ${t.to ?? '-'}` : ''}  by ${t.actor}: ${t.reason}`,
    ),
  ])
    deps.out(line);
};

const oldestFirst = (a: AuditRecord, b: AuditRecord): number => a.at.localeCompare(b.at) || a.seq - b.seq;

const timelineEntry = (record: AuditRecord): TimelineEntry => ({
  at: record.at,
  action: record.action,
  from: record.from ?? null,
  to: record.to ?? null,
  actor: record.actor,
  reason: record.reason,
});

/** "image x@9 does not exist", with what does: the family's versions when few, else where to look. */
const unknownImage = async (family: string, version: string, catalog: CatalogPort): Promise<string> => {
  const missing = `image ${family}@${version} does not exist`;
  const { items, cursor } = await catalog.listImagesByFamily(family, { limit: FEW_VERSIONS + 1 });
  if (items.length === 0) {
    const config = await catalog.getFamilyConfig(family);
    return `${missing}: family ${family} ${config === undefined ? 'is unknown (no stored config)' : 'has no images yet'}`;
  }
  if (items.length <= FEW_VERSIONS && cursor === undefined) {
    return `${missing}; ${family} has ${items.map((i) => i.version).join(', ')}`;
  }
  return `${missing}; ${family} has more than ${FEW_VERSIONS} versions (amictl images list --family ${family})`;
};

/** `channel show`: every channel of the family with the AMIs it points to and its latest revisions. */
export const showChannels = async (
  options: { family: string; json: boolean },
  deps: ReadDeps,
): Promise<void> => {
  const { catalog } = deps;
  const { family } = options;
  if ((await catalog.getFamilyConfig(family)) === undefined) {
    throw new RefusedError(`family ${family} has no stored config; run amictl config apply first`);
  }
  const channels = [...(await catalog.listChannels(family))].sort((a, b) => a.name.localeCompare(b.name));
  const views = await Promise.all(
    channels.map(async (channel): Promise<ChannelView> => {
      const [image, history] = await Promise.all([
        catalog.getImage(family, channel.version),
        catalog.channelHistory(family, channel.name, { limit: CHANNEL_HISTORY }),
      ]);
      return {
        name: channel.name,
        version: channel.version,
        amiIds: { ...(image?.amiIds ?? {}) },
        updatedAt: channel.updatedAt,
        updatedBy: channel.updatedBy,
        revision: channel.revision,
        history: [...history.items]
          .sort((a, b) => b.revision - a.revision)
          .slice(0, CHANNEL_HISTORY)
          .map((h) => ({
            revision: h.revision,
            version: h.version,
            updatedAt: h.updatedAt,
            updatedBy: h.updatedBy,
          })),
      };
    }),
  );
  if (options.json) {
    deps.out(json(views));
    return;
  }
  if (views.length === 0) {
    deps.out(`${family} has no channels yet`);
    return;
  }
  for (const view of views) {
    deps.out(
      `${view.name} -> ${family}@${view.version} (revision ${view.revision}, ${minutes(view.updatedAt)} by ${view.updatedBy}) ${amiList(view.amiIds)}`,
    );
    for (const h of view.history.filter((h) => h.revision !== view.revision)) {
      deps.out(`  revision ${h.revision}: ${h.version} (${minutes(h.updatedAt)} by ${h.updatedBy})`);
    }
  }
};
