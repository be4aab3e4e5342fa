import { amiName, managedTags } from '@ami-lifecycle/core';
import {
  BUILD_ID_TAG,
  BuilderLostError,
  BuilderNotReadyError,
  type BuildProgress,
  checkBuilder,
  createBuildImage,
  ImageNotBuildingError,
  launchBuild,
  maxChecksFor,
  onImageStateChange,
  pollBuildStep,
  runBuildStep,
  stopBuilder,
} from '../src';
import { buildRequest, createWorld, HOME, type World } from './support/world';

/** `launchBuild` for the example golden family, asserting that it started. */
const launched = async (world: World): Promise<BuildProgress> => {
  const result = await launchBuild(buildRequest(), world.deps);
  if (result.outcome !== 'started') throw new Error(`expected started, got ${result.outcome}`);
  const { outcome: _outcome, ...progress } = result;
  return progress;
};

/** Runs one component to its end: send, then poll as the machine does until it is no longer running. */
const runToEnd = async (world: World, progress: BuildProgress): Promise<BuildProgress> => {
  let current = await runBuildStep(progress, world.deps);
  for (let i = 0; i < 10 && current.stepStatus === 'running'; i++) {
    world.cloud.advance(30);
    current = await pollBuildStep(current, world.deps);
  }
  return current;
};

describe('launchBuild', () => {
  it('starts the build and answers the progress the machine carries: builder booting, three components to run', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);

    // Act
    const progress = await launched(world);

    // Assert
    expect(progress).toMatchObject({
      family: 'golden-al2023',
      version: '2026.03.01.1',
      correlationId: 'corr-1',
      stepIndex: 0,
      stepCount: 3,
      builderState: 'pending',
      checks: 0,
    });
    expect(world.cloud.compute.instance(progress.instanceId)?.state).toBe('pending');
  });

  it('answers duplicate for a redelivered request whose build already failed, and launches nothing', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);
    await world.catalog.transitionImage({
      family: progress.family,
      version: progress.version,
      from: 'building',
      to: 'failed',
      expectedStateVersion: 0,
      at: '2026-03-01T10:05:00Z',
      audit: { actor: 'test', reason: 'failed', correlationId: 'corr-1' },
    });

    // Act
    const again = await launchBuild(buildRequest(), world.deps);

    // Assert
    expect(again).toEqual({
      outcome: 'duplicate',
      family: 'golden-al2023',
      version: '2026.03.01.1',
      state: 'failed',
    });
    expect(world.cloud.compute.instances()).toHaveLength(1);
  });
});

describe('checkBuilder', () => {
  it('reports the builder pending while it boots and running once booted, counting each look', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);

    const booting = await checkBuilder(progress, world.deps);
    world.cloud.advance(30);
    const booted = await checkBuilder(booting, world.deps);

    expect([booting.builderState, booting.checks]).toEqual(['pending', 1]);
    expect([booted.builderState, booted.checks]).toEqual(['running', 2]);
  });

  it('refuses to wait on a builder that was terminated from outside', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);
    world.cloud.compute.setState(progress.instanceId, 'terminated');

    await expect(checkBuilder(progress, world.deps)).rejects.toBeInstanceOf(BuilderLostError);
  });
});

describe('runBuildStep and pollBuildStep', () => {
  it('sends each component as one command with its timeout, OS updates first, and moves on when it succeeds', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    let progress = await launched(world);
    world.cloud.advance(30);

    // Act
    for (let i = 0; i < 3; i++) progress = await runToEnd(world, progress);

    // Assert
    expect(progress).toMatchObject({ stepIndex: 3, stepStatus: 'succeeded', stepName: 'hardening' });
    const sent = world.cloud.commands.sent();
    expect(sent.map((c) => [c.commands[0], c.timeoutSeconds])).toEqual([
      ['dnf -y upgrade --releasever=latest', 1800],
      ['dnf -y install amazon-cloudwatch-agent', 600],
      ['dnf -y install aide', 900],
    ]);
    expect(sent.every((c) => c.instanceId === progress.instanceId)).toBe(true);
  });

  it('answers running while the command runs and bounds the polls by the component timeout', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);
    world.cloud.advance(30);
    world.cloud.commands.respond = () => ({ status: 'success', exitCode: 0, seconds: 120 });

    const sent = await runBuildStep(progress, world.deps);
    world.cloud.advance(30);
    const polled = await pollBuildStep(sent, world.deps);

    expect(sent).toMatchObject({ stepStatus: 'running', checks: 0, maxChecks: maxChecksFor(1800) });
    expect(polled).toMatchObject({ stepStatus: 'running', stepIndex: 0, checks: 1 });
  });

  it('answers failed with the component, the exit code and the tail of stderr', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);
    world.cloud.advance(30);
    world.cloud.commands.respond = () => ({
      status: 'failed',
      exitCode: 1,
      stderr: 'Error: Unable to find a match: amazon-cloudwatch-agent\n',
    });

    const failed = await runToEnd(world, progress);

    expect(failed).toMatchObject({
      stepStatus: 'failed',
      stepIndex: 0,
      reason:
        'component os-update failed (exit code 1): Error: Unable to find a match: amazon-cloudwatch-agent',
    });
  });

  it('says the builder is not ready while SSM cannot reach it yet', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);

    await expect(runBuildStep(progress, world.deps)).rejects.toBeInstanceOf(BuilderNotReadyError);
  });
});

describe('stopBuilder and createBuildImage', () => {
  it('stops the builder, then creates the AMI with its name and managed tags and records its id', async () => {
    // Arrange
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);
    world.cloud.advance(30);

    // Act
    const stopping = await stopBuilder(progress, world.deps);
    world.cloud.advance(30);
    const stopped = await checkBuilder(stopping, world.deps);
    const created = await createBuildImage(stopped, world.deps);

    // Assert
    expect(stopped.builderState).toBe('stopped');
    const image = (await world.catalog.getImage('golden-al2023', '2026.03.01.1'))!;
    expect(created.imageId).toBeDefined();
    expect(image).toMatchObject({ state: 'building', amiIds: { [HOME]: created.imageId } });
    const ami = world.cloud.images.image(created.imageId!)!;
    expect(ami.name).toBe(amiName('golden-al2023', '2026.03.01.1'));
    expect(ami.tags).toEqual({
      'cost-center': 'platform',
      ...managedTags({ family: 'golden-al2023', version: '2026.03.01.1', buildId: image.buildId! }),
    });
    expect(ami.tags[BUILD_ID_TAG]).toBe(image.buildId);
    // The state change finds the image by the recorded AMI id.
    world.cloud.images.completeImage(created.imageId!, 'available');
    expect(
      await onImageStateChange({ amiId: created.imageId!, state: 'available' }, world.deps),
    ).toMatchObject({
      outcome: 'built',
    });
  });

  it('answers the recorded AMI again when CreateImage is retried, without a second image', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);
    world.cloud.advance(30);

    const first = await createBuildImage(progress, world.deps);
    const again = await createBuildImage(progress, world.deps);

    expect(again.imageId).toBe(first.imageId);
    expect(await world.cloud.images.findImagesByName('golden-al2023-*', ['self'])).toHaveLength(1);
  });

  it('adopts its own AMI when a retried CreateImage meets the name its lost first attempt took', async () => {
    // Arrange: the first CreateImage succeeded in EC2, but its answer (and the catalog write) was lost.
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);
    world.cloud.advance(30);
    const image = (await world.catalog.getImage(progress.family, progress.version))!;
    const { imageId: lost } = await world.cloud.images.createImage({
      instanceId: progress.instanceId,
      name: amiName(progress.family, progress.version),
      description: 'first attempt',
      tags: managedTags({ family: progress.family, version: progress.version, buildId: image.buildId! }),
    });

    // Act
    const created = await createBuildImage(progress, world.deps);

    // Assert
    expect(created.imageId).toBe(lost);
    expect((await world.catalog.getImage(progress.family, progress.version))?.amiIds[HOME]).toBe(lost);
  });

  it('refuses to touch the builder of an image that is no longer building', async () => {
    const world = await createWorld(['golden-al2023']);
    const progress = await launched(world);
    await world.catalog.transitionImage({
      family: progress.family,
      version: progress.version,
      from: 'building',
      to: 'failed',
      expectedStateVersion: 0,
      at: '2026-03-01T10:05:00Z',
      audit: { actor: 'test', reason: 'failed', correlationId: 'corr-1' },
    });

    await expect(stopBuilder(progress, world.deps)).rejects.toBeInstanceOf(ImageNotBuildingError);
    await expect(createBuildImage(progress, world.deps)).rejects.toBeInstanceOf(ImageNotBuildingError);
  });
});
