import { imageBuildFailed } from '@ami-lifecycle/contracts';
import {
  type BuildExecutionsPort,
  buildIdFor,
  describeError,
  FamilyNotConfiguredError,
  failBuild,
  launchBuild,
  requestBuild,
} from '../src';
import { buildRequest, createWorld, type World } from './support/world';

const started = async (world: World) => {
  const result = await launchBuild(buildRequest(), world.deps);
  if (result.outcome !== 'started') throw new Error(`expected started, got ${result.outcome}`);
  return result;
};

const isGone = (world: World, instanceId: string): boolean =>
  ['shutting-down', 'terminated'].includes(world.cloud.compute.instance(instanceId)?.state ?? 'terminated');

describe('failBuild', () => {
  it('marks the image failed with the reason, terminates the builder and emits Image Build Failed', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const progress = await started(world);
    world.cloud.advance(30);

    // Act
    const result = await failBuild(
      {
        request: buildRequest(),
        stage: 'run-components',
        error: {
          Error: 'ComponentFailed',
          Cause: 'component hardening failed (exit code 2): aide: not found',
        },
        image: { family: progress.family, version: progress.version },
      },
      world.deps,
    );

    // Assert
    const reason =
      'run-components: ComponentFailed: component hardening failed (exit code 2): aide: not found';
    expect(result).toMatchObject({ outcome: 'failed', reason, terminatedInstanceIds: [progress.instanceId] });
    expect(await world.catalog.getImage(progress.family, progress.version)).toMatchObject({
      state: 'failed',
      reason,
    });
    expect(isGone(world, progress.instanceId)).toBe(true);
    const events = world.cloud.events.published('Image Build Failed');
    expect(events.map((e) => imageBuildFailed.schema.parse(e.detail))).toEqual([
      {
        schemaVersion: 1,
        family: 'golden-al2023',
        version: progress.version,
        correlationId: 'corr-1',
        idempotencyKey: `image-build-failed:golden-al2023@${progress.version}`,
        occurredAt: '2026-03-01T10:00:30.000Z',
        buildId: progress.buildId,
        stage: 'run-components',
        reason,
      },
    ]);
  });

  it('finds the image by the build id when the machine failed before it knew the version', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await started(world);

    const result = await failBuild(
      { request: buildRequest(), stage: 'launch-builder', error: { Error: 'States.Timeout' } },
      world.deps,
    );

    expect(result).toMatchObject({ outcome: 'failed', image: { version: progress.version } });
  });

  it('is idempotent: a second run changes nothing and its event is a copy under the same key', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await started(world);
    const input = {
      request: buildRequest(),
      stage: 'create-image' as const,
      error: { Error: 'InvalidParameterValue', Cause: 'bad' },
      image: { family: progress.family, version: progress.version },
    };
    await failBuild(input, world.deps);

    const again = await failBuild(input, world.deps);

    expect(again.outcome).toBe('duplicate');
    const [first, copy] = world.cloud.events.published('Image Build Failed');
    expect(copy?.detail).toEqual(first?.detail);
    const audit = await world.catalog.listAudit(progress.family, progress.version);
    expect(audit.items.filter((r) => r.to === 'failed')).toHaveLength(1);
  });

  it('delivers Image Build Failed on the retry when the publish failed after the image was marked failed', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await started(world);
    const input = {
      request: buildRequest(),
      stage: 'run-components' as const,
      error: { Error: 'ComponentFailedError', Cause: 'exit code 1' },
      image: { family: progress.family, version: progress.version },
    };
    world.cloud.events.failNext();
    await expect(failBuild(input, world.deps)).rejects.toThrow();
    expect(world.cloud.events.published('Image Build Failed')).toHaveLength(0);

    await failBuild(input, world.deps);

    expect(world.cloud.events.published('Image Build Failed').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        stage: 'run-components',
        reason: 'run-components: ComponentFailedError: exit code 1',
      }),
    ]);
  });

  it('leaves the event of an image failed by something else to that failure', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await started(world);
    const input = (Cause: string) => ({
      request: buildRequest(),
      stage: 'create-image' as const,
      error: { Error: 'InvalidParameterValue', Cause },
      image: { family: progress.family, version: progress.version },
    });
    await failBuild(input('first'), world.deps);

    await failBuild(input('a different failure'), world.deps);

    expect(world.cloud.events.published('Image Build Failed')).toHaveLength(1);
  });

  it('never fails another build’s image that the progress names, and looks its own up by build id', async () => {
    // Arrange: another request's build is under way; this request never got as far as an image.
    const world = await createWorld(['golden-al2023']);
    const other = await launchBuild(buildRequest({ idempotencyKey: 'other-request' }), world.deps);
    if (other.outcome !== 'started') throw new Error(`expected started, got ${other.outcome}`);

    // Act
    const result = await failBuild(
      {
        request: buildRequest(),
        stage: 'launch-builder',
        error: { Error: 'States.Timeout' },
        image: { family: other.family, version: other.version },
      },
      world.deps,
    );

    // Assert
    expect(result.outcome).toBe('no-image');
    expect(await world.catalog.getImage(other.family, other.version)).toMatchObject({ state: 'building' });
    expect(isGone(world, other.instanceId)).toBe(false);
    expect(world.cloud.events.published('Image Build Failed')).toEqual([]);
  });

  it('still emits Image Build Failed when terminating the builder fails, and the retry cleans up', async () => {
    // Arrange: EC2 throttles the first TerminateInstances.
    const world = await createWorld(['golden-al2023']);
    const progress = await started(world);
    const terminate = world.cloud.compute.terminateInstance.bind(world.cloud.compute);
    jest
      .spyOn(world.cloud.compute, 'terminateInstance')
      .mockRejectedValueOnce(Object.assign(new Error('throttled'), { name: 'ThrottledError' }))
      .mockImplementation(terminate);
    const input = {
      request: buildRequest(),
      stage: 'run-components' as const,
      error: { Error: 'ComponentFailedError', Cause: 'exit 1' },
      image: { family: progress.family, version: progress.version },
    };

    // Act
    await expect(failBuild(input, world.deps)).rejects.toThrow('throttled');
    const retry = await failBuild(input, world.deps);

    // Assert
    const failed = world.cloud.events.published('Image Build Failed');
    expect(new Set(failed.map((e) => e.detail.idempotencyKey)).size).toBe(1);
    expect(retry).toMatchObject({ outcome: 'duplicate', terminatedInstanceIds: [progress.instanceId] });
    expect(isGone(world, progress.instanceId)).toBe(true);
  });

  it('never terminates an instance that carries the build id but not our managed tag', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const buildId = buildIdFor('golden-al2023', buildRequest().idempotencyKey);
    const { instanceId: foreign } = await world.cloud.compute.launchInstance({
      imageId: world.cloud.images.addImage({ name: 'someone-elses', tags: {} }),
      instanceType: 't3.micro',
      instanceProfile: 'workload',
      tags: { 'ami-lifecycle:build-id': buildId },
      rootVolume: { sizeGiB: 8, encrypted: true },
    });

    // Act
    const result = await failBuild(
      { request: buildRequest(), stage: 'launch-builder', error: { Error: 'States.Timeout' } },
      world.deps,
    );

    // Assert
    expect(result).toMatchObject({ outcome: 'no-image', terminatedInstanceIds: [] });
    expect(isGone(world, foreign)).toBe(false);
  });

  it('answers no-image when the build failed before its image was registered', async () => {
    const world = await createWorld([]);

    const result = await failBuild(
      {
        request: buildRequest(),
        stage: 'resolve-source',
        error: { Error: 'FamilyNotConfiguredError', Cause: 'family golden-al2023 has no stored config' },
      },
      world.deps,
    );

    expect(result).toEqual({
      outcome: 'no-image',
      reason: 'resolve-source: FamilyNotConfiguredError: family golden-al2023 has no stored config',
      terminatedInstanceIds: [],
    });
    expect(world.cloud.events.published()).toEqual([]);
  });
});

describe('describeError', () => {
  it('reads the message of a Lambda error that Step Functions caught', () => {
    const cause = JSON.stringify({
      errorType: 'BuilderLostError',
      errorMessage: 'builder i-0abc is terminated',
    });
    expect(describeError({ Error: 'BuilderLostError', Cause: cause })).toBe(
      'BuilderLostError: builder i-0abc is terminated',
    );
  });

  it('falls back to the error name when there is no cause', () => {
    expect(describeError({ Error: 'States.Timeout' })).toBe('States.Timeout');
  });
});

describe('requestBuild', () => {
  /** Step Functions' naming rule, in memory: a second start of a name is refused. */
  const executions = () => {
    const names = new Map<string, unknown>();
    const port: BuildExecutionsPort = {
      start: async (name, input) => {
        const executionArn = `arn:aws:states:eu-west-1:111122223333:execution:build:${name}`;
        if (names.has(name)) return { executionArn, alreadyStarted: true };
        names.set(name, input);
        return { executionArn, alreadyStarted: false };
      },
    };
    return { port, names };
  };

  it('starts one execution named by the build id, with the request as its input', async () => {
    const { port, names } = executions();
    const request = buildRequest();
    const { catalog } = await createWorld();

    const result = await requestBuild(request, { executions: port, catalog });

    const buildId = buildIdFor('golden-al2023', 'request-1');
    expect(result).toEqual({
      outcome: 'started',
      buildId,
      executionArn: `arn:aws:states:eu-west-1:111122223333:execution:build:${buildId}`,
    });
    expect([...names.entries()]).toEqual([[buildId, { request }]]);
  });

  it('answers duplicate for every redelivery of the same request', async () => {
    const { port, names } = executions();
    const { catalog } = await createWorld();

    const outcomes = [];
    for (let i = 0; i < 3; i++)
      outcomes.push((await requestBuild(buildRequest(), { executions: port, catalog })).outcome);

    expect(outcomes).toEqual(['started', 'duplicate', 'duplicate']);
    expect(names.size).toBe(1);
  });

  it('refuses a request for a family without a config, and starts nothing', async () => {
    const { port, names } = executions();
    const { catalog } = await createWorld();

    await expect(
      requestBuild({ ...buildRequest(), family: 'nobody-configured' }, { executions: port, catalog }),
    ).rejects.toThrow(FamilyNotConfiguredError);
    expect(names.size).toBe(0);
  });
});
