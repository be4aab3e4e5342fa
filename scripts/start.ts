// `npm start`: runs the main job on the embedded local cloud. Today that is the catalog on DynamoDB
// Local and the retention planner over the example organisation (see scripts/demo.ts).
import { startDynamoDbLocal } from '@ami-lifecycle/catalog/local';
import { runDemo } from './demo';

const main = async () => {
  const started = Date.now();
  const dynamo = await startDynamoDbLocal();
  console.log(`DynamoDB Local at ${dynamo.endpoint} (started in ${Date.now() - started} ms)`);
  try {
    await runDemo({ dynamoDbEndpoint: dynamo.endpoint });
  } finally {
    await dynamo.stop();
  }
};

main().catch((e) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exit(1);
});
