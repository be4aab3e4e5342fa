// `npm run bench`: runs every benchmark, prints the results and rewrites bench/RESULTS.md with the
// machine and the date. Targets are checked as ratios and limits measured in this one run.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
    const results = SIZES.map((n) => {
      const r = runPlanner(n);
      console.log(
        `planner ${n}: best ${r.bestMs.toFixed(0)} ms, median ${r.medianMs.toFixed(0)} ms, peak RSS ${r.maxRssMb} MiB`,
      );
      return r;
    });
    lines.push('## Retention planner', '');
    lines.push(
      'One `planRetention` call over a synthetic organisation of 200 families (40 golden, 160 applications on them), with usage facts for every AMI, holds on ~1% of images and every 20th family, `latest`/`stable` channels and a previous plan to diff against (`bench/world.ts`). Each size runs in a fresh process: three timed runs after one warm-up; peak RSS includes the generated input.',
      '',
      '| images | decisions | best | median | peak RSS | RSS of the input |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of results) {
      lines.push(
        `| ${r.images.toLocaleString('en')} | ${r.decisions.toLocaleString('en')} | ${r.bestMs.toFixed(0)} ms | ${r.medianMs.toFixed(0)} ms | ${r.maxRssMb} MiB | ${r.inputRssMb} MiB |`,
      );
    }
    const [, r100k, r1m] = results as [PlannerResult, PlannerResult, PlannerResult];
    const growth = r1m.bestMs / r100k.bestMs;
    const nlognGrowth = nlogn(1_000_000) / nlogn(100_000);
    const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
    lines.push(
      '',
      `Targets: 100k under 1 s (${verdict(r100k.bestMs < 1000)}: ${r100k.bestMs.toFixed(0)} ms); 1M under 10 s (${verdict(r1m.bestMs < 10_000)}: ${(r1m.bestMs / 1000).toFixed(1)} s); growth from 100k to 1M no worse than N log N (${verdict(growth <= nlognGrowth * 1.1)}: ×${growth.toFixed(1)} against ×${nlognGrowth.toFixed(1)} for N log N, 10% allowed for noise).`,
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
      `One build of \`${r.family}\` from the example policy on the local cloud, started by \`Build Requested\` on the bus and followed until the inspect service decided (\`${r.finalState}\` after ${r.simulatedMinutes} simulated minutes); EC2 takes 10 simulated minutes to make the AMI available. Transitions are states entered, read from each execution's history (\`bench/pipeline.ts\`).`,
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

  if (!only) writeFileSync(join(__dirname, 'RESULTS.md'), `${lines.join('\n')}\n`);
  else console.log(lines.join('\n'));
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
