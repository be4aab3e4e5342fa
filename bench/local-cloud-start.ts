import { startLocalCloud } from '@ami-lifecycle/local-cloud';

export interface LocalCloudStartResult {
  name: string;
  runs: number;
  /** Each run's start-to-ready time, in run order (the first one pays for a cold JVM and disk cache). */
  samplesMs: number[];
  medianMs: number;
  maxMs: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * How long `startLocalCloud({ dynamodb: true })` takes until every part answers (the edge, the control
 * API and DynamoDB Local), over `runs` sequential start/stop cycles. DynamoDB Local's JVM dominates it.
 * Each cloud is stopped (Java gone) before the next starts, so runs do not compete for the CPU.
 */
export const benchLocalCloudStart = async (runs = 5): Promise<LocalCloudStartResult> => {
  if (!Number.isInteger(runs) || runs < 1)
    throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const samplesMs: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    const cloud = await startLocalCloud({ port: 0, dynamodb: true });
    samplesMs.push(Math.round(performance.now() - started));
    await cloud.stop();
  }
  return {
    name: 'local-cloud start (with DynamoDB Local)',
    runs,
    samplesMs,
    medianMs: median(samplesMs),
    maxMs: Math.max(...samplesMs),
  };
};

// `npx tsx bench/local-cloud-start.ts` runs it alone; bench/run.ts imports the function.
if (require.main === module) {
  benchLocalCloudStart().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
