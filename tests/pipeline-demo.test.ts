import { join } from 'node:path';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { runPipelineDemo } from '../scripts/pipeline-demo';
import { dynamoDbEndpoint } from './support/dynamodb-local-env';

// Its own stage, so its table and bus are not the ones other suites of the run deploy.
const STAGE = 'demo-pipeline';

describe('npm start: build, inspect and publish on the local cloud', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      start: '2026-11-27T09:00:00.000Z',
      dynamodb: { endpoint: dynamoDbEndpoint() },
      deploy: { serverlessFile: join(__dirname, '..', 'serverless.yml'), stage: STAGE },
    });
  }, 120_000);
  afterAll(() => cloud?.stop());

  it('builds, inspects and publishes the golden image; its publication alone gets the application image built, a person approves it; a second golden version gets it rebuilt; no instance left running', async () => {
    const lines: string[] = [];

    const result = await runPipelineDemo({ cloud, stage: STAGE, log: (l) => lines.push(l) });

    expect(result.golden).toMatchObject({
      family: 'golden-al2023',
      state: 'published',
      verdict: 'pass',
      approver: 'auto',
    });
    expect(Object.keys(result.golden.amiIds).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    // payments-api wants a person to approve: the demo approves it as one would with amictl.
    expect(result.application).toMatchObject({
      family: 'payments-api',
      state: 'published',
      verdict: 'pass',
      approver: 'release-manager@example.com',
      parent: {
        family: 'golden-al2023',
        version: result.golden.version,
        amiId: result.golden.amiIds[cloud.region],
      },
    });
    expect(result.application.amiIds[cloud.region]).toMatch(/^ami-[0-9a-f]+$/);
    // Nobody asked for either payments-api build: the golden publications did, through the refresh service.
    expect(result.application.buildReason).toBe('parent-published');
    expect(result.golden2).toMatchObject({ family: 'golden-al2023', state: 'published' });
    expect(result.golden2.version).not.toBe(result.golden.version);
    expect(result.refreshed).toMatchObject({
      family: 'payments-api',
      buildReason: 'parent-published',
      verdict: 'pass',
      parent: { family: 'golden-al2023', version: result.golden2.version },
    });
    expect(lines.some((l) => l.includes('Refresh decisions of payments-api'))).toBe(true);
    // The retention preview sees payments-api 1.0.0 in use in the workloads account, through its role.
    expect(
      lines.some((l) => /payments-api\s+1\.0\.0\s+published\s+keep .*222222222222:instance\//.test(l)),
    ).toBe(true);
    expect(result.leftRunning).toEqual([]);
    expect(lines).toContain('No builder or test instance left running.');
  }, 180_000);
});
