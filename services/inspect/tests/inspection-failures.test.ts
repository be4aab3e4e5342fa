import {
  checkCoverage,
  checkTests,
  failureReason,
  INSPECTION_ID_TAG,
  recordFailure,
  runTests,
  startInspection,
  terminateTestInstances,
} from '../src';
import { createWorld, HOME, isGone, requestFor, seedImage } from './support/world';

describe('an inspection that cannot complete', () => {
  it('keeps waiting while Inspector has not scanned, then gives up at the bound with the reason', async () => {
    // Arrange
    const world = await createWorld();
    const { instanceId } = await startInspection(requestFor(await seedImage(world)), world.deps);

    // Act
    const first = await checkCoverage({ instanceId, attempts: 0, maxChecks: 2 }, world.deps);
    const last = await checkCoverage({ instanceId, attempts: first.attempts, maxChecks: 2 }, world.deps);

    // Assert
    expect(first).toEqual({ coverage: 'pending', attempts: 1, next: 'wait' });
    expect(last).toMatchObject({ attempts: 2, next: 'timed-out' });
    expect(last.reason).toBe(
      `Inspector did not scan test instance ${instanceId} within 2 checks (coverage pending)`,
    );
  });

  it('gives up at once when the test instance is gone before its scan', async () => {
    // Arrange
    const world = await createWorld();
    const { instanceId } = await startInspection(requestFor(await seedImage(world)), world.deps);
    await world.cloud.compute.terminateInstance(instanceId);

    // Act
    const result = await checkCoverage({ instanceId, attempts: 0, maxChecks: 40 }, world.deps);

    // Assert
    expect(result.next).toBe('timed-out');
    expect(result.reason).toMatch(/is (shutting-down|terminated) and was never scanned/);
  });

  it('fails the tests that did not finish within the bound', async () => {
    // Arrange
    const world = await createWorld();
    const { instanceId } = await startInspection(requestFor(await seedImage(world)), world.deps);
    world.cloud.advance(60);
    world.cloud.commands.respond = () => ({ status: 'success', exitCode: 0, seconds: 3600 });
    const sent = await runTests({ family: 'golden-al2023', instanceId }, world.deps);

    // Act
    world.cloud.advance(30);
    const result = await checkTests(
      { instanceId, commands: sent.commands, attempts: 2, maxChecks: 3 },
      world.deps,
    );

    // Assert
    expect(result.next).toBe('done');
    expect(result.results).toEqual([
      { name: 'agents-running', passed: false, detail: 'did not finish within 3 checks' },
      { name: 'hardening-applied', passed: false, detail: 'did not finish within 3 checks' },
    ]);
  });

  it('never terminates an instance that carries the inspection id but not our managed tag', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);
    const { instanceId: foreign } = await world.cloud.compute.launchInstance({
      imageId: image.amiIds[HOME]!,
      instanceType: 't3.micro',
      instanceProfile: 'workload',
      tags: { [INSPECTION_ID_TAG]: request.inspectionId },
      rootVolume: { sizeGiB: 8, encrypted: true },
    });

    // Act
    const { terminated } = await terminateTestInstances(request, world.deps);

    // Assert
    expect(terminated).toEqual([]);
    expect(isGone(world, foreign)).toBe(false);
  });

  it('terminates the test instance by its tag and marks the candidate failed with the Lambda error’s message', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);
    const { instanceId } = await startInspection(request, world.deps);

    // Act
    const { terminated } = await terminateTestInstances(request, world.deps);
    const result = await recordFailure(
      {
        request,
        failure: {
          error: 'ThrottledError',
          cause: JSON.stringify({
            errorType: 'ThrottledError',
            errorMessage: 'ec2 DescribeInstances throttled',
          }),
        },
      },
      world.deps,
    );

    // Assert
    expect(terminated).toEqual([instanceId]);
    expect(isGone(world, instanceId)).toBe(true);
    expect(result).toEqual({
      state: 'failed',
      reason: 'inspection could not complete: ThrottledError: ec2 DescribeInstances throttled',
    });
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'failed',
      reason: result.reason,
    });
  });

  it('fails a candidate whose inspection failed before it left built, so it does not wait for good', async () => {
    // Arrange: the start step kept failing before `built -> inspecting` (here: a throttled catalog).
    const world = await createWorld();
    const image = await seedImage(world);
    const request = requestFor(image);

    // Act
    const result = await recordFailure(
      { request, failure: { error: 'ThrottlingException', cause: 'Rate exceeded' } },
      world.deps,
    );

    // Assert: a re-published Image Built asks for the same execution name and is refused as a
    // duplicate, so left `built` the image would never be inspected; `failed` closes it with the reason.
    expect(result).toEqual({
      state: 'failed',
      reason: 'inspection could not complete: ThrottlingException: Rate exceeded',
    });
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({
      state: 'failed',
      reason: result.reason,
    });
    const transitions = (await world.catalog.listAudit(image.family, image.version)).items
      .filter((r) => r.action === 'transition')
      .map((r) => `${r.from} -> ${r.to}`);
    expect(transitions).toEqual(['built -> inspecting', 'inspecting -> failed']);
    // How the inspection ended is said once, as a failing verdict with the reason: never approvable.
    expect(world.cloud.events.published().map((e) => [e.detailType, e.detail])).toEqual([
      [
        'Image Inspection Completed',
        expect.objectContaining({
          purpose: 'candidate',
          verdict: 'fail',
          reasons: [result.reason],
          idempotencyKey: `image-inspection-completed:${request.inspectionId}`,
        }),
      ],
    ]);
  });

  it('leaves a built image alone when the failed request was for another AMI', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    const request = { ...requestFor(image), imageId: 'ami-0fffffffffffffff0' };

    // Act
    const result = await recordFailure(
      { request, failure: { error: 'ImageNotInspectableError', cause: 'not its AMI' } },
      world.deps,
    );

    // Assert
    expect(result.state).toBe('built');
    expect(await world.catalog.getImage(image.family, image.version)).toMatchObject({ state: 'built' });
    expect(world.cloud.events.published()).toEqual([]);
  });

  it('leaves a re-inspected image published when its re-inspection fails', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world, { state: 'published' });

    // Act
    const result = await recordFailure(
      {
        request: requestFor(image, 'reinspection'),
        failure: { error: 'ScanTimedOutError', cause: 'never scanned' },
      },
      world.deps,
    );

    // Assert
    expect(result.state).toBe('published');
    const audit = (await world.catalog.listAudit(image.family, image.version)).items;
    expect(audit.at(-1)).toMatchObject({
      action: 'reinspection-failed',
      reason: expect.stringContaining('never scanned'),
    });
    // A re-inspection that could not run says nothing about the image's gate: no failing verdict.
    expect(world.cloud.events.published()).toEqual([]);
  });

  it('reads a plain-text cause as the message', () => {
    expect(failureReason({ error: 'ScanTimedOutError', cause: 'Inspector did not scan i-1' })).toBe(
      'inspection could not complete: ScanTimedOutError: Inspector did not scan i-1',
    );
  });
});
