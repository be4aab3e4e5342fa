import { pollBuildStep, runBuildStep } from '../src';
import { buildStepComment } from '../src/use-cases/run-build-step';
import { createWorld, launchedBuild } from './support/world';

describe('runBuildStep, retried after its answer was lost', () => {
  it('follows the command the first attempt sent instead of running the component again', async () => {
    // Arrange: the first attempt's SendCommand was accepted, then the Lambda died before answering.
    const world = await createWorld(['golden-al2023']);
    const progress = await launchedBuild(world);
    const first = await runBuildStep(progress, world.deps);

    // Act: the machine retries the step with the same input.
    const retried = await runBuildStep(progress, world.deps);

    // Assert: one command on the builder, and the retry polls that one.
    const sent = world.cloud.commands.sent();
    expect(sent).toHaveLength(1);
    expect(retried).toMatchObject({ commandId: first.commandId, stepStatus: 'running', checks: 0 });
    expect(sent[0]!.comment).toBe(buildStepComment(progress.buildId, 0, { name: 'os-update' }));
    world.cloud.advance(30);
    expect(await pollBuildStep(retried, world.deps)).toMatchObject({ stepStatus: 'succeeded', stepIndex: 1 });
  });

  it('sends each step once with its own comment, so the next step is not mistaken for the last', async () => {
    const world = await createWorld(['golden-al2023']);
    let progress = await launchedBuild(world);

    for (let i = 0; i < 3; i++) {
      progress = await runBuildStep(progress, world.deps);
      world.cloud.advance(30);
      progress = await pollBuildStep(progress, world.deps);
    }

    const sent = world.cloud.commands.sent();
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((c) => c.comment)).size).toBe(3);
    expect(sent.every((c) => (c.comment?.length ?? 0) <= 100)).toBe(true);
  });
});
