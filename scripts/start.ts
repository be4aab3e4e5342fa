// `npm start`: the main job on the embedded local cloud. The project's serverless.yml is deployed on it
// (DynamoDB Local, EC2, SSM, Inspector2, EventBridge, Step Functions, the functions in process); a golden
// and an application image are built and inspected through events (scripts/pipeline-demo.ts); then the
// retention planner runs over a year of history of the example organisation (scripts/demo.ts).
import { join } from 'node:path';
import { startLocalCloud } from '@ami-lifecycle/local-cloud';
import { runDemo } from './demo';
import { runPipelineDemo } from './pipeline-demo';

const main = async () => {
  const started = Date.now();
  const cloud = await startLocalCloud({
    port: 0,
    start: '2026-11-27T09:00:00.000Z',
    dynamodb: true,
    deploy: { serverlessFile: join(__dirname, '..', 'serverless.yml'), stage: 'local' },
  });
  console.log(
    `Local cloud at ${cloud.endpoint}, DynamoDB Local at ${cloud.dynamodb?.endpoint} (started in ${Date.now() - started} ms)`,
  );
  try {
    console.log('\n== Build, inspect and publish ==');
    await runPipelineDemo({ cloud });
    console.log('\n== Retention ==');
    // Its own table: the year of history is written, not built, and stays apart from the images above.
    await runDemo({ dynamoDbEndpoint: cloud.dynamodb!.endpoint, tableName: 'ami-lifecycle-history' });
  } finally {
    await cloud.stop();
  }
};

main().catch((e) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exit(1);
});
