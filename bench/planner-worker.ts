// One planner measurement in a fresh process, so peak RSS belongs to this size alone.
import { planRetention } from '@ami-lifecycle/core';
import { makeWorld } from './world';

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n <= 0) {
  console.error(`usage: planner-worker <images>, got "${process.argv[2] ?? ''}"`);
  process.exit(2);
}
const input = makeWorld({ images: n });
const previous = planRetention({ ...input, sweepId: 'previous' });
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const runs: number[] = [];
let plan = previous;
for (let i = 0; i < 3; i++) {
  const t0 = process.hrtime.bigint();
  plan = planRetention({ ...input, previousPlan: previous });
  runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(
  `${JSON.stringify({
    images: n,
    bestMs: Math.min(...runs),
    medianMs: runs.sort((a, b) => a - b)[1],
    maxRssMb: Math.round(maxRssMb),
    inputRssMb: Math.round(rssBefore / 1048576),
    decisions: plan.decisions.length,
    summary: plan.summary,
    guard: plan.guard.status,
  })}\n`,
);
