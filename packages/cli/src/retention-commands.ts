import {
  type CatalogPort,
  type Clock,
  DECISION_TARGET,
  type Decision,
  type EventPublisher,
  type ImageDecision,
  type ImagePort,
  imageKey,
  type LifecycleState,
  type PlanDiffEntry,
  type RetentionPlan,
} from '@ami-lifecycle/core';
import {
  type DecommissionDeps,
  type DecommissionEvents,
  loadSweepSettings,
  planSweep,
  type SweepStarter,
  type UsageSources,
} from '@ami-lifecycle/decommission-service';
import { CliUsageError } from './args';
import { RefusedError } from './errors';
import { json, minutes, paint, type Tone, table } from './output';

/**
 * What the retention commands need beyond the catalog and the regional EC2 images amictl already has: the
 * live inventory a plan is made from (EC2's managed AMIs per region of the owner account, and the usage in
 * each account images are shared with, through its role) and the starter of the decommission state machine.
 */
export interface RetentionPorts extends Pick<UsageSources, 'inventory' | 'sharedUsage'> {
  sweeps: SweepStarter;
}

export interface RetentionDeps {
  catalog: CatalogPort;
  clock: Clock;
  region: string;
  /**
   * The owner account's EC2 images per region: a preview asks EC2 by id about a catalog AMI the inventory
   * listing misses (gone, or merely missed); it changes none.
   */
  regions: (region: string) => { images: ImagePort };
  decommission?: RetentionPorts | undefined;
  /** Asks a yes/no question on the terminal; absent when there is none (no TTY). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  out: (line: string) => void;
  /** Colour decisions and the guard (never JSON). */
  color?: boolean | undefined;
}

/** One action of a stored plan and what became of it: the image's state in the catalog now. */
export interface RetentionActionView {
  family: string;
  version: string;
  decision: Exclude<Decision, 'keep'>;
  /** The state the image was in when planned. */
  from: LifecycleState;
  /** The state the action leads to. */
  target: LifecycleState;
  /** The image's state now; null when the catalog no longer has it. */
  current: LifecycleState | null;
  /** The image reached the target state, or went further along deprecated, disabled, retired. */
  done: boolean;
}

/** `retention show --json`: the stored plan as it is, and each of its actions with the image's state now. */
export interface RetentionShowView {
  plan: RetentionPlan;
  actions: RetentionActionView[];
}

/** Diff entries `retention plan` and `show` print one per line before "and N more". */
const DIFF_LINES = 20;
/** Sweep ids an unknown one is answered with. */
const NEWEST_SWEEPS = 5;
/** Catalog reads `retention show` makes at once for the current states of the actions. */
const READS_AT_ONCE = 16;

/** `2026-03-01T10:00Z`: the minute a preview or a manual sweep is named after. */
const isoMinute = (at: Date): string => `${at.toISOString().slice(0, 16)}Z`;

/** The sweep id of `retention apply`: a Step Functions execution name, so no `:`. */
export const manualSweepId = (at: Date, dryRun: boolean): string =>
  `sweep-manual-${dryRun ? 'dry-run-' : ''}${isoMinute(at).replaceAll(':', '-')}`;

const portsOf = (deps: RetentionDeps): RetentionPorts => {
  if (deps.decommission === undefined)
    throw new Error(
      'amictl was wired without the decommission ports (AmictlDeps.decommission): retention plan and ' +
        'retention apply need the live inventory and the sweep starter',
    );
  return deps.decommission;
};

/** A preview sends nothing: the decommission deps' bus refuses. */
const noEvents: EventPublisher<DecommissionEvents> = {
  publish: async (detailType) => {
    throw new Error(`a retention preview puts nothing on the bus, yet ${detailType} was to be sent`);
  },
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The plan as `--family` shows it: that family's decisions, actions, counts and diff; the guard as it is. */
const forFamily = (plan: RetentionPlan, family: string): RetentionPlan => {
  const mine = (d: { family: string }) => d.family === family;
  const decisions = plan.decisions.filter(mine);
  const summary = { keep: 0, deprecate: 0, disable: 0, retire: 0 };
  for (const d of decisions) summary[d.decision]++;
  const changed = plan.diff.changed.filter(mine);
  const added = plan.diff.added.filter(mine);
  return {
    ...plan,
    decisions,
    summary,
    actions: plan.actions.filter(mine),
    diff: {
      changed,
      added,
      removed: plan.diff.removed.filter(mine),
      unchanged: decisions.length - changed.length - added.length,
    },
  };
};

const reasonsText = (d: ImageDecision) => d.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');

const diffEntry = (e: PlanDiffEntry) =>
  `${e.family}@${e.version}: ${e.from ?? '(none)'} -> ${e.to ?? '(gone)'}`;

/** The decisions table, the guard, the counts and the diff: what `plan` and `show` both print. */
const DECISION_TONE: Record<Decision, Tone> = {
  keep: 'good',
  deprecate: 'busy',
  disable: 'busy',
  retire: 'bad',
};

const printPlan = (
  plan: RetentionPlan,
  deps: Pick<RetentionDeps, 'out' | 'color'>,
  opts: { markActions: boolean },
) => {
  const color = paint(deps.color ?? false);
  const acted = new Set(plan.actions.map((a) => imageKey(a)));
  if (plan.decisions.length === 0) deps.out('no images to decide on');
  else
    for (const line of table(
      ['FAMILY', 'VERSION', 'STATE', 'DECISION', ...(opts.markActions ? ['ACTION'] : []), 'REASONS'],
      plan.decisions.map((d) => [
        d.family,
        d.version,
        d.state,
        d.decision,
        ...(opts.markActions ? [d.decision === 'keep' ? '-' : acted.has(imageKey(d)) ? 'yes' : 'no'] : []),
        reasonsText(d),
      ]),
      (cell, _row, column) => (column === 3 ? color(DECISION_TONE[cell as Decision], cell) : cell),
    ))
      deps.out(line);
  deps.out(
    plan.guard.status === 'ok'
      ? `guard: ${color('good', 'ok')}`
      : `guard: ${color('bad', 'tripped')}, no action is taken: ${plan.guard.reasons.join('; ')}`,
  );
  const { summary: s } = plan;
  deps.out(
    `decisions: ${s.deprecate} deprecate, ${s.disable} disable, ${s.retire} retire, ${s.keep} keep` +
      ` (${plural(plan.actions.length, 'action')})`,
  );
  for (const w of plan.withheld ?? []) deps.out(`withheld: ${w.family}: ${w.reason}`);
  const { diff } = plan;
  if (plan.previousSweepId === undefined) {
    deps.out('diff: no earlier plan to compare with');
    return;
  }
  deps.out(
    `diff to ${plan.previousSweepId}: ${diff.changed.length} changed, ${diff.added.length} added, ` +
      `${diff.removed.length} removed, ${diff.unchanged} unchanged`,
  );
  const entries = [
    ...diff.changed.map((e) => `  changed ${diffEntry(e)}`),
    ...diff.added.map((e) => `  added   ${diffEntry(e)}`),
    ...diff.removed.map((e) => `  removed ${diffEntry(e)}`),
  ];
  for (const line of entries.slice(0, DIFF_LINES)) deps.out(line);
  if (entries.length > DIFF_LINES) deps.out(`  and ${entries.length - DIFF_LINES} more (--json)`);
};

/**
 * `retention plan`: a plan made now from live inventory with the stored organisation's settings, as the
 * sweep's first step makes it, but not stored (so the next sweep's diff is unchanged) and not acted on.
 */
export const showRetentionPlan = async (
  options: { family: string | undefined; json: boolean },
  deps: RetentionDeps,
): Promise<void> => {
  const family = options.family;
  // Known before every region and account is read: a family with no config and no image.
  if (
    family !== undefined &&
    (await deps.catalog.getFamilyConfig(family)) === undefined &&
    (await deps.catalog.listImagesByFamily(family, { limit: 1 })).items.length === 0
  )
    throw new RefusedError(`family ${family} is unknown: it has no stored config and no images`);
  const ports = portsOf(deps);
  const settings = await loadSweepSettings(deps.catalog);
  const decommission: DecommissionDeps = {
    catalog: deps.catalog,
    events: noEvents,
    clock: deps.clock,
    region: deps.region,
    images: (region) => deps.regions(region).images,
    inventory: ports.inventory,
    sharedUsage: ports.sharedUsage,
  };
  const { plan, inventory, unreadable } = await planSweep(
    { sweepId: `preview-${isoMinute(deps.clock.now())}`, dryRun: true, store: false },
    settings,
    decommission,
  );
  const shown = family === undefined ? plan : forFamily(plan, family);
  if (options.json) {
    deps.out(json(shown));
    return;
  }
  deps.out(
    `retention plan as of ${minutes(plan.generatedAt)}, inventory read ${minutes(plan.inventoryAt)}` +
      ' (a preview: nothing stored, nothing changed)',
  );
  if (family !== undefined)
    deps.out(`the decisions of ${family}; the guard is the whole organisation's, as a sweep acts`);
  printPlan(shown, deps, { markActions: false });
  const { drift, unknown } = inventory;
  const seen = [
    ...(drift.untracked.length > 0
      ? [`${plural(drift.untracked.length, 'managed AMI')} in EC2 the catalog does not know`]
      : []),
    ...(drift.missing.length > 0 ? [`${plural(drift.missing.length, 'catalog AMI')} gone from EC2`] : []),
    ...(unknown.length > 0 ? [`${plural(unknown.length, 'image')} whose usage cannot all be seen`] : []),
  ];
  if (seen.length > 0) deps.out(`inventory: ${seen.join(', ')}`);
  for (const u of unreadable)
    deps.out(
      `family ${u.family}: its stored config does not parse, so every image of it is kept: ${u.error}`,
    );
};

/**
 * `retention apply`: starts the decommission state machine now, once confirmed (or `--yes`). The
 * organisation config is checked first: a sweep without it would fail in its first step.
 */
export const applyRetention = async (
  options: { yes: boolean; dryRun: boolean },
  deps: RetentionDeps,
): Promise<void> => {
  if (!options.yes && deps.confirm === undefined)
    throw new CliUsageError(
      'retention apply asks before it starts a sweep, and there is no terminal to ask on: add --yes',
      'retention apply',
    );
  const ports = portsOf(deps);
  await loadSweepSettings(deps.catalog);
  const sweepId = manualSweepId(deps.clock.now(), options.dryRun);
  if (!options.yes && deps.confirm !== undefined) {
    const question = options.dryRun
      ? `Start the dry-run sweep ${sweepId} now? It plans and stores its plan, and changes no image.`
      : `Start the sweep ${sweepId} now? It deprecates, disables and retires the images its plan decides ` +
        '(amictl retention plan shows what it would decide now).';
    if (!(await deps.confirm(question)))
      throw new RefusedError(`nothing started: the sweep ${sweepId} was not confirmed`);
  }
  const { outcome, executionName } = await ports.sweeps.start({ sweepId, dryRun: options.dryRun });
  deps.out(
    outcome === 'started'
      ? `${options.dryRun ? 'dry-run sweep' : 'sweep'} ${sweepId} started (execution ${executionName})`
      : `sweep ${sweepId} was already started (execution ${executionName}); nothing new started`,
  );
  deps.out(`follow it: amictl retention show ${sweepId} (its plan is stored once its first step has run)`);
};

/** Where an image stands on the way out; rejected and failed images go straight to retired. */
const STAGE: Partial<Record<LifecycleState, number>> = {
  published: 0,
  deprecated: 1,
  disabled: 2,
  retired: 3,
};

const actionView = (action: ImageDecision, current: LifecycleState | null): RetentionActionView => {
  const decision = action.decision as Exclude<Decision, 'keep'>;
  const target = DECISION_TARGET[decision];
  return {
    family: action.family,
    version: action.version,
    decision,
    from: action.state,
    target,
    current,
    done: current !== null && (STAGE[current] ?? -1) >= (STAGE[target] ?? Number.POSITIVE_INFINITY),
  };
};

/** "retention plan x is not in the catalog", with the newest sweep ids there are. */
const unknownSweep = async (sweepId: string, catalog: CatalogPort): Promise<string> => {
  const missing = `retention plan ${sweepId} is not in the catalog`;
  const { items } = await catalog.listPlans({ limit: NEWEST_SWEEPS });
  return items.length === 0
    ? `${missing}: no plan is stored yet`
    : `${missing}; the newest: ${items.map((p) => p.sweepId).join(', ')}`;
};

/** `retention show`: a stored plan (the newest by default) and each action with the image's state now. */
export const showRetention = async (
  options: { sweepId: string | undefined; json: boolean },
  deps: Pick<RetentionDeps, 'catalog' | 'out' | 'color'>,
): Promise<void> => {
  const { catalog } = deps;
  let sweepId = options.sweepId;
  if (sweepId === undefined) {
    sweepId = (await catalog.listPlans({ limit: 1 })).items[0]?.sweepId;
    if (sweepId === undefined) {
      deps.out(
        options.json ? 'null' : 'no retention plan is stored yet (amictl retention apply starts a sweep)',
      );
      return;
    }
  }
  const plan = await catalog.getPlan(sweepId);
  if (plan === undefined) throw new RefusedError(await unknownSweep(sweepId, catalog));
  const actions: RetentionActionView[] = [];
  for (let i = 0; i < plan.actions.length; i += READS_AT_ONCE) {
    const batch = plan.actions.slice(i, i + READS_AT_ONCE);
    const images = await Promise.all(batch.map((a) => catalog.getImage(a.family, a.version)));
    batch.forEach((a, j) => {
      actions.push(actionView(a, images[j]?.state ?? null));
    });
  }
  if (options.json) {
    const view: RetentionShowView = { plan, actions };
    deps.out(json(view));
    return;
  }
  deps.out(
    `retention plan ${plan.sweepId}: made ${minutes(plan.generatedAt)}, inventory read ${minutes(plan.inventoryAt)}`,
  );
  printPlan(plan, deps, { markActions: true });
  if (actions.length === 0) {
    deps.out(
      plan.guard.status === 'ok' ? 'no actions: every image is kept' : 'no actions: the guard tripped',
    );
    return;
  }
  const done = actions.filter((a) => a.done).length;
  deps.out(`actions: ${done} of ${actions.length} done`);
  for (const line of table(
    ['ACTION', 'IMAGE', 'PLANNED FROM', 'NOW'],
    actions.map((a) => [
      a.decision,
      `${a.family}@${a.version}`,
      a.from,
      a.current === null
        ? 'not in the catalog'
        : a.done
          ? `${a.current} (done)`
          : a.current === a.from
            ? `still ${a.current}`
            : `now ${a.current} (not ${a.target})`,
    ]),
  ))
    deps.out(`  ${line}`);
};
