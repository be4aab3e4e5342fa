// `npm start`: the main job on the embedded local cloud. The project's serverless.yml is deployed on it
// (DynamoDB Local, EC2, SSM, Inspector2, EventBridge, Step Functions, the functions in process); golden
// and application images are built, inspected, approved and published through events, and refreshed on
// a new golden version (scripts/pipeline-demo.ts). Then two weeks pass on the simulated clock and the daily
// retention sweeps of the decommission service deprecate, disable and retire those images, keeping every
// one that is in use, held, pointed to by a channel or the parent of one that stays
// (scripts/retention-demo.ts).
import { join } from 'node:path';
import { startLocalCloud } from '@ami-lifecycle/local-cloud';
import { runPipelineDemo } from './pipeline-demo';
import { runRetentionDemo } from './retention-demo';

/** When the simulated clock starts, and serverless.yml is deployed: the daily schedules fire at this time of day. */
const START = '2026-03-02T09:00:00.000Z';

const main = async () => {
  const started = Date.now();
  const cloud = await startLocalCloud({
    port: 0,
    start: START,
    dynamodb: true,
    deploy: { serverlessFile: join(__dirname, '..', 'serverless.yml'), stage: 'local' },
  });
  console.log(
    `Local cloud at ${cloud.endpoint}, DynamoDB Local at ${cloud.dynamodb?.endpoint} (started in ${Date.now() - started} ms)`,
  );
  try {
    console.log('\n== Build, inspect and publish ==');
    const built = await runPipelineDemo({ cloud });
    console.log('\n== Retention, day after day ==');
    await runRetentionDemo({ cloud, built, deployedAt: new Date(START) });
    console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s of real time.`);
  } finally {
    await cloud.stop();
  }
};

main().catch((e) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exit(1);
});
