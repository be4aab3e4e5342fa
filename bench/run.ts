// `npm run bench`: runs every benchmark, prints the results and rewrites bench/RESULTS.md with the
// machine and the date. Targets are checked as ratios and limits measured in this one run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

interface PlannerResult {
  images: number;
  bestMs: number;
  medianMs: number;
  maxRssMb: number;
  inputRssMb: number;
  decisions: number;
  summary: Record<string, number>;
}

const SIZES = [10_000, 100_000, 1_000_000];

const runPlanner = (images: number): PlannerResult => {
  const out = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--max-old-space-size=12000',
      '--import',
      'tsx',
      join(__dirname, 'planner-worker.ts'),
      String(images),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as PlannerResult;
};

const nlogn = (n: number) => n * Math.log2(n);

const DECOMMISSION_HEADING = '## Decommission sweep pacing';

/**
 * `npm run bench -- decommission` alone: its section of RESULTS.md is replaced (or appended), the other
 * sections keep their previous text.
 */
const mergeSection = (file: string, heading: string, section: string[]) => {
  const previous = existsSync(file) ? readFileSync(file, 'utf8').replace(/\n+$/, '') : '# Benchmark results';
  const body = section.join('\n').replace(/\n+$/, '');
  const start = previous.indexOf(`\n${heading}\n`);
  let merged: string;
  if (start < 0) merged = `${previous}\n\n${body}`;
  else {
    const next = previous.indexOf('\n## ', start + 1);
    merged = `${previous.slice(0, start)}\n${body}${next < 0 ? '' : `\n${previous.slice(next)}`}`;
  }
  writeFileSync(file, `${merged}\n`);
};

const main = async () => {
  const only = process.argv[2];
  const lines: string[] = [];
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
  lines.push(
    '# Benchmark results',
    '',
    `Recorded by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `Machine: ${machine}.`,
    '',
  );
  lines.push(
    'These machines are shared and noisy: compare the ratios within one run, not single numbers across runs.',
    '',
  );

  if (!only || only === 'planner') {
    /** The worker also times the baseline in its process: a plain sort of as many `{ key }` objects. */
    type Measured = PlannerResult & {
      sortBestMs: number;
      sortMedianMs: number;
      ratioBest: number;
      ratioMedian: number;
    };
    const results = SIZES.map((n) => {
      const r = runPlanner(n) as Measured;
      console.log(
        `planner ${n}: best ${r.bestMs.toFixed(0)} ms, median ${r.medianMs.toFixed(0)} ms, peak RSS ${r.maxRssMb} MiB; sort of ${n} keys best ${r.sortBestMs.toFixed(0)} ms, planner/sort ×${r.ratioBest.toFixed(2)} (best), ×${r.ratioMedian.toFixed(2)} (median)`,
      );
      return r;
    });
    lines.push('## Retention planner', '');
    lines.push(
      'One `planRetention` call over a synthetic organisation of 200 families (40 golden, 160 applications on them), with usage facts for every AMI, holds on ~1% of images and every 20th family, `latest`/`stable` channels and a previous plan to diff against (`bench/world.ts`). Each size runs in a fresh process: three timed runs after one warm-up; peak RSS includes the generated input.',
      '',
      "Beside it, in the same process and interleaved with it, the baseline: `Array.prototype.sort` of as many fresh `{ key }` objects by their string key (a plain `<`/`>` comparator), the keys being the images' own `family@version` strings in a seeded shuffle, the objects copied before each run (untimed); three timed runs after one warm-up (`bench/planner-worker.ts`).",
      '',
      '| images | decisions | best | median | sort best | sort median | planner / sort (best) | planner / sort (median) | peak RSS | RSS of the input |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of results) {
      lines.push(
        `| ${r.images.toLocaleString('en')} | ${r.decisions.toLocaleString('en')} | ${r.bestMs.toFixed(0)} ms | ${r.medianMs.toFixed(0)} ms | ${r.sortBestMs.toFixed(0)} ms | ${r.sortMedianMs.toFixed(0)} ms | ×${r.ratioBest.toFixed(2)} | ×${r.ratioMedian.toFixed(2)} | ${r.maxRssMb} MiB | ${r.inputRssMb} MiB |`,
      );
    }
    const [, r100k, r1m] = results as [Measured, Measured, Measured];
    const growth = r1m.bestMs / r100k.bestMs;
    const nlognGrowth = nlogn(1_000_000) / nlogn(100_000);
    const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
    lines.push(
      '',
      `Targets: 100k under 1 s (${verdict(r100k.bestMs < 1000)}: ${r100k.bestMs.toFixed(0)} ms); 1M under 10 s (${verdict(r1m.bestMs < 10_000)}: ${(r1m.bestMs / 1000).toFixed(1)} s); growth from 100k to 1M no worse than N log N (${verdict(growth <= nlognGrowth * 1.1)}: ×${growth.toFixed(1)} against ×${nlognGrowth.toFixed(1)} for N log N, 10% allowed for noise).`,
      '',
      `Against the sort (best of each): at 1M the planner takes at most 1.2 × the sort of 1M keys (${verdict(r1m.ratioBest <= 1.2)}: ×${r1m.ratioBest.toFixed(2)}, ${r1m.bestMs.toFixed(0)} ms against ${r1m.sortBestMs.toFixed(0)} ms; medians ×${r1m.ratioMedian.toFixed(2)}); at 100k ×${r100k.ratioBest.toFixed(2)} (${r100k.bestMs.toFixed(0)} ms against ${r100k.sortBestMs.toFixed(0)} ms).`,
      '',
    );
  }

  if (!only || only === 'local-cloud') {
    try {
      const mod = (await import('./local-cloud-start')) as {
        benchLocalCloudStart: () => Promise<{ name: string; runs: number; medianMs: number; maxMs: number }>;
      };
      const r = await mod.benchLocalCloudStart();
      console.log(
        `local cloud start: median ${r.medianMs.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms over ${r.runs} runs`,
      );
      lines.push(
        '## Local cloud start',
        '',
        `\`startLocalCloud()\` with DynamoDB Local, from the call to a healthy edge, ${r.runs} runs: median ${r.medianMs.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms. Target under 5 s: ${r.maxMs < 5000 ? 'met' : '**missed**'}.`,
        '',
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' && !/Cannot find module/.test(String(e)))
        throw e;
    }
  }

  if (!only || only === 'pipeline') {
    const { benchGoldenPipeline, PRICES } = await import('./pipeline');
    const r = await benchGoldenPipeline();
    const build = r.machines.find((m) => m.machine === 'build');
    const usd = (n: number) => `$${n.toFixed(6)}`;
    console.log(
      `golden pipeline: ${r.machines.map((m) => `${m.machine} ${m.transitions} transitions`).join(', ')}, ${r.invocations.total} invocations, ${usd(r.cost.total)}`,
    );
    lines.push(
      '## Orchestration per golden build',
      '',
      `One build of \`${r.family}\` from the example policy on the local cloud, started by \`Build Requested\` on the bus and followed through inspection and publication to two regions and the workloads account (\`${r.finalState}\` after ${r.simulatedMinutes} simulated minutes; the notify service tells the owners on the way); EC2 takes 10 simulated minutes to make the AMI available. Transitions are states entered, read from each execution's history (\`bench/pipeline.ts\`).`,
      '',
      '| state machine | executions | state transitions | status |',
      '| --- | ---: | ---: | --- |',
      ...r.machines.map(
        (m) => `| ${m.machine} | ${m.executions} | ${m.transitions} | ${m.status.join(', ')} |`,
      ),
      '',
      `Lambda invocations: ${r.invocations.total} (${Object.entries(r.invocations.byFunction)
        .map(([f, n]) => `${f} ${n}`)
        .join(
          ', ',
        )}); ${r.invocations.billedMs} ms of handler time in process. Custom events put on the bus: ${r.customEvents}.`,
      '',
      `Cost at eu-west-1 list prices (Step Functions Standard $${(PRICES.stateTransition * 1000).toFixed(3)} per 1,000 transitions, Lambda arm64 $${(PRICES.lambdaRequest * 1e6).toFixed(2)} per million requests and $${PRICES.lambdaGbSecondArm} per GB-s at 512 MB, EventBridge $${(PRICES.customEvent * 1e6).toFixed(2)} per million custom events): Step Functions ${usd(r.cost.stepFunctions)}, Lambda ${usd(r.cost.lambda)}, EventBridge ${usd(r.cost.events)}; ${usd(r.cost.total)} per golden build, $${(r.cost.total * 1000).toFixed(2)} per thousand. In-process handler time understates Lambda's (no cold starts, local network), so the Lambda line is a floor; transitions dominate either way.`,
      '',
      `Target: at most 60 transitions for the build (${build !== undefined && build.transitions <= 60 ? 'met' : '**missed**'}: ${build?.transitions ?? 'no build machine'}).`,
      '',
    );
  }

  if (!only || only === 'decommission') {
    const { benchDecommissionSweep } = await import('./decommission-sweep');
    const r = await benchDecommissionSweep();
    const { paced, unpaced, bound, workload: w } = r;
    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    const ratio = (run: typeof paced) => run.simulatedSeconds / bound.seconds;
    console.log(
      `decommission sweep: paced ${paced.simulatedSeconds.toFixed(1)} s (×${ratio(paced).toFixed(3)} the bound), ${pct(paced.throttledShare)} throttled; unpaced ${unpaced.simulatedSeconds.toFixed(1)} s, ${pct(unpaced.throttledShare)} throttled, ${unpaced.failedRequests} failed`,
    );
    const row = (label: string, run: typeof paced) =>
      `| ${label} | ${run.simulatedSeconds.toFixed(1)} s | ${ratio(run).toFixed(3)} | ${run.ec2Calls.toLocaleString('en')} | ${run.throttledCalls.toLocaleString('en')} (${pct(run.throttledShare)}) | ${run.callsPerImage.toFixed(3)} | ${run.failedRequests} | ${run.imagesRetired.toLocaleString('en')} |`;
    const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
    const section = [
      DECOMMISSION_HEADING,
      '',
      ...(only
        ? [
            `Recorded by \`npm run bench -- decommission\` on ${new Date().toISOString().slice(0, 10)}, machine: ${machine} (simulated time: the numbers do not depend on the machine).`,
            '',
          ]
        : []),
      `One sweep over ${w.managedImages.toLocaleString('en')} managed images, ${w.toRetire.toLocaleString('en')} of them to retire, against EC2's published request token buckets on a simulated clock (\`bench/decommission-sweep.ts\`: a simulation, not the local cloud; requests take no simulated time, so only the buckets and the waits count). One worker, in order: the inventory (DescribeImages in pages of ${w.describeImagesPage}, DescribeImageReferences in batches of ${w.imageReferencesBatch}), then per retirement ${w.perRetirement.join(', ')}. The server refills each action's bucket continuously and refuses a request finding less than one token with RequestLimitExceeded. *Paced* runs the product's \`Ec2Pacer\` before every attempt, with the SDK's retries behind it; *unpaced* is the SDK's standard retries alone (3 attempts, full-jitter backoff from 1 s for throttling capped at 20 s, 500-token retry quota, jitter seeded). A request still throttled after its retries is a failure: the image is left for the next sweep.`,
      '',
      `Token-bucket lower bound: ${bound.seconds.toFixed(1)} s, the sum of each phase's slowest action (inventory ${bound.perPhase[0]?.seconds.toFixed(1)} s for ${bound.perPhase[0]?.action}, retirements ${bound.perPhase[1]?.seconds.toFixed(1)} s for ${bound.perPhase[1]?.action}), where an action's n calls take at least max(0, n − capacity) / refill: the retirements wait for the inventory, and a bucket never holds more than its capacity (each action's bound over the whole sweep, the other lower bound, is no larger here).`,
      '',
      '| mode | simulated duration | duration / bound | EC2 calls | throttled | calls per managed image | failed after retries | images retired |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row('paced (Ec2Pacer + SDK retries)', paced),
      row('plain SDK retries', unpaced),
      '',
      `Throttled unpaced, by action: ${
        Object.entries(unpaced.throttledByAction)
          .map(([a, n]) => `${a} ${n}`)
          .join(', ') || 'none'
      }.`,
      '',
      `Targets (paced): duration at most 1.05 × the bound (${verdict(ratio(paced) <= 1.05)}: ×${ratio(paced).toFixed(3)}); throttled calls under 1% of EC2 calls (${verdict(paced.throttledShare < 0.01)}: ${pct(paced.throttledShare)}).`,
      '',
    ];
    if (only) mergeSection(join(__dirname, 'RESULTS.md'), DECOMMISSION_HEADING, section);
    else lines.push(...section);
  }

  if (!only || only === 'scale') {
    const { benchDecommissionScale, renderScaleSection, SCALE_HEADING } = await import(
      './decommission-scale'
    );
    const r = await benchDecommissionScale();
    for (const d of r.days) {
      const batch = d.steps.find((s) => s.step.startsWith('ApplyBatch'));
      console.log(
        `decommission at scale, ${d.day}: ${d.plan.batches} batches, ${d.history.noRetries} history events (${d.history.twoRetries} retried twice), worst batch ${batch?.boundS.toFixed(0)} s bound / ${batch?.projectedS.toFixed(0)} s projected, $${d.cost.total.toFixed(2)} per sweep`,
      );
    }
    const section = renderScaleSection(
      r,
      only
        ? `Recorded by \`npm run bench -- scale\` on ${new Date().toISOString().slice(0, 10)}, machine: ${machine}.`
        : 'Recorded with the rest of this file.',
    );
    if (only) mergeSection(join(__dirname, 'RESULTS.md'), SCALE_HEADING, section);
    else lines.push(...section);
  }

  if (!only || only === 'bundles') {
    const { benchBundles, renderBundlesSection, BUNDLES_HEADING, SIZE_TARGET, sizeBudget } = await import(
      './bundles'
    );
    const r = await benchBundles();
    const worst = [...r.functions].sort((a, b) => b.bytes - a.bytes)[0];
    const ratio = (bytes: number) => bytes / r.floor.bytes;
    console.log(
      `bundles: floor ${(r.floor.bytes / 1024).toFixed(0)} KiB / ${r.floor.importMs.toFixed(0)} ms; largest ${worst?.name} ${((worst?.bytes ?? 0) / 1024).toFixed(0)} KiB / ${worst?.importMs.toFixed(0)} ms; ${r.functions.filter((b) => ratio(b.bytes) <= SIZE_TARGET).length} of ${r.functions.length} within ${SIZE_TARGET}× the floor, ${r.functions.filter((b) => ratio(b.bytes) <= sizeBudget(b.name)).length} within their budget`,
    );
    const section = renderBundlesSection(
      r,
      only
        ? `Recorded by \`npm run bench -- bundles\` on ${new Date().toISOString().slice(0, 10)}, machine: ${machine}.`
        : 'Recorded with the rest of this file.',
    );
    if (only) mergeSection(join(__dirname, 'RESULTS.md'), BUNDLES_HEADING, section);
    else lines.push(...section);
  }

  if (!only) writeFileSync(join(__dirname, 'RESULTS.md'), `${lines.join('\n')}\n`);
  else if (only === 'decommission') console.log(`bench/RESULTS.md: ${DECOMMISSION_HEADING.slice(3)} updated`);
  else if (only === 'bundles') console.log(`bench/RESULTS.md: ${'Lambda bundles'} updated`);
  else if (only === 'scale')
    console.log('bench/RESULTS.md: Decommission sweep at fleet scale (projection) updated');
  else console.log(lines.join('\n'));
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
