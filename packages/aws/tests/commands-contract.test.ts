import { createMemoryCloud } from '../src/memory';
import { describeCommandsContract } from './contracts/commands-contract';
import { localCommands } from './contracts/local-cloud-subjects';
import { memoryCommands } from './contracts/memory-subjects';

describeCommandsContract('SsmCommands on the local cloud', localCommands);
describeCommandsContract('MemoryCommands', memoryCommands);

describe('MemoryCommands test controls', () => {
  it('ends an invocation as the test says, and lists what was sent', async () => {
    const cloud = createMemoryCloud();
    cloud.commands.instanceState = undefined;
    const { commandId } = await cloud.commands.runCommands({
      instanceId: 'i-0123456789abcdef0',
      commands: ['run-component hardening'],
      timeoutSeconds: 600,
    });

    cloud.commands.finishCommand(commandId, { status: 'failed', exitCode: 2, stderr: 'no such component' });

    expect(await cloud.commands.getInvocation(commandId, 'i-0123456789abcdef0')).toEqual({
      status: 'failed',
      exitCode: 2,
      stdout: '',
      stderr: 'no such component',
    });
    expect(cloud.commands.sent()).toMatchObject([{ commandId, commands: ['run-component hardening'] }]);
  });
});
