// One planner measurement in a fresh process, so peak RSS belongs to this size alone, side by side with
// the baseline the planner's target is set against: a plain sort of as many objects by a string key.
import { imageKey, planRetention } from '@ami-lifecycle/core';
import { makeWorld, prng } from './world';

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n <= 0) {
  console.error(`usage: planner-worker <images>, got "${process.argv[2] ?? ''}"`);
  process.exit(2);
}
const RUNS = 3;
const input = makeWorld({ images: n });
const previous = planRetention({ ...input, sweepId: 'previous' });

/**
 * The baseline: `Array.prototype.sort` of N fresh objects `{ key }` by their string key with a plain
 * `<`/`>` comparator, the keys being the world's own `family@version` strings in a seeded shuffle. The
 * objects are copied before each run (untimed), so every run sorts the same unsorted array; the key
 * strings are made once and flat (as strings read from JSON are), shared by every copy.
 */
const keys = input.images.map((i) => imageKey(i));
{
  const rand = prng(7);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  for (let i = 0; i < keys.length; i++) keys[i] = JSON.parse(JSON.stringify(keys[i])) as string;
}
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const sortOnce = (): number => {
  const objects = keys.map((key) => ({ key }));
  globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  objects.sort(byKey);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
let plan = previous;
const planOnce = (): number => {
  globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  plan = planRetention({ ...input, previousPlan: previous });
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
// One warm-up each, then the timed runs interleaved, so both meet the same machine.
sortOnce();
planOnce();
const sortRuns: number[] = [];
const runs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  sortRuns.push(sortOnce());
  runs.push(planOnce());
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
const bestMs = Math.min(...runs);
const sortBestMs = Math.min(...sortRuns);
process.stdout.write(
  `${JSON.stringify({
    images: n,
    bestMs,
    medianMs: median(runs),
    runsMs: runs,
    sortBestMs,
    sortMedianMs: median(sortRuns),
    sortRunsMs: sortRuns,
    ratioBest: bestMs / sortBestMs,
    ratioMedian: median(runs) / median(sortRuns),
    maxRssMb: Math.round(maxRssMb),
    inputRssMb: Math.round(rssBefore / 1048576),
    decisions: plan.decisions.length,
    summary: plan.summary,
    guard: plan.guard.status,
  })}\n`,
);
