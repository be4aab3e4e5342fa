import { ResourceNotFoundError, SsmCommands } from '../src';
import { launchRunning, startTestCloud, type TestCloud } from './support/cloud';

describe('SsmCommands', () => {
  let t: TestCloud;
  let commands: SsmCommands;
  beforeAll(async () => {
    t = await startTestCloud();
    commands = new SsmCommands(t.clients.ssm);
  });
  afterAll(() => t.cloud.stop());

  it('installs a package on a managed instance and reads the success with its output', async () => {
    const { instanceId } = await launchRunning(t);

    const { commandId } = await commands.runCommands({
      instanceId,
      commands: ['pkg-install httpd=2.4.58-1.amzn2023', 'echo installed'],
      timeoutSeconds: 600,
    });
    const pending = await commands.getInvocation(commandId, instanceId);
    await t.cloud.clock.advance(60);
    const done = await commands.getInvocation(commandId, instanceId);

    expect(pending).toEqual({ status: 'pending', stdout: '', stderr: '' });
    expect(done).toMatchObject({
      status: 'success',
      exitCode: 0,
      stdout: expect.stringContaining('installed'),
    });
  });

  it('reports a failing script as failed with its exit code', async () => {
    const { instanceId } = await launchRunning(t);

    const { commandId } = await commands.runCommands({
      instanceId,
      commands: ['exit 3'],
      timeoutSeconds: 60,
    });
    await t.cloud.clock.advance(30);

    expect(await commands.getInvocation(commandId, instanceId)).toMatchObject({
      status: 'failed',
      exitCode: 3,
    });
  });

  it('reports a script that outlives its timeout as timed out', async () => {
    const { instanceId } = await launchRunning(t);

    const { commandId } = await commands.runCommands({
      instanceId,
      commands: ['sleep 120'],
      timeoutSeconds: 30,
    });
    await t.cloud.clock.advance(60);

    expect((await commands.getInvocation(commandId, instanceId)).status).toBe('timed-out');
  });

  it('names an instance that cannot take commands as not found', async () => {
    await expect(
      commands.runCommands({ instanceId: 'i-0123456789abcdef0', commands: ['true'], timeoutSeconds: 60 }),
    ).rejects.toBeInstanceOf(ResourceNotFoundError);
  });
});
