import type { CommandPort } from '@ami-lifecycle/core';
import { ResourceNotFoundError } from '../../src';

export interface CommandsSubject {
  port: CommandPort;
  advance(seconds: number): Promise<void>;
  /** A running, SSM-managed instance. */
  launchRunning(): Promise<string>;
  close?(): Promise<void>;
}

/** The behaviour every `CommandPort` adapter must have; the subject is shared by the suite's tests. */
export const describeCommandsContract = (name: string, makeSubject: () => Promise<CommandsSubject>): void => {
  describe(`${name} (commands contract)`, () => {
    let s: CommandsSubject;
    let commands: CommandPort;
    beforeAll(async () => {
      s = await makeSubject();
      commands = s.port;
    });
    afterAll(async () => {
      await s?.close?.();
    });

    it('installs a package on a managed instance and reads the success with its output', async () => {
      const instanceId = await s.launchRunning();

      const { commandId } = await commands.runCommands({
        instanceId,
        commands: ['pkg-install httpd=2.4.58-1.amzn2023', 'echo installed'],
        timeoutSeconds: 600,
      });
      const pending = await commands.getInvocation(commandId, instanceId);
      await s.advance(60);
      const done = await commands.getInvocation(commandId, instanceId);

      expect(pending).toEqual({ status: 'pending', stdout: '', stderr: '' });
      expect(done).toMatchObject({
        status: 'success',
        exitCode: 0,
        stdout: expect.stringContaining('installed'),
      });
    });

    it('reports a failing script as failed with its exit code', async () => {
      const instanceId = await s.launchRunning();

      const { commandId } = await commands.runCommands({
        instanceId,
        commands: ['exit 3'],
        timeoutSeconds: 60,
      });
      await s.advance(30);

      expect(await commands.getInvocation(commandId, instanceId)).toMatchObject({
        status: 'failed',
        exitCode: 3,
      });
    });

    it('reports a script as in progress while it runs', async () => {
      const instanceId = await s.launchRunning();

      const { commandId } = await commands.runCommands({
        instanceId,
        commands: ['sleep 60'],
        timeoutSeconds: 600,
      });
      await s.advance(10);

      expect((await commands.getInvocation(commandId, instanceId)).status).toBe('in-progress');
    });

    it('reports a script that outlives its timeout as timed out', async () => {
      const instanceId = await s.launchRunning();

      const { commandId } = await commands.runCommands({
        instanceId,
        commands: ['sleep 120'],
        timeoutSeconds: 30,
      });
      await s.advance(60);

      expect((await commands.getInvocation(commandId, instanceId)).status).toBe('timed-out');
    });

    it('reads an invocation it does not know yet as pending', async () => {
      const instanceId = await s.launchRunning();

      expect(await commands.getInvocation('00000000-0000-4000-8000-0000000fffff', instanceId)).toEqual({
        status: 'pending',
        stdout: '',
        stderr: '',
      });
    });

    it('finds the commands sent to an instance by their comment, newest first', async () => {
      const instanceId = await s.launchRunning();
      const other = await s.launchRunning();
      const send = (target: string, comment?: string) =>
        commands.runCommands({ instanceId: target, commands: ['true'], timeoutSeconds: 60, comment });

      const first = await send(instanceId, 'build b-1 step 0');
      await s.advance(5);
      const second = await send(instanceId, 'build b-1 step 0');
      await send(instanceId, 'build b-1 step 1');
      await send(instanceId);
      await send(other, 'build b-1 step 0');

      const found = await commands.findCommands(instanceId, 'build b-1 step 0');
      expect(found.map((c) => c.commandId)).toEqual([second.commandId, first.commandId]);
      expect(Date.parse(found[0]!.requestedAt)).toBeGreaterThan(Date.parse(found[1]!.requestedAt));
      expect(await commands.findCommands(instanceId, 'build b-1 step 9')).toEqual([]);
    });

    it('names an instance that cannot take commands as not found', async () => {
      await expect(
        commands.runCommands({ instanceId: 'i-0123456789abcdef0', commands: ['true'], timeoutSeconds: 60 }),
      ).rejects.toBeInstanceOf(ResourceNotFoundError);
    });
  });
};
