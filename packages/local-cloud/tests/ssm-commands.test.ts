import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import { DELIVERY_SECONDS, PACKAGE_REPOSITORIES, SsmService, STEP_SECONDS } from '../src/services/ssm';
import { startTestEdge } from '../src/testing/edge-harness';
import type { InstanceDirectory, SimInstance } from '../src/types';

const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';
const AL2023 = PUBLIC_IMAGES[0]!;

/** The instances EC2 would own: tests add their own, so no test sees another's changes. */
class FakeDirectory implements InstanceDirectory {
  private readonly all: SimInstance[] = [];
  private next = 0x1000;

  add(over: Partial<SimInstance> = {}): SimInstance {
    const inst: SimInstance = {
      instanceId: `i-${(this.next++).toString(16).padStart(17, '0')}`,
      accountId: ACCOUNT,
      region: REGION,
      imageId: publicImageId(REGION, AL2023.name),
      state: 'running',
      tags: new Map(),
      packages: new Map(Object.entries(AL2023.packages)),
      iamInstanceProfile: `arn:aws:iam::${ACCOUNT}:instance-profile/ssm-managed`,
      launchedAt: 0,
      ...over,
    };
    this.all.push(inst);
    return inst;
  }

  find(accountId: string, region: string, instanceId: string) {
    return this.all.find(
      (i) => i.accountId === accountId && i.region === region && i.instanceId === instanceId,
    );
  }

  list(accountId: string, region: string) {
    return this.all.filter((i) => i.accountId === accountId && i.region === region);
  }
}

const directory = new FakeDirectory();
let edge: Awaited<ReturnType<typeof startTestEdge>>;
let ssm: SSMClient;

beforeAll(async () => {
  edge = await startTestEdge((ctx) => [new SsmService(ctx, directory)]);
  ssm = new SSMClient({ ...edge.clientConfig, maxAttempts: 1 });
});

afterAll(async () => {
  ssm.destroy();
  await edge.close();
});

const send = async (
  instances: SimInstance[],
  commands: string[],
  extra: Partial<SendCommandCommandInput> = {},
) => {
  const out = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: instances.map((i) => i.instanceId),
      Parameters: { commands },
      ...extra,
    }),
  );
  return out.Command!.CommandId!;
};

const invocation = (CommandId: string, inst: SimInstance): Promise<GetCommandInvocationCommandOutput> =>
  ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId: inst.instanceId }));

describe('SSM Run Command', () => {
  describe('a script on a managed instance', () => {
    it('goes Pending, InProgress, Success on the simulated clock and reports its output', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['echo hello', 'echo world'], { Comment: 'greet' });

      const pending = await invocation(commandId, inst);
      await edge.clock.advance(DELIVERY_SECONDS);
      const running = await invocation(commandId, inst);
      await edge.clock.advance(2 * STEP_SECONDS.command);
      const done = await invocation(commandId, inst);

      expect(pending).toMatchObject({ Status: 'Pending', StatusDetails: 'Pending', ResponseCode: -1 });
      expect(running).toMatchObject({ Status: 'InProgress', StandardOutputContent: '' });
      expect(done).toMatchObject({
        Status: 'Success',
        StatusDetails: 'Success',
        ResponseCode: 0,
        StandardOutputContent: 'hello\nworld\n',
        StandardErrorContent: '',
        PluginName: 'aws:runShellScript',
        Comment: 'greet',
        ExecutionElapsedTime: 'PT4S',
      });
      expect(Date.parse(done.ExecutionEndDateTime!) - Date.parse(done.ExecutionStartDateTime!)).toBe(4000);
    });

    it('installs a package on the instance when the install step finishes', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['dnf install -y nginx-1.26.3-1.amzn2023.0.1']);

      await edge.clock.advance(DELIVERY_SECONDS + STEP_SECONDS.perPackage - 1);
      expect(inst.packages.has('nginx')).toBe(false);
      await edge.clock.advance(1);

      expect(inst.packages.get('nginx')).toBe('1.26.3-1.amzn2023.0.1');
      expect(await invocation(commandId, inst)).toMatchObject({ Status: 'Success' });
    });

    it('upgrades the instance’s packages on an OS update', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['dnf upgrade -y --releasever=latest']);

      await edge.clock.advance(600);

      expect(await invocation(commandId, inst)).toMatchObject({ Status: 'Success' });
      expect(inst.packages.get('kernel')).toBe(PACKAGE_REPOSITORIES.rpm.kernel);
      expect(inst.packages.get('openssl')).toBe(PACKAGE_REPOSITORIES.rpm.openssl);
    });

    it('fails with the script’s exit code', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['echo about to fail', 'exit 3', 'echo never']);

      await edge.clock.advance(60);

      expect(await invocation(commandId, inst)).toMatchObject({
        Status: 'Failed',
        StatusDetails: 'Failed',
        ResponseCode: 3,
        StandardOutputContent: 'about to fail\n',
      });
      const { Commands } = await ssm.send(new ListCommandsCommand({ CommandId: commandId }));
      expect(Commands?.[0]).toMatchObject({
        Status: 'Failed',
        StatusDetails: 'Failed',
        ErrorCount: 1,
        CompletedCount: 1,
      });
    });

    it('times out after the document’s executionTimeout, as the agent does (exit 137)', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['echo started', 'sleep 600'], {
        Parameters: { commands: ['echo started', 'sleep 600'], executionTimeout: ['60'] },
      });

      await edge.clock.advance(DELIVERY_SECONDS + 59);
      expect((await invocation(commandId, inst)).Status).toBe('InProgress');
      await edge.clock.advance(1);

      expect(await invocation(commandId, inst)).toMatchObject({
        Status: 'TimedOut',
        StatusDetails: 'ExecutionTimedOut',
        ResponseCode: 137,
        StandardOutputContent: 'started\n',
      });
    });

    it('runs the PowerShell document too', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['Write-Output "hi"'], {
        DocumentName: 'AWS-RunPowerShellScript',
      });

      await edge.clock.advance(10);

      expect(await invocation(commandId, inst)).toMatchObject({
        Status: 'Success',
        StandardOutputContent: 'hi\n',
        PluginName: 'aws:runPowerShellScript',
      });
    });

    it('truncates StandardOutputContent at 24,000 characters', async () => {
      const inst = directory.add();
      const commandId = await send([inst], [`echo ${'x'.repeat(30_000)}`]);

      await edge.clock.advance(10);

      expect((await invocation(commandId, inst)).StandardOutputContent).toHaveLength(24_000);
    });
  });

  describe('instances SSM does not manage', () => {
    it.each([
      ['without an instance profile', { iamInstanceProfile: undefined }],
      ['that is stopped', { state: 'stopped' as const }],
      ['that is still pending', { state: 'pending' as const }],
      ['of another account', { accountId: '222222222222' }],
      ['in another region', { region: 'us-east-1' }],
    ])('refuses an instance %s with InvalidInstanceId', async (_case, over) => {
      const inst = directory.add(over);
      await expect(send([inst], ['echo hi'])).rejects.toMatchObject({
        name: 'InvalidInstanceId',
        message: `Instances [[${inst.instanceId}]] not in a valid state for account ${ACCOUNT}`,
      });
    });

    it('refuses an instance id that does not exist', async () => {
      await expect(
        ssm.send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: ['i-0ffffffffffffffff'],
            Parameters: { commands: ['true'] },
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    });
  });

  describe('instances that change state', () => {
    it('fails the invocation when the instance stops while the script runs', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['echo begin', 'sleep 300', 'pkg-install never=1.0']);
      await edge.clock.advance(DELIVERY_SECONDS + STEP_SECONDS.command + 10);

      inst.state = 'stopped';
      await edge.clock.advance(30);

      const out = await invocation(commandId, inst);
      expect(out).toMatchObject({
        Status: 'Failed',
        StatusDetails: 'Failed',
        ResponseCode: 137,
        StandardOutputContent: 'begin\n',
      });
      expect(out.StandardErrorContent).toContain('stopped');
      expect(inst.packages.has('never')).toBe(false);
    });

    it('waits Delayed for a stopped instance and delivers once it runs again', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['echo back']);
      inst.state = 'stopped';

      await edge.clock.advance(DELIVERY_SECONDS);
      expect(await invocation(commandId, inst)).toMatchObject({
        Status: 'Delayed',
        StatusDetails: 'Delayed',
      });
      inst.state = 'running';
      await edge.clock.advance(60);

      expect(await invocation(commandId, inst)).toMatchObject({
        Status: 'Success',
        StandardOutputContent: 'back\n',
      });
    });

    it('times out delivery after TimeoutSeconds if the instance stays stopped', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['echo never'], { TimeoutSeconds: 120 });
      inst.state = 'stopped';

      await edge.clock.advance(119);
      expect((await invocation(commandId, inst)).Status).toBe('Delayed');
      await edge.clock.advance(1);

      expect(await invocation(commandId, inst)).toMatchObject({
        Status: 'TimedOut',
        StatusDetails: 'DeliveryTimedOut',
        ResponseCode: -1,
        ExecutionStartDateTime: '',
      });
    });

    it('reports Undeliverable when the instance is terminated before delivery', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['echo never']);
      inst.state = 'terminated';

      await edge.clock.advance(DELIVERY_SECONDS);

      expect(await invocation(commandId, inst)).toMatchObject({
        Status: 'Failed',
        StatusDetails: 'Undeliverable',
      });
    });
  });

  describe('fault injection', () => {
    afterEach(() => edge.asyncFailures.delete('ssm:SendCommand'));

    it('fails the invocations of a command sent while ssm:SendCommand is set to fail, without effects', async () => {
      const inst = directory.add();
      edge.asyncFailures.add('ssm:SendCommand');
      const commandId = await send([inst], ['pkg-install injected=1.0']);
      edge.asyncFailures.delete('ssm:SendCommand');

      await edge.clock.advance(60);

      const out = await invocation(commandId, inst);
      expect(out).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 1 });
      expect(out.StandardErrorContent).toContain('injected');
      expect(inst.packages.has('injected')).toBe(false);
    });
  });

  describe('listing', () => {
    it('lists invocations newest command first and pages through them', async () => {
      const fleet = [directory.add(), directory.add(), directory.add()];
      const first = await send(fleet, ['echo one']);
      const second = await send(fleet, ['echo two']);
      await edge.clock.advance(10);

      const seen: Array<[string, string]> = [];
      let NextToken: string | undefined;
      let pages = 0;
      do {
        const page = await ssm.send(
          new ListCommandInvocationsCommand({
            InstanceId: undefined,
            MaxResults: 2,
            NextToken,
            Filters: [
              { key: 'InvokedAfter', value: new Date(edge.clock.nowMillis() - 10_000).toISOString() },
            ],
          }),
        );
        seen.push(...page.CommandInvocations!.map((i): [string, string] => [i.CommandId!, i.InstanceId!]));
        NextToken = page.NextToken;
        pages++;
      } while (NextToken);

      expect(pages).toBe(3);
      expect(seen).toEqual([
        ...fleet.map((i): [string, string] => [second, i.instanceId]),
        ...fleet.map((i): [string, string] => [first, i.instanceId]),
      ]);
    });

    it('includes plugin details and output with Details', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['echo out', 'Write-Error oops']);
      await edge.clock.advance(10);

      const { CommandInvocations } = await ssm.send(
        new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }),
      );

      expect(CommandInvocations?.[0]?.CommandPlugins?.[0]).toMatchObject({
        Name: 'aws:runShellScript',
        Status: 'Failed',
        ResponseCode: 1,
        Output: 'out\n\n----------ERROR-------\noops\n',
      });
    });

    it('filters invocations by status and execution stage', async () => {
      const inst = directory.add();
      const ok = await send([inst], ['true']);
      const bad = await send([inst], ['false']);
      const slow = await send([inst], ['sleep 3600']);
      await edge.clock.advance(10);

      const failed = await ssm.send(
        new ListCommandInvocationsCommand({
          InstanceId: inst.instanceId,
          Filters: [{ key: 'Status', value: 'Failed' }],
        }),
      );
      const executing = await ssm.send(
        new ListCommandInvocationsCommand({
          InstanceId: inst.instanceId,
          Filters: [{ key: 'ExecutionStage', value: 'Executing' }],
        }),
      );

      expect(failed.CommandInvocations?.map((i) => i.CommandId)).toEqual([bad]);
      expect(executing.CommandInvocations?.map((i) => i.CommandId)).toEqual([slow]);
      expect(ok).toBeDefined();
    });

    it('lists commands with their counts and pages through them', async () => {
      const inst = directory.add();
      const ids = [await send([inst], ['true']), await send([inst], ['true']), await send([inst], ['true'])];
      await edge.clock.advance(10);

      const first = await ssm.send(new ListCommandsCommand({ InstanceId: inst.instanceId, MaxResults: 2 }));
      const rest = await ssm.send(
        new ListCommandsCommand({ InstanceId: inst.instanceId, MaxResults: 2, NextToken: first.NextToken }),
      );

      expect([...first.Commands!, ...rest.Commands!].map((c) => c.CommandId)).toEqual([...ids].reverse());
      expect(rest.NextToken).toBeUndefined();
      expect(first.Commands?.[0]).toMatchObject({
        Status: 'Success',
        TargetCount: 1,
        CompletedCount: 1,
        ErrorCount: 0,
        DocumentName: 'AWS-RunShellScript',
        Parameters: { commands: ['true'] },
        InstanceIds: [inst.instanceId],
      });
    });

    it('refuses MaxResults above 50 and filter values it does not know', async () => {
      await expect(ssm.send(new ListCommandInvocationsCommand({ MaxResults: 51 }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      await expect(
        ssm.send(new ListCommandsCommand({ Filters: [{ key: 'Status', value: 'Sleeping' }] })),
      ).rejects.toMatchObject({ name: 'InvalidFilterValue' });
    });
  });

  describe('requests SSM refuses', () => {
    it('answers InvocationDoesNotExist for an unknown command or instance', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['true']);

      await expect(
        ssm.send(
          new GetCommandInvocationCommand({
            CommandId: '00000000-0000-4000-8000-000000000000',
            InstanceId: inst.instanceId,
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
      await expect(
        ssm.send(
          new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: 'i-0ffffffffffffffff' }),
        ),
      ).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
      await expect(
        ssm.send(
          new GetCommandInvocationCommand({
            CommandId: commandId,
            InstanceId: inst.instanceId,
            PluginName: 'aws:runDocument',
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidPluginName' });
    });

    it('keeps commands to the account that sent them', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['true']);
      const creds = edge.accounts.issueRoleCredentials(
        'arn:aws:iam::222222222222:role/x',
        's',
        edge.clock.nowMillis(),
        3600,
      );
      const other = new SSMClient({ ...edge.clientConfig, maxAttempts: 1, credentials: creds });

      await expect(
        other.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: inst.instanceId })),
      ).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
      other.destroy();
    });

    it.each([
      ['an unknown document', { DocumentName: 'AWS-RunAnsiblePlaybook' }, 'InvalidDocument'],
      [
        'a document parameter it does not declare',
        { Parameters: { commands: ['true'], foo: ['bar'] } },
        'InvalidParameters',
      ],
      ['no commands', { Parameters: { commands: [] } }, 'InvalidParameters'],
      [
        'an executionTimeout out of range',
        { Parameters: { commands: ['true'], executionTimeout: ['0'] } },
        'InvalidParameters',
      ],
      ['a delivery timeout under 30 seconds', { TimeoutSeconds: 10 }, 'ValidationException'],
      ['a comment over 100 characters', { Comment: 'c'.repeat(101) }, 'ValidationException'],
    ])('refuses %s', async (_case, extra, code) => {
      const inst = directory.add();
      await expect(send([inst], ['true'], extra)).rejects.toMatchObject({ name: code });
    });
  });

  describe('targets, cancellation and events', () => {
    it('selects managed instances by tag and leaves unmanaged ones out', async () => {
      const role = 'web-tier';
      const web = [
        directory.add({ tags: new Map([['Role', role]]) }),
        directory.add({ tags: new Map([['Role', role]]) }),
      ];
      directory.add({ tags: new Map([['Role', role]]), iamInstanceProfile: undefined });

      const out = await ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          Targets: [{ Key: 'tag:Role', Values: [role] }],
          Parameters: { commands: ['true'] },
        }),
      );

      expect(out.Command).toMatchObject({ TargetCount: 2, Targets: [{ Key: 'tag:Role', Values: [role] }] });
      const { CommandInvocations } = await ssm.send(
        new ListCommandInvocationsCommand({ CommandId: out.Command!.CommandId }),
      );
      expect(CommandInvocations?.map((i) => i.InstanceId).sort()).toEqual(
        web.map((i) => i.instanceId).sort(),
      );
    });

    it('cancels a running command', async () => {
      const inst = directory.add();
      const commandId = await send([inst], ['sleep 600', 'pkg-install late=1.0']);
      await edge.clock.advance(DELIVERY_SECONDS + 10);

      await ssm.send(new CancelCommandCommand({ CommandId: commandId }));
      await edge.clock.advance(600);

      expect(await invocation(commandId, inst)).toMatchObject({ Status: 'Cancelled', ResponseCode: 137 });
      expect(inst.packages.has('late')).toBe(false);
    });

    it('emits an invocation status-change event for each transition', async () => {
      const inst = directory.add();
      const before = edge.emitted.length;
      const commandId = await send([inst], ['true']);
      await edge.clock.advance(10);

      const statuses = edge.emitted
        .slice(before)
        .filter((e) => e.detailType === 'EC2 Command Invocation Status-change Notification')
        .map((e) => [e.detail['command-id'], e.detail['instance-id'], e.detail.status]);
      expect(statuses).toEqual([
        [commandId, inst.instanceId, 'InProgress'],
        [commandId, inst.instanceId, 'Success'],
      ]);
      expect(
        edge.emitted
          .slice(before)
          .filter((e) => e.detailType === 'EC2 Command Status-change Notification')
          .at(-1)?.detail.status,
      ).toBe('Success');
    });
  });
});
