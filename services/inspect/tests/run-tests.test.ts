import type { CommandPort } from '@ami-lifecycle/core';
import { runTests, startInspection, testCommentFor } from '../src';
import { createWorld, requestFor, seedImage, type World } from './support/world';

/** A started inspection whose instance is running, ready for its tests. */
const started = async (world: World) => {
  const request = requestFor(await seedImage(world));
  const { instanceId } = await startInspection(request, world.deps);
  world.cloud.advance(60);
  return { request, instanceId };
};

describe('sending the inspection tests', () => {
  it('does not send the tests again when the step is retried after a send whose answer was lost', async () => {
    // Arrange: the first attempt's sends reached SSM, its answer did not reach the state machine.
    const world = await createWorld();
    const { request, instanceId } = await started(world);
    const input = { family: request.family, instanceId, inspectionId: request.inspectionId };
    const first = await runTests(input, world.deps);

    // Act
    const retried = await runTests(input, world.deps);

    // Assert: one command per test, and the retry follows the same ones.
    expect(world.cloud.commands.sent().map((c) => c.comment)).toEqual([
      testCommentFor(request.inspectionId, 'agents-running'),
      testCommentFor(request.inspectionId, 'hardening-applied'),
    ]);
    expect(retried.commands).toEqual(first.commands);
    expect(retried.next).toBe('wait');
  });

  it('sends only the tests a failed attempt had not sent yet', async () => {
    // Arrange: the first test's send succeeds, the second one's fails.
    const world = await createWorld();
    const { request, instanceId } = await started(world);
    const input = { family: request.family, instanceId, inspectionId: request.inspectionId };
    let sends = 0;
    const flaky: CommandPort = {
      runCommands: async (req) => {
        sends += 1;
        if (sends === 2) throw new Error('ssm SendCommand throttled');
        return world.cloud.commands.runCommands(req);
      },
      getInvocation: (id, instance) => world.cloud.commands.getInvocation(id, instance),
      findCommands: (instance, comment) => world.cloud.commands.findCommands(instance, comment),
    };
    await expect(runTests(input, { ...world.deps, commands: flaky })).rejects.toThrow('throttled');

    // Act
    const retried = await runTests(input, world.deps);

    // Assert
    const sent = world.cloud.commands.sent();
    expect(sent.map((c) => c.comment)).toEqual([
      testCommentFor(request.inspectionId, 'agents-running'),
      testCommentFor(request.inspectionId, 'hardening-applied'),
    ]);
    expect(retried.commands).toEqual([
      { name: 'agents-running', commandId: sent[0]!.commandId },
      { name: 'hardening-applied', commandId: sent[1]!.commandId },
    ]);
  });

  it('labels a test by inspection and test within SSM’s 100 characters', () => {
    const long = `inspect-${'f'.repeat(50)}-0123456789ab`;

    expect(testCommentFor('inspect-golden-al2023-1-0123456789ab', 'agents-running')).toBe(
      'inspection inspect-golden-al2023-1-0123456789ab test agents-running',
    );
    expect(testCommentFor(long, 'a'.repeat(63)).length).toBeLessThanOrEqual(100);
    expect(testCommentFor(long, 'x')).not.toBe(testCommentFor(`${long}0`, 'x'));
  });
});
