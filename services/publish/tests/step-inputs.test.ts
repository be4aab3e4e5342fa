import type { FamilyConfig } from '@ami-lifecycle/core';
import type { z } from 'zod';
import {
  copyStepSchema,
  parametersStepSchema,
  planStepSchema,
  recordFailureStepSchema,
} from '../src/handlers/schemas';
import { kmsKeyInRegion, publicationPlan } from '../src/use-cases/publication';
import { createWorld, HOME, OTHER, planFor, type World } from './support/world';

const request = {
  publicationId: 'golden-al2023-2026.03.01.1-0123456789abcdef01234567',
  family: 'golden-al2023',
  version: '2026.03.01.1',
  imageId: 'ami-0a1b2c3d4e5f60718',
  correlationId: 'corr-1',
};

/** Where a schema refuses `input`, each issue as `path: message`; empty when it takes it. */
const refusals = (schema: z.ZodType, input: unknown): string[] => {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

/** `input` with `value` at `path` (a copy; `__proto__` lands as an own key, as it does out of JSON). */
const withAt = (input: unknown, path: readonly (string | number)[], value: unknown): unknown => {
  const copy = JSON.parse(JSON.stringify(input)) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  Object.defineProperty(node, path[path.length - 1]!, { value, enumerable: true, writable: true });
  return copy;
};

describe('the inputs of the publish steps', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });

  it("takes every plan the example policy's families make, and the versions builds make", () => {
    for (const family of Object.keys(world.families)) {
      const input = { request: { ...request, family }, plan: planFor(world, family) };
      expect([family, refusals(copyStepSchema, input)]).toEqual([family, []]);
    }
    for (const version of ['2026.03.01.1', '2026.12.31.14', '1.0.0', '2.13.0', '1.0.0-rc.1+build.5']) {
      expect(refusals(planStepSchema, { request: { ...request, version } })).toEqual([]);
    }
  });

  it('takes a multi-Region key as the plan names it in every region', () => {
    const key = 'arn:aws:kms:eu-west-1:111111111111:key/mrk-0123456789abcdef0123456789abcdef';
    const config = world.families['golden-al2023'] as FamilyConfig;
    const plan = publicationPlan(
      {
        ...config,
        name: 'golden-al2023',
        build: { ...config.build, rootVolume: { ...config.build.rootVolume, kmsKeyId: key } },
      },
      HOME,
    );
    expect(plan.kmsKeyIds[OTHER]).toBe(kmsKeyInRegion(key, HOME, OTHER));
    expect(refusals(copyStepSchema, { request, plan: { ...plan, configVersion: 1 } })).toEqual([]);
  });

  it('refuses a version that is neither calendar nor semver', () => {
    expect(refusals(planStepSchema, { request: { ...request, version: '`id`' } })).toEqual([
      expect.stringMatching(/^request\.version: /),
    ]);
  });

  it('refuses regions, channels and parameter names that are not well formed, wherever the plan has them', () => {
    const input = { request, plan: planFor(world, 'golden-al2023') };
    const cases: [(string | number)[], unknown][] = [
      [['plan', 'homeRegion'], 'eu-west-1; ls'],
      [['plan', 'copyRegions', 0], '../eu-central-1'],
      [['plan', 'channels', 0], 'Stable'],
      [['plan', 'parameters', 0, 'region'], 'EU-WEST-1'],
      [['plan', 'parameters', 0, 'channel'], '$(reboot)'],
      [['plan', 'parameters', 0, 'name'], 'ami-lifecycle/golden-al2023/latest'],
      // AWS's own parameters: never one of ours to read back or restore.
      [['plan', 'parameters', 0, 'name'], '/aws/service/../x'],
      [['plan', 'parameters', 0, 'name'], '/ssm/golden-al2023'],
      [['plan', 'kmsKeyIds', HOME], 'alias/../../x'],
      [['plan', 'kmsKeyIds', HOME], 'arn:aws:kms:eu-west-1:111111111111:key/x'],
    ];
    for (const [path, value] of cases) {
      expect([value, refusals(copyStepSchema, withAt(input, path, value))]).toEqual([
        value,
        [expect.stringMatching(new RegExp(`^${path.join('\\.')}: `))],
      ]);
    }
  });

  it('refuses a key under a name that is not a region, `__proto__` included, rather than dropping it', () => {
    const input = { request, plan: planFor(world, 'golden-al2023') };
    for (const key of ['../../x', '__proto__']) {
      expect(
        refusals(copyStepSchema, withAt(input, ['plan', 'kmsKeyIds', key], 'alias/ami-lifecycle')),
      ).toEqual([expect.stringMatching(new RegExp(`^plan\\.kmsKeyIds\\.${key.replaceAll('.', '\\.')}: `))]);
    }
  });

  it('refuses a progress entry named `__proto__` rather than going on without it', () => {
    const entries = JSON.parse('{"__proto__": {"writes": 3, "looksSinceWrite": 0}}') as unknown;
    const input = {
      request,
      plan: planFor(world, 'golden-al2023'),
      progress: { checks: 1, entries },
    };
    expect(refusals(parametersStepSchema, input)).toEqual([
      expect.stringMatching(/^progress\.entries\.__proto__: /),
    ]);
  });

  it('refuses a parameter to restore that is not one of ours', () => {
    const { parameters } = planFor(world, 'golden-al2023');
    const input = { request, failure: { Error: 'States.TaskFailed' }, parameters };
    expect(refusals(recordFailureStepSchema, input)).toEqual([]);
    expect(
      refusals(recordFailureStepSchema, withAt(input, ['parameters', 0, 'name'], '/aws/service/x')),
    ).toEqual([expect.stringMatching(/^parameters\.0\.name: /)]);
    expect(
      refusals(recordFailureStepSchema, withAt(input, ['parameters', 1, 'region'], 'eu-west-1 ')),
    ).toEqual([expect.stringMatching(/^parameters\.1\.region: /)]);
  });
});
