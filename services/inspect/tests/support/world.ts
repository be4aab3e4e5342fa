import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryCloud, type MemoryCloud } from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import { amiName, type FamilyConfig, type Image, managedTags, parsePolicy } from '@ami-lifecycle/core';
import {
  checkCoverage,
  checkTests,
  type InspectDeps,
  type InspectionRequest,
  type InspectionStarter,
  inspectionIdFor,
  recordVerdict,
  runTests,
  startInspection,
  terminateTestInstances,
  type VerdictResult,
} from '../../src';

const EXAMPLE = join(__dirname, '../../../../examples/ami-lifecycle.yaml');

/** The example policy's families, parsed as `amictl config apply` would store them. */
export const exampleFamilies = (): Record<string, FamilyConfig> =>
  parsePolicy(readFileSync(EXAMPLE, 'utf8'), 'examples/ami-lifecycle.yaml').families;

export const HOME = 'eu-west-1';
export const START = '2026-03-01T10:00:00Z';

/** Step Functions as the request and reinspect use cases see it: one execution per name. */
export class MemoryInspectionStarter implements InspectionStarter {
  readonly executions = new Map<string, InspectionRequest>();

  async start(request: InspectionRequest) {
    const executionName = request.inspectionId;
    if (this.executions.has(executionName)) return { outcome: 'duplicate' as const, executionName };
    this.executions.set(executionName, request);
    return { outcome: 'started' as const, executionName };
  }
}

export interface World {
  cloud: MemoryCloud;
  catalog: InMemoryCatalog;
  deps: InspectDeps;
  inspections: MemoryInspectionStarter;
  families: Record<string, FamilyConfig>;
}

/** A fresh in-memory cloud and catalog holding the given families' configs (version 1 each). */
export const createWorld = async (
  familyNames: readonly string[] = ['golden-al2023'],
  overrides: Record<string, FamilyConfig> = {},
): Promise<World> => {
  const cloud = createMemoryCloud({ start: START });
  const catalog = new InMemoryCatalog();
  const families = { ...exampleFamilies(), ...overrides };
  for (const name of familyNames) {
    await catalog.putFamilyConfig(name, families[name], { expectedCurrent: null, at: START, by: 'test' });
  }
  return {
    cloud,
    catalog,
    families,
    inspections: new MemoryInspectionStarter(),
    deps: {
      catalog,
      compute: cloud.compute,
      commands: cloud.commands,
      findings: cloud.findings,
      events: cloud.events,
      clock: cloud.clock,
      region: HOME,
    },
  };
};

/** Stores a new version of a family's config with these gate waivers. */
export const setWaivers = async (
  world: World,
  family: string,
  waivers: { id: string; expiresAt: string }[],
): Promise<void> => {
  const base = world.families[family]!;
  const config: FamilyConfig = {
    ...base,
    inspect: {
      ...base.inspect,
      gate: {
        ...base.inspect.gate,
        waivers: waivers.map((w) => ({
          ...w,
          reason: 'accepted risk for the test',
          approvedBy: 'sec@example.com',
        })),
      },
    },
  };
  const current = await world.catalog.getFamilyConfig(family);
  await world.catalog.putFamilyConfig(family, config, {
    expectedCurrent: current?.version ?? null,
    at: world.cloud.clock.now().toISOString(),
    by: 'test',
  });
};

/** Seeds an image of `family` in `state` with a managed AMI in the home region; answers it. */
export const seedImage = async (
  world: World,
  options: { family?: string; version?: string; state?: Image['state'] } = {},
): Promise<Image> => {
  const family = options.family ?? 'golden-al2023';
  const version = options.version ?? '2026.03.01.1';
  const amiId = world.cloud.images.addImage({
    name: amiName(family, version),
    tags: managedTags({ family, version, buildId: `build-${version}` }),
  });
  const state = options.state ?? 'built';
  const image: Image = {
    family,
    version,
    state,
    stateVersion: 0,
    amiIds: { [HOME]: amiId },
    snapshotIds: [],
    buildId: `build-${version}`,
    vulnerable: false,
    managed: true,
    createdAt: START,
    stateChangedAt: START,
    ...(state === 'published' ? { publishedAt: START } : {}),
  };
  await world.catalog.createImage(image, { actor: 'test', reason: 'seed', correlationId: 'corr-1' });
  return image;
};

/** The inspection request the `Image Built` of this image asks for. */
export const requestFor = (
  image: Image,
  purpose: InspectionRequest['purpose'] = 'candidate',
): InspectionRequest => ({
  inspectionId: inspectionIdFor(purpose, image.family, image.version, `key-${image.family}@${image.version}`),
  family: image.family,
  version: image.version,
  imageId: image.amiIds[HOME]!,
  purpose,
  correlationId: 'corr-1',
});

/**
 * What the inspect state machine does on its passing path, step by step with its waits on the clock:
 * start, wait for the scan, run and poll the tests, record the verdict, terminate the test instance.
 * `beforeVerdict` runs once the instance is scanned (to add findings as Inspector would).
 */
export const inspectThrough = async (
  world: World,
  request: InspectionRequest,
  beforeVerdict: (instanceId: string) => void = () => {},
): Promise<{ instanceId: string; verdict: VerdictResult; terminated: string[] }> => {
  const started = await startInspection(request, world.deps);
  world.cloud.advance(started.firstScanWaitSeconds);
  let coverage = await checkCoverage(
    { instanceId: started.instanceId, attempts: 0, maxChecks: started.maxCoverageChecks },
    world.deps,
  );
  while (coverage.next === 'wait') {
    world.cloud.advance(started.scanPollSeconds);
    coverage = await checkCoverage(
      { instanceId: started.instanceId, attempts: coverage.attempts, maxChecks: started.maxCoverageChecks },
      world.deps,
    );
  }
  if (coverage.next !== 'scanned') throw new Error(`expected a scan, got ${coverage.reason}`);
  beforeVerdict(started.instanceId);
  let tests = await runTests(
    { family: request.family, instanceId: started.instanceId, inspectionId: request.inspectionId },
    world.deps,
  );
  while (tests.next === 'wait') {
    world.cloud.advance(started.testPollSeconds);
    tests = await checkTests(
      {
        instanceId: started.instanceId,
        commands: tests.commands,
        attempts: tests.attempts,
        maxChecks: started.maxTestChecks,
      },
      world.deps,
    );
  }
  const verdict = await recordVerdict(
    { request, instanceId: started.instanceId, tests: tests.results },
    world.deps,
  );
  const { terminated } = await terminateTestInstances(request, world.deps);
  return { instanceId: started.instanceId, verdict, terminated };
};

export const isGone = (world: World, instanceId: string): boolean =>
  ['shutting-down', 'terminated'].includes(world.cloud.compute.instance(instanceId)?.state ?? 'terminated');
