// `npm run amictl -- ...`: the CLI against AWS, or the local cloud when AWS_ENDPOINT_URL points at it.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createClients, EventBridgePublisher } from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { systemClock } from '@ami-lifecycle/core';
import { runAmictl } from './amictl';

const main = async () => {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'eu-west-1';
  const clients = createClients({ region });
  const code = await runAmictl(process.argv.slice(2), {
    catalog: new DynamoDbCatalog({
      tableName: process.env.CATALOG_TABLE ?? 'ami-lifecycle-local',
      client: createDocumentClient({ region }),
    }),
    events: new EventBridgePublisher(
      process.env.EVENT_BUS_NAME ?? 'ami-lifecycle-local',
      clients.eventBridge,
    ),
    clock: systemClock,
    readFile: (path) => readFileSync(path, 'utf8'),
    user: process.env.USER ?? userInfo().username,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
  process.exitCode = code;
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `amictl: ${error.name}: ${error.message}` : error);
  process.exitCode = 1;
});
