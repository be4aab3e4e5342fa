import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { Inspector2Client, ListFindingsCommand } from '@aws-sdk/client-inspector2';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GetCommandInvocationCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../src/cloud';
import {
  LOCK_FILE,
  MANIFEST_FILE,
  StateDir,
  StateDirInUseError,
  StateFileError,
} from '../src/persistence/state-dir';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import { RESTART_CAUSE, RESTART_ERROR } from '../src/services/sfn/executions';
import { control, START, WORKLOADS } from './helpers';

const REGION = 'eu-west-1';
const FIXTURE = join(__dirname, 'fixtures', 'state', 'serverless.yml');
const ROOT = join(__dirname, '..', '..', '..');
const AL2023 = PUBLIC_IMAGES.find((i) => i.ssmParameter?.endsWith('al2023-ami-kernel-default-x86_64'))!;

/** Each test gets a directory of its own: no two clouds (or test processes) share DynamoDB Local's files. */
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'local-cloud-state-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const clients = (cloud: LocalCloud) => {
  const config = { ...cloud.clientConfig, maxAttempts: 1 };
  return {
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    sqs: new SQSClient(config),
    sfn: new SFNClient(config),
    events: new EventBridgeClient(config),
    dynamodb: new DynamoDBClient(config),
  };
};

/** Every file of a directory and its bytes, to show that a refused start changed nothing. */
const contents = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const path = join(e.parentPath, e.name);
        return [path, readFileSync(path).toString('base64')];
      }),
  );

/** The state files of a directory (not DynamoDB Local's, not the lock). */
const stateFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json'));

/** The instance's findings as ListFindings answers them. */
const findings = async (cloud: LocalCloud, instanceId: string) => {
  const inspector = new Inspector2Client(cloud.clientConfig);
  try {
    const out = await inspector.send(
      new ListFindingsCommand({
        filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: instanceId }] },
      }),
    );
    return (out.findings ?? []) as unknown as Record<string, unknown>[];
  } finally {
    inspector.destroy();
  }
};

const imageOf = async (ec2: EC2Client, imageId: string) =>
  (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];

describe('npm run local-cloud -- --state-dir: the state across restarts', () => {
  it('shows the same images, parameters, items, queue messages, rules and time after a restart, deployed again without duplicates', async () => {
    const dir = tempDir();
    const options: LocalCloudOptions = {
      port: 0,
      start: START,
      dynamodb: true,
      deploy: { serverlessFile: FIXTURE },
      stateDir: dir,
      saveIntervalMs: 0,
    };

    // ---- the first run: make things through the AWS APIs ----
    const first = await startLocalCloud(options);
    const a = clients(first);
    let ids: { instance: string; available: string; pending: string; snapshot: string };
    let stoppedAt: number;
    let executionArn: string;
    let queueUrl: string;
    const firstRules = first.deployment!.rules;
    try {
      const run = await a.ec2.send(
        new RunInstancesCommand({
          ImageId: publicImageId(REGION, AL2023.name),
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
        }),
      );
      const instance = run.Instances![0]!.InstanceId!;
      await first.clock.advance(120);
      const available = (await a.ec2.send(new CreateImageCommand({ InstanceId: instance, Name: 'kept-1' })))
        .ImageId!;
      await first.clock.advance(600);
      await a.ec2.send(
        new CreateTagsCommand({ Resources: [available], Tags: [{ Key: 'family', Value: 'kept' }] }),
      );
      await a.ec2.send(
        new ModifyImageAttributeCommand({
          ImageId: available,
          LaunchPermission: { Add: [{ UserId: WORKLOADS }] },
        }),
      );
      // Still being created when the cloud stops: it must finish after the restart, on the clock.
      const pending = (await a.ec2.send(new CreateImageCommand({ InstanceId: instance, Name: 'kept-2' })))
        .ImageId!;
      const snapshot = (await imageOf(a.ec2, pending))!.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
      ids = { instance, available, pending, snapshot };

      await a.ssm.send(new PutParameterCommand({ Name: '/kept/latest', Value: available, Type: 'String' }));
      await a.ssm.send(
        new PutParameterCommand({ Name: '/kept/latest', Value: pending, Type: 'String', Overwrite: true }),
      );
      await a.dynamodb.send(
        new PutItemCommand({ TableName: 'keep-test', Item: { PK: { S: 'family#kept' }, n: { N: '7' } } }),
      );
      queueUrl = (await a.sqs.send(new CreateQueueCommand({ QueueName: 'kept-messages' }))).QueueUrl!;
      await a.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'first' }));
      await a.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'second' }));
      // One received, so in flight across the restart for its visibility timeout.
      const received = await a.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 300 }),
      );
      expect(received.Messages).toHaveLength(1);

      const machine = first.services.sfn.machines.find(
        { accountId: '111111111111', region: REGION },
        'keep-test-hold',
      )!;
      executionArn = (
        await a.sfn.send(
          new StartExecutionCommand({ stateMachineArn: machine.arn, name: 'held', input: '{}' }),
        )
      ).executionArn!;
      await first.services.sfn.settleExecution(executionArn);
      await first.clock.advance(1);
      stoppedAt = first.clock.nowMillis();
    } finally {
      for (const c of Object.values(a)) c.destroy();
      await first.stop();
    }
    expect(readdirSync(dir)).not.toContain(LOCK_FILE);
    expect(stateFiles(dir).sort()).toEqual([
      'ec2-000001.json',
      'events-000001.json',
      'inspector2-000001.json',
      MANIFEST_FILE,
      'sns-000001.json',
      'sqs-000001.json',
      'ssm-000001.json',
      'stepfunctions-000001.json',
    ]);

    // ---- the second run, from the same directory ----
    const second = await startLocalCloud({ ...options, start: '2031-01-01T00:00:00.000Z' });
    const b = clients(second);
    try {
      // The clock continues from where it stopped, whatever `start` says.
      expect(second.clock.nowMillis()).toBe(stoppedAt);
      expect(second.state).toEqual({ dir, restoredFrom: expect.any(String) });

      const kept = await imageOf(b.ec2, ids.available);
      expect(kept).toMatchObject({
        ImageId: ids.available,
        Name: 'kept-1',
        State: 'available',
        Tags: [{ Key: 'family', Value: 'kept' }],
      });
      const permissions = await b.ec2.send(
        new DescribeImageAttributeCommand({ ImageId: ids.available, Attribute: 'launchPermission' }),
      );
      expect(permissions.LaunchPermissions).toEqual([{ UserId: WORKLOADS }]);
      const instances = await b.ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids.instance] }));
      expect(instances.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
      const parameter = await b.ssm.send(new GetParameterCommand({ Name: '/kept/latest' }));
      expect(parameter.Parameter).toMatchObject({ Value: ids.pending, Version: 2 });
      const history = await b.ssm.send(new GetParameterHistoryCommand({ Name: '/kept/latest' }));
      expect(history.Parameters?.map((p) => p.Value)).toEqual([ids.available, ids.pending]);

      const item = await b.dynamodb.send(
        new GetItemCommand({ TableName: 'keep-test', Key: { PK: { S: 'family#kept' } } }),
      );
      expect(item.Item).toEqual({ PK: { S: 'family#kept' }, n: { N: '7' } });

      const restoredUrl = queueUrl.replace(/^http:\/\/[^/]+/, second.endpoint);
      const attributes = await b.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: restoredUrl, AttributeNames: ['All'] }),
      );
      expect(attributes.Attributes).toMatchObject({
        ApproximateNumberOfMessages: '1',
        ApproximateNumberOfMessagesNotVisible: '1',
      });
      const visible = await b.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: restoredUrl, MaxNumberOfMessages: 10 }),
      );
      expect(visible.Messages?.map((m) => m.Body)).toEqual(['second']);
      // The image still being created finishes on the restored clock, snapshot and all; the message in
      // flight is visible again once its 300 s are over.
      expect((await imageOf(b.ec2, ids.pending))?.State).toBe('pending');
      await second.clock.advance(600);
      expect((await imageOf(b.ec2, ids.pending))?.State).toBe('available');
      const snapshots = await b.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [ids.snapshot] }));
      expect(snapshots.Snapshots?.[0]).toMatchObject({ State: 'completed', Progress: '100%' });

      const again = await b.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: restoredUrl, MaxNumberOfMessages: 10 }),
      );
      // Both: the one in flight across the restart, and the one received since (30 s by default).
      expect(again.Messages?.map((m) => m.Body).sort()).toEqual(['first', 'second']);

      // Running when the cloud stopped: stopping aborted it, and that is what was kept.
      const execution = await b.sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(execution).toMatchObject({
        status: 'ABORTED',
        error: 'States.Runtime',
        cause: 'The local cloud stopped.',
      });
      const events = (await b.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
      expect(events[0]?.type).toBe('ExecutionStarted');
      expect(events.at(-1)?.type).toBe('ExecutionAborted');

      // serverless.yml deployed again over the restored state: the same rules, one target each, one machine.
      expect(second.deployment!.rules).toEqual(firstRules);
      for (const bus of ['default', 'keep-bus']) {
        const rules = (await b.events.send(new ListRulesCommand({ EventBusName: bus }))).Rules ?? [];
        expect(rules.map((r) => r.Name).sort()).toEqual(
          firstRules
            .filter((r) => (bus === 'default' ? r.includes('schedule') : !r.includes('schedule')))
            .sort(),
        );
        for (const rule of rules) {
          const targets = await b.events.send(
            new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: bus }),
          );
          expect([rule.Name, targets.Targets?.map((t) => t.Id)]).toEqual([rule.Name, ['target-1']]);
        }
      }
      const machines = (await b.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
      expect(machines.map((m) => m.name)).toEqual(['keep-test-hold']);
      // The daily schedule is armed again.
      expect(second.services.events.scheduledRules()).toEqual([
        expect.stringContaining('rule/keep-test-note-schedule-2'),
      ]);
    } finally {
      for (const c of Object.values(b)) c.destroy();
      await second.stop();
    }
  }, 120_000);

  it('ends what was under way when the state was saved and the process then died: executions ABORTED, commands Failed', async () => {
    const dir = tempDir();
    const cloud = await startLocalCloud({ port: 0, start: START, stateDir: dir, saveIntervalMs: 0 });
    const a = clients(cloud);
    let executionArn: string;
    let commandId: string;
    let instanceId: string;
    let pendingImage: string;
    const copy = tempDir();
    try {
      const { stateMachineArn } = await a.sfn.send(
        new CreateStateMachineCommand({
          name: 'waits',
          roleArn: 'arn:aws:iam::111111111111:role/waits',
          definition: JSON.stringify({
            StartAt: 'W',
            States: { W: { Type: 'Wait', Seconds: 3600, End: true } },
          }),
        }),
      );
      executionArn = (await a.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'long' })))
        .executionArn!;
      await cloud.services.sfn.settleExecution(executionArn);
      const run = await a.ec2.send(
        new RunInstancesCommand({
          ImageId: publicImageId(REGION, AL2023.name),
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          IamInstanceProfile: { Name: 'ssm-managed' },
        }),
      );
      instanceId = run.Instances![0]!.InstanceId!;
      await cloud.clock.advance(120);
      commandId = (
        await a.ssm.send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: [instanceId],
            Parameters: { commands: ['echo started', 'sleep 600'] },
          }),
        )
      ).Command!.CommandId!;
      await cloud.clock.advance(5);
      pendingImage = (await a.ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'mid-save' })))
        .ImageId!;
      // A save while all that runs; the copy is what a process killed right after would leave.
      cloud.saveState();
      cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith(LOCK_FILE) });
    } finally {
      for (const c of Object.values(a)) c.destroy();
      await cloud.stop();
    }

    const restored = await startLocalCloud({ port: 0, stateDir: copy, saveIntervalMs: 0 });
    const b = clients(restored);
    try {
      const execution = await b.sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(execution).toMatchObject({ status: 'ABORTED', error: RESTART_ERROR, cause: RESTART_CAUSE });
      const events = (await b.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
      expect(events.at(-1)).toMatchObject({
        type: 'ExecutionAborted',
        executionAbortedEventDetails: { error: RESTART_ERROR, cause: RESTART_CAUSE },
      });

      const invocation = await b.ssm.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
      );
      expect(invocation).toMatchObject({ Status: 'Failed', ResponseCode: 137 });
      expect(invocation.StandardOutputContent).toContain('started');
      expect(invocation.StandardErrorContent).toContain('restarted while this invocation ran');

      await restored.clock.advance(600);
      expect((await imageOf(b.ec2, pendingImage))?.State).toBe('available');
    } finally {
      for (const c of Object.values(b)) c.destroy();
      await restored.stop();
    }
  }, 60_000);

  it('keeps EventBridge rules, targets and schedules, and delivers what was waiting', async () => {
    const dir = tempDir();
    const machine = `arn:aws:states:${REGION}:111111111111:stateMachine:tick`;
    const role = 'arn:aws:iam::111111111111:role/events';
    const cloud = await startLocalCloud({ port: 0, start: START, stateDir: dir, saveIntervalMs: 0 });
    const a = clients(cloud);
    try {
      await a.sfn.send(
        new CreateStateMachineCommand({
          name: 'tick',
          roleArn: 'arn:aws:iam::111111111111:role/tick',
          definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
        }),
      );
      await a.events.send(new PutRuleCommand({ Name: 'hourly', ScheduleExpression: 'rate(1 hour)' }));
      await a.events.send(
        new PutRuleCommand({ Name: 'on-ping', EventPattern: JSON.stringify({ source: ['keep'] }) }),
      );
      for (const rule of ['hourly', 'on-ping']) {
        await a.events.send(
          new PutTargetsCommand({ Rule: rule, Targets: [{ Id: 'sfn', Arn: machine, RoleArn: role }] }),
        );
      }
      // Half an hour into the hour: the next firing is 30 minutes after the restart, not an hour.
      await cloud.clock.advance(1_800);
      // Matched, and waiting for the clock's next advance when the cloud stops.
      await a.events.send(
        new PutEventsCommand({ Entries: [{ Source: 'keep', DetailType: 'Ping', Detail: '{"n":1}' }] }),
      );
    } finally {
      for (const c of Object.values(a)) c.destroy();
      await cloud.stop();
    }

    const restored = await startLocalCloud({ port: 0, stateDir: dir, saveIntervalMs: 0 });
    const b = clients(restored);
    const executions = async () =>
      ((await b.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }))).executions ?? []).length;
    try {
      const targets = await b.events.send(new ListTargetsByRuleCommand({ Rule: 'hourly' }));
      expect(targets.Targets).toEqual([{ Id: 'sfn', Arn: machine, RoleArn: role }]);
      expect(await executions()).toBe(0);
      await restored.clock.advance(0);
      expect(await executions()).toBe(1);
      await restored.clock.advance(1_799);
      expect(await executions()).toBe(1);
      await restored.clock.advance(1);
      expect(await executions()).toBe(2);
    } finally {
      for (const c of Object.values(b)) c.destroy();
      await restored.stop();
    }
  });

  it('keeps Inspector2 coverage, findings and the CVEs added at run time, without announcing them again', async () => {
    const dir = tempDir();
    const cloud = await startLocalCloud({ port: 0, start: START, stateDir: dir, saveIntervalMs: 0 });
    const ec2 = new EC2Client(cloud.clientConfig);
    let instanceId: string;
    let before: Record<string, unknown>[];
    try {
      const run = await ec2.send(
        new RunInstancesCommand({
          ImageId: publicImageId(REGION, AL2023.name),
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          IamInstanceProfile: { Name: 'ssm-managed' },
        }),
      );
      instanceId = run.Instances![0]!.InstanceId!;
      await cloud.clock.advance(600);
      const added = await control(cloud, 'POST', '/_local/inspector/cves', {
        vulnerabilityId: 'CVE-2026-0001',
        packageName: 'sudo',
        family: 'rpm',
        fixedVersion: '1.9.16-1.amzn2023',
        severity: 'HIGH',
        cvssScore: 7.8,
        title: 'sudo chroot option lets a local user run commands as root',
      });
      expect(added.body).toMatchObject({ affectedInstances: [instanceId] });
      before = await findings(cloud, instanceId);
      expect(before.map((f) => f.title)).toContain('CVE-2026-0001 - sudo');
    } finally {
      ec2.destroy();
      await cloud.stop();
    }

    const restored = await startLocalCloud({ port: 0, stateDir: dir, saveIntervalMs: 0 });
    try {
      expect(await findings(restored, instanceId)).toEqual(before);
      const cves = await control(restored, 'GET', '/_local/inspector/cves');
      expect((cves.body.cves as { vulnerabilityId: string }[]).map((c) => c.vulnerabilityId)).toContain(
        'CVE-2026-0001',
      );
      // Polls and rescans find nothing new: the restored findings are not announced a second time.
      await restored.clock.advance(3_600);
      expect(restored.events.list({ source: 'aws.inspector2' })).toEqual([]);
      expect(await findings(restored, instanceId)).toEqual(before);
    } finally {
      await restored.stop();
    }
  });

  it('saves what changed every saveIntervalMs of real time, and nothing when nothing changed', async () => {
    // Only the saver's interval is faked: the edge and the SDK keep their real timers.
    jest.useFakeTimers({
      doNotFake: [
        'Date',
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
      ],
    });
    const dir = tempDir();
    const cloud = await startLocalCloud({ port: 0, start: START, stateDir: dir, saveIntervalMs: 5_000 });
    const ssm = new SSMClient(cloud.clientConfig);
    const manifest = () => JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { save: number };
    try {
      expect(stateFiles(dir)).toEqual([]);
      await ssm.send(new PutParameterCommand({ Name: '/kept/periodic', Value: 'v1', Type: 'String' }));
      jest.advanceTimersByTime(4_999);
      expect(stateFiles(dir)).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(manifest().save).toBe(1);
      const ssmFile = stateFiles(dir).find((f) => f.startsWith('ssm-'))!;
      expect(readFileSync(join(dir, ssmFile), 'utf8')).toContain('/kept/periodic');
      jest.advanceTimersByTime(5_000);
      expect(manifest().save).toBe(1);
      await cloud.clock.advance(60);
      jest.advanceTimersByTime(5_000);
      expect(manifest().save).toBe(2);
    } finally {
      ssm.destroy();
      await cloud.stop();
      jest.useRealTimers();
    }
  });

  describe('the files of a save', () => {
    it('writes only what changed, under the number of the save, and removes what the manifest no longer names', () => {
      const dir = tempDir();
      const state = StateDir.open(dir);
      try {
        expect(state.load()).toBeUndefined();
        const at = new Date(START);
        expect(state.save(at, { ec2: { n: 1 }, ssm: { p: 'a' } })).toBe(2);
        // Nothing changed, the time included: nothing is written.
        expect(state.save(at, { ec2: { n: 1 }, ssm: { p: 'a' } })).toBe(0);
        expect(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')).save).toBe(1);
        expect(state.save(new Date(at.getTime() + 1_000), { ec2: { n: 2 }, ssm: { p: 'a' } })).toBe(1);
        expect(stateFiles(dir).sort()).toEqual(['ec2-000002.json', MANIFEST_FILE, 'ssm-000001.json']);
      } finally {
        state.release();
      }
      const again = StateDir.open(dir);
      try {
        expect(again.load()).toEqual({
          clock: new Date(Date.parse(START) + 1_000),
          savedAt: expect.any(String),
          services: { ec2: { n: 2 }, ssm: { p: 'a' } },
        });
      } finally {
        again.release();
      }
    });

    it('ignores the file of a save a crash cut short: the manifest still names a whole save', () => {
      const dir = tempDir();
      const state = StateDir.open(dir);
      state.save(new Date(START), { ec2: { n: 1 } });
      state.release();
      // What a crash between a service file and the manifest leaves: a file of save 2 nothing names.
      writeFileSync(join(dir, 'ec2-000002.json'), '{"format":"ami-lifecycle-local-cloud-state","ver');

      const again = StateDir.open(dir);
      try {
        expect(again.load()?.services).toEqual({ ec2: { n: 1 } });
        again.save(new Date(START), { ec2: { n: 3 } });
        expect(JSON.parse(readFileSync(join(dir, 'ec2-000002.json'), 'utf8')).data).toEqual({ n: 3 });
        expect(stateFiles(dir).sort()).toEqual(['ec2-000002.json', MANIFEST_FILE]);
      } finally {
        again.release();
      }
    });
  });

  describe('a directory it cannot use', () => {
    /** A directory holding one saved state (an image, a parameter), ready to be damaged. */
    const savedDir = async (): Promise<string> => {
      const dir = tempDir();
      const cloud = await startLocalCloud({ port: 0, start: START, stateDir: dir, saveIntervalMs: 0 });
      const ssm = new SSMClient(cloud.clientConfig);
      try {
        await ssm.send(new PutParameterCommand({ Name: '/kept/value', Value: 'v1', Type: 'String' }));
      } finally {
        ssm.destroy();
        await cloud.stop();
      }
      return dir;
    };

    const refusal = async (dir: string) =>
      startLocalCloud({ port: 0, stateDir: dir, saveIntervalMs: 0 }).then(
        async (cloud) => {
          await cloud.stop();
          throw new Error('the cloud started');
        },
        (error: unknown) => error,
      );

    it('refuses a file that is not JSON, naming it, and changes nothing', async () => {
      const dir = await savedDir();
      const file = join(dir, stateFiles(dir).find((f) => f.startsWith('ssm-'))!);
      writeFileSync(
        file,
        '{"format":"ami-lifecycle-local-cloud-state","version":1,"service":"ssm","save":1,"da',
      );
      const before = contents(dir);

      const error = await refusal(dir);

      expect(error).toBeInstanceOf(StateFileError);
      expect((error as StateFileError).file).toBe(file);
      expect((error as Error).message).toContain('is not valid JSON');
      expect(contents(dir)).toEqual(before);
    });

    it('refuses a state of another version, naming the manifest', async () => {
      const dir = await savedDir();
      const manifest = join(dir, MANIFEST_FILE);
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"version": 1', '"version": 2'));
      const before = contents(dir);

      const error = await refusal(dir);

      expect(error).toBeInstanceOf(StateFileError);
      expect((error as StateFileError).file).toBe(manifest);
      expect((error as Error).message).toContain(
        'is of state version 2; this local cloud reads version 1 only',
      );
      expect(contents(dir)).toEqual(before);
    });

    it('refuses a file whose data does not fit, naming the file and the field', async () => {
      const dir = await savedDir();
      const file = join(dir, stateFiles(dir).find((f) => f.startsWith('ec2-'))!);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { data: Record<string, unknown> };
      saved.data.regions = 'every region';
      writeFileSync(file, JSON.stringify(saved));

      const error = await refusal(dir);

      expect(error).toBeInstanceOf(StateFileError);
      expect((error as StateFileError).file).toBe(file);
      expect((error as Error).message).toContain('cannot be restored: $.regions: must be a list');
    });

    it('refuses a directory another running cloud uses', async () => {
      const dir = tempDir();
      const cloud = await startLocalCloud({ port: 0, stateDir: dir, saveIntervalMs: 0 });
      try {
        const error = await refusal(dir);
        expect(error).toBeInstanceOf(StateDirInUseError);
        expect((error as Error).message).toContain(`in use by the local cloud of process ${process.pid}`);
      } finally {
        await cloud.stop();
      }
      // Once it stopped, the directory is free again.
      const next = await startLocalCloud({ port: 0, stateDir: dir, saveIntervalMs: 0 });
      await next.stop();
    });

    it('makes npm run local-cloud exit 2, naming the file', async () => {
      const dir = await savedDir();
      const file = join(dir, stateFiles(dir).find((f) => f.startsWith('sqs-'))!);
      writeFileSync(file, 'not json at all');
      const child = spawn(
        'npm',
        ['run', 'local-cloud', '--', '--port', '0', '--no-dynamodb', '--no-deploy', '--state-dir', dir],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

      expect(code).toBe(2);
      expect(stderr).toContain(`state file ${file}: is not valid JSON`);
      expect(stderr).toContain('nothing was started, and nothing in the state directory changed');
    }, 60_000);
  });
});
