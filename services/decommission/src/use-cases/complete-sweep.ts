import {
  type BatchOutcome,
  DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH,
  type RetentionPlan,
} from '@ami-lifecycle/core';
import { PlanNotFoundError } from '../errors';
import type { DecommissionDeps, SweepSettings } from './deps';
import { deleteOrphanSnapshots } from './orphans';

export interface SweepOutcome {
  sweepId: string;
  dryRun: boolean;
  guard: RetentionPlan['guard'];
  /** Per decision: how many were planned, and what became of the actions. */
  planned: RetentionPlan['summary'];
  done: number;
  skipped: number;
  failed: number;
  /** The first few actions that were skipped or failed, with why. */
  problems: string[];
}

/**
 * The end of a sweep: one `Retention Sweep Completed` per family of the plan (retention and its guards
 * are per family; consumers filter on it), with the plan's counts, whether it was a dry run, and the
 * guard's verdict. Sent under a key of the sweep and family, so a retried step sends the same events.
 */
export const completeSweep = async (
  input: {
    sweepId: string;
    dryRun: boolean;
    applied: readonly BatchOutcome[];
    /** USD per GiB-month per region (the policy's); other regions cost the default. */
    prices?: Readonly<Record<string, number>>;
    /** The sweep's plan when the caller has read it already; read here otherwise. */
    plan?: RetentionPlan;
  },
  deps: Pick<DecommissionDeps, 'catalog' | 'events' | 'clock'>,
): Promise<SweepOutcome> => {
  const plan = input.plan ?? (await deps.catalog.getPlan(input.sweepId));
  if (plan === undefined) throw new PlanNotFoundError(input.sweepId);
  const families = [...new Set(plan.decisions.map((d) => d.family))].sort();
  for (const family of families) {
    const counts = { keep: 0, deprecate: 0, disable: 0, retire: 0 };
    for (const d of plan.decisions) if (d.family === family) counts[d.decision] += 1;
    const freed = input.applied.flatMap((b) => b.freed).filter((f) => f.family === family);
    const gib = freed.reduce((sum, f) => sum + f.gib, 0);
    const cost = freed.reduce(
      (sum, f) => sum + f.gib * (input.prices?.[f.region] ?? DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH),
      0,
    );
    const outcomes = input.applied.flatMap((b) => b.byFamily).filter((o) => o.family === family);
    await deps.events.publish('Retention Sweep Completed', {
      schemaVersion: 2,
      family,
      correlationId: plan.sweepId,
      idempotencyKey: `retention-sweep-completed:${plan.sweepId}:${family}`,
      occurredAt: deps.clock.now().toISOString(),
      sweepId: plan.sweepId,
      // Withheld (a new or changed policy's first sweep) is a dry run for that family.
      dryRun: input.dryRun || (plan.withheld ?? []).some((w) => w.family === family),
      inventoryAt: plan.inventoryAt,
      counts,
      // Skipped and failed actions are the operator's to look at: said where they look, not only in the
      // execution's history.
      actions: {
        done: outcomes.reduce((n, o) => n + o.done, 0),
        skipped: outcomes.reduce((n, o) => n + o.skipped, 0),
        failed: outcomes.reduce((n, o) => n + o.failed, 0),
      },
      snapshotGiBFreed: gib,
      // Cents: a sum of float products would print as 0.30000000000000004.
      monthlyStorageCostSaved: { amount: Math.round(cost * 100) / 100, currency: 'USD' },
      guard:
        plan.guard.status === 'ok'
          ? { verdict: 'ok' }
          : { verdict: 'tripped', reason: plan.guard.reasons.join('; ') || 'a guard tripped' },
    });
  }
  return {
    sweepId: plan.sweepId,
    dryRun: input.dryRun,
    guard: plan.guard,
    planned: plan.summary,
    done: sum(input.applied, 'done'),
    skipped: sum(input.applied, 'skipped'),
    failed: sum(input.applied, 'failed'),
    problems: input.applied.flatMap((b) => b.problems).slice(0, 50),
  };
};

const sum = (batches: readonly BatchOutcome[], field: 'done' | 'skipped' | 'failed'): number =>
  batches.reduce((n, b) => n + b[field], 0);

/**
 * The sweep's last step: orphaned snapshots deleted, then `Retention Sweep Completed` per family with what
 * the batches and the orphans freed. Snapshots go only when the sweep may act: not on a dry run, not past a
 * tripped guard, and never for a family whose actions the plan withheld (its policy is new or changed).
 */
export const finishSweep = async (
  input: { sweepId: string; dryRun: boolean },
  settings: Pick<SweepSettings, 'regions' | 'prices'>,
  deps: Pick<DecommissionDeps, 'catalog' | 'events' | 'clock' | 'inventory'>,
): Promise<SweepOutcome & { orphanSnapshotsDeleted: number }> => {
  const plan = await deps.catalog.getPlan(input.sweepId);
  if (plan === undefined) throw new PlanNotFoundError(input.sweepId);
  const stored = await deps.catalog.listBatchOutcomes(input.sweepId);
  const acting = !input.dryRun && plan.guard.status === 'ok';
  const orphans = acting
    ? await deleteOrphanSnapshots(
        {
          regions: settings.regions,
          dryRun: false,
          skipFamilies: new Set((plan.withheld ?? []).map((w) => w.family)),
        },
        deps,
      )
    : [];
  const freed = orphans.map((o) => ({ family: o.family, region: o.region, gib: o.gib }));
  const applied: BatchOutcome[] = [
    ...stored.map((b) => b.outcome),
    ...(freed.length > 0 ? [{ done: 0, skipped: 0, failed: 0, problems: [], freed, byFamily: [] }] : []),
  ];
  const outcome = await completeSweep({ ...input, applied, prices: settings.prices, plan }, deps);
  return { ...outcome, orphanSnapshotsDeleted: orphans.length };
};
