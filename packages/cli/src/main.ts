// `npm run amictl -- ...`: the CLI against AWS, or the local cloud when AWS_ENDPOINT_URL points at it.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createClients, Ec2Images, EventBridgePublisher, SsmParameters } from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import { systemClock } from '@ami-lifecycle/core';
import type { RegionalPorts } from '@ami-lifecycle/publish-service';
import { runAmictl } from './amictl';

/** EC2 and SSM of each region, with one set of clients per region, made when first needed. */
const regionalPorts = (): RegionalPorts => {
  const ports = new Map<string, ReturnType<RegionalPorts>>();
  return (region) => {
    let regional = ports.get(region);
    if (regional === undefined) {
      const clients = createClients({ region });
      regional = {
        images: new Ec2Images(clients.ec2, clients.ssm),
        parameters: new SsmParameters(clients.ssm),
      };
      ports.set(region, regional);
    }
    return regional;
  };
};

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
    region,
    regions: regionalPorts(),
    readFile: (path) => readFileSync(path, 'utf8'),
    user: process.env.USER ?? userInfo().username,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
  process.exitCode = code;
};

// runAmictl answers every failure it can name with its exit code; what is left is unexpected (exit 4).
main().catch((error: unknown) => {
  console.error(error instanceof Error ? `amictl: ${error.name}: ${error.message}` : error);
  process.exitCode = 4;
});
