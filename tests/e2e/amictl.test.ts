import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClients, Ec2Images, EventBridgePublisher, SsmParameters } from '@ami-lifecycle/aws';
import { type AmictlDeps, runAmictl } from '@ami-lifecycle/cli';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'ami-lifecycle.yaml');
// Its own stage: its own table and bus, apart from the other suites sharing DynamoDB Local.
const STAGE = 'e2e-amictl';

describe('amictl against the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let out: string[];
  let err: string[];
  let deps: AmictlDeps;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      start: '2026-03-01T09:00:00.000Z',
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: join(ROOT, 'serverless.yml'), stage: STAGE },
    });
    pipeline = new LocalPipeline(cloud, STAGE);
  }, 120_000);
  afterAll(() => cloud?.stop());
  beforeEach(() => {
    out = [];
    err = [];
    deps = {
      catalog: pipeline.catalog,
      events: new EventBridgePublisher(pipeline.bus, new EventBridgeClient(cloud.clientConfig)),
      clock: cloud.clock,
      region: cloud.clientConfig.region,
      regions: (region) => {
        const clients = createClients({ ...cloud.clientConfig, region });
        return {
          images: new Ec2Images(clients.ec2, clients.ssm),
          parameters: new SsmParameters(clients.ssm),
        };
      },
      readFile: (path) => readFileSync(path, 'utf8'),
      user: 'alice',
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    };
  });

  it('refuses a bad policy with every problem named, and stores nothing', async () => {
    const broken = readFileSync(EXAMPLE, 'utf8').replace('instanceType: t3.medium', 'instanceType: 42');
    const code = await runAmictl(['config', 'apply', 'broken.yaml'], { ...deps, readFile: () => broken });

    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/broken\.yaml.*families\.golden-al2023\.build\.instanceType/s);
    expect(await pipeline.catalog.getFamilyConfig('golden-al2023')).toBeUndefined();
  });

  it('refuses a build of a family that has no stored config, and puts nothing on the bus', async () => {
    const code = await runAmictl(['build', 'golden-al2023'], deps);

    expect(code).toBe(1);
    expect(err).toEqual(['amictl: family golden-al2023 has no stored config; run amictl config apply first']);
    expect(
      cloud.services.events.ingested().filter((e) => e.event['detail-type'] === 'Build Requested'),
    ).toEqual([]);
  });

  it('applies the policy once (a second apply changes nothing), then starts a build by its event', async () => {
    expect(await runAmictl(['config', 'apply', EXAMPLE], deps)).toBe(0);
    expect(out).toContain('golden-al2023: stored as version 1');
    out = [];
    expect(await runAmictl(['config', 'apply', EXAMPLE], deps)).toBe(0);
    expect(out).toContain('golden-al2023: unchanged (version 1)');

    const code = await runAmictl(['build', 'golden-al2023', '--key', 'cli-build-1'], deps);

    expect(code).toBe(0);
    const [line] = out.slice(-1);
    const buildId = /build id (\S+)\)/.exec(line!)?.[1];
    expect(buildId).toMatch(/^build-/);
    await pipeline.advanceUntil(
      'the build under way',
      async () => (await pipeline.imageOfBuild('golden-al2023', buildId!))?.state === 'building',
      { maxSeconds: 600 },
    );
    const image = (await pipeline.imageOfBuild('golden-al2023', buildId!))!;
    const audit = (await pipeline.catalog.listAudit(image.family, image.version, { limit: 1 })).items[0];
    expect(audit?.reason).toContain('build requested (manual) by alice');
  }, 120_000);
});
