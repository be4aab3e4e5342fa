import { MAX_PAGE_SIZE } from '@ami-lifecycle/catalog';
import { type CatalogPort, type Clock, DAY_MS, type RefreshDecision } from '@ami-lifecycle/core';
import {
  currentImage,
  DEFAULT_MAX_BUILDS_PER_TRIGGER,
  planRefresh,
  type UnreadableFamily,
} from '@ami-lifecycle/refresh-service';
import { RefusedError } from './errors';
import { json, minutes, table } from './output';

/** Decisions `refresh history` prints when `--limit` does not say. */
export const REFRESH_HISTORY_LIMIT = 20;

/** `refresh plan --json`: what the daily refresh would decide now; nothing of it is written or sent. */
export interface RefreshPlanView {
  /** The time the plan was made for (ISO). */
  now: string;
  maxBuildsPerTrigger: number;
  /** Requested and skipped rebuilds, in lineage order (parents first). */
  decisions: RefreshDecision[];
  /** The families with nothing to do, by name, with the version their users launch today. */
  idle: { family: string; current: string | null }[];
  /** Families whose stored config no longer parses: left out of the plan. */
  unreadable: UnreadableFamily[];
}

export interface RefreshDeps {
  catalog: CatalogPort;
  clock: Clock;
  /** The home region: where images are built, so the parent AMI a rebuild would build on. */
  region: string;
  out: (line: string) => void;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const outcomeOf = (d: RefreshDecision): string =>
  d.outcome === 'requested' ? 'requested' : `skipped(${d.skip ?? '?'})`;

const ageDays = (now: Date, at: string): number => Math.floor((now.getTime() - Date.parse(at)) / DAY_MS);

/**
 * `refresh plan`: the refresh service's daily plan as of now, with the deployed fan-out cap. A dry run: it
 * reads the catalog and writes nothing, and puts nothing on the bus.
 */
export const showRefreshPlan = async (options: { json: boolean }, deps: RefreshDeps): Promise<void> => {
  const now = deps.clock.now();
  const { views, decisions, unreadable } = await planRefresh({
    catalog: deps.catalog,
    region: deps.region,
    maxBuildsPerTrigger: DEFAULT_MAX_BUILDS_PER_TRIGGER,
    now,
  });
  const decided = new Set(decisions.map((d) => d.family));
  const idle = views
    .filter((v) => !decided.has(v.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((view) => ({ view, current: currentImage(view) }));
  const sortedUnreadable = [...unreadable].sort((a, b) => a.family.localeCompare(b.family));

  if (options.json) {
    const view: RefreshPlanView = {
      now: now.toISOString(),
      maxBuildsPerTrigger: DEFAULT_MAX_BUILDS_PER_TRIGGER,
      decisions,
      idle: idle.map(({ view, current }) => ({ family: view.name, current: current?.version ?? null })),
      unreadable: sortedUnreadable,
    };
    deps.out(json(view));
    return;
  }
  if (views.length === 0 && unreadable.length === 0) {
    deps.out('no family has a stored config: nothing to plan (amictl config apply)');
    return;
  }
  if (views.length > 0) {
    for (const line of table(
      ['FAMILY', 'DECISION', 'TRIGGER', 'WHY'],
      [
        ...decisions.map((d) => [d.family, outcomeOf(d), d.trigger, d.reason]),
        ...idle.map(({ view, current }) => [view.name, 'nothing to do', '-', idleWhy(current, now)]),
      ],
    ))
      deps.out(line);
  }
  if (sortedUnreadable.length > 0) {
    deps.out('unreadable, left out of the plan:');
    for (const u of sortedUnreadable) {
      const [first, ...rest] = u.error.split('\n');
      deps.out(`  ${u.family}: ${first}`);
      for (const line of rest) deps.out(`    ${line.trim()}`);
    }
  }
  const requested = decisions.filter((d) => d.outcome === 'requested').length;
  deps.out(
    [
      `${plural(requested, 'rebuild', 'rebuilds')} would be requested`,
      `${decisions.length - requested} skipped`,
      `${plural(idle.length, 'family', 'families')} with nothing to do`,
      ...(unreadable.length > 0 ? [`${unreadable.length} unreadable`] : []),
    ].join(', '),
  );
};

const idleWhy = (current: ReturnType<typeof currentImage>, now: Date): string => {
  if (current === undefined) return 'no published image';
  const age = ageDays(now, current.createdAt);
  return `current ${current.version} (${plural(age, 'day', 'days')} old)`;
};

/** `refresh history`: the family's recorded refresh decisions, newest first, at most `limit`. */
export const showRefreshHistory = async (
  options: { family: string; json: boolean; limit: number },
  deps: Pick<RefreshDeps, 'catalog' | 'out'>,
): Promise<void> => {
  const { catalog } = deps;
  const { family, limit } = options;
  const decisions: RefreshDecision[] = [];
  let cursor: string | undefined;
  do {
    const size = Math.min(limit - decisions.length, MAX_PAGE_SIZE);
    const page = await catalog.listRefreshDecisions(
      family,
      cursor === undefined ? { limit: size } : { limit: size, cursor },
    );
    decisions.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined && decisions.length < limit);
  if (decisions.length === 0 && (await catalog.getFamilyConfig(family)) === undefined) {
    throw new RefusedError(`family ${family} is unknown: it has no stored config and no refresh decisions`);
  }
  if (options.json) {
    deps.out(json(decisions));
    return;
  }
  if (decisions.length === 0) {
    deps.out(`no refresh decisions recorded for ${family}`);
    return;
  }
  for (const line of table(
    ['DECIDED', 'TRIGGER', 'OUTCOME', 'REQUEST', 'WHY'],
    decisions.map((d) => [
      minutes(d.decidedAt),
      d.triggerKey,
      outcomeOf(d),
      d.request?.idempotencyKey ?? '-',
      d.reason,
    ]),
  ))
    deps.out(line);
  if (cursor !== undefined) {
    deps.out(`(the newest ${limit} shown; more with --limit)`);
  }
};
