import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Ec2Compute, Ec2Images, EventBridgePublisher, InspectorFindings, SsmCommands } from '../../src';
import { AL2023_PARAMETER, launchRunning, startTestCloud } from '../support/cloud';
import type { CommandsSubject } from './commands-contract';
import type { ComputeSubject } from './compute-contract';
import type { EventsSubject } from './events-contract';
import type { FindingsSubject } from './findings-contract';
import type { ImagesSubject } from './images-contract';

/** The real adapters, each suite on its own local cloud; `advance` moves the cloud's simulated clock. */

export const localCompute = async (): Promise<ComputeSubject> => {
  const t = await startTestCloud();
  const images = new Ec2Images(t.clients.ec2, t.clients.ssm);
  return {
    port: new Ec2Compute(t.clients.ec2),
    advance: (seconds) => t.cloud.clock.advance(seconds),
    launchableImageId: () => images.resolveSsmImageParameter(AL2023_PARAMETER),
    close: () => t.cloud.stop(),
  };
};

export const localImages = async (): Promise<ImagesSubject> => {
  const t = await startTestCloud();
  return {
    port: new Ec2Images(t.clients.ec2, t.clients.ssm),
    compute: new Ec2Compute(t.clients.ec2),
    advance: (seconds) => t.cloud.clock.advance(seconds),
    snapshotIds: async () => {
      const out = await t.clients.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
      return (out.Snapshots ?? []).flatMap((s) => (s.SnapshotId ? [s.SnapshotId] : []));
    },
    close: () => t.cloud.stop(),
  };
};

export const localCommands = async (): Promise<CommandsSubject> => {
  const t = await startTestCloud();
  return {
    port: new SsmCommands(t.clients.ssm),
    advance: (seconds) => t.cloud.clock.advance(seconds),
    launchRunning: async () => (await launchRunning(t)).instanceId,
    close: () => t.cloud.stop(),
  };
};

export const localFindings = async (): Promise<FindingsSubject> => {
  const t = await startTestCloud();
  const commands = new SsmCommands(t.clients.ssm);
  return {
    port: new InspectorFindings(t.clients.inspector2),
    compute: new Ec2Compute(t.clients.ec2),
    advance: (seconds) => t.cloud.clock.advance(seconds),
    launchRunning: () => launchRunning(t),
    makeVulnerable: async (instanceId) => {
      const { commandId } = await commands.runCommands({
        instanceId,
        commands: ['pkg-install httpd=2.4.58-1.amzn2023'],
        timeoutSeconds: 600,
      });
      await t.cloud.clock.advance(60);
      expect((await commands.getInvocation(commandId, instanceId)).status).toBe('success');
    },
    close: () => t.cloud.stop(),
  };
};

export const TEST_BUS = 'ami-lifecycle-test';

export const localEvents = async (): Promise<EventsSubject> => {
  const t = await startTestCloud();
  await t.clients.eventBridge.send(new CreateEventBusCommand({ Name: TEST_BUS }));
  return {
    port: new EventBridgePublisher(TEST_BUS, t.clients.eventBridge),
    delivered: async () =>
      t.cloud.services.events
        .ingested()
        .filter((e) => e.eventBusArn.endsWith(`/${TEST_BUS}`))
        .map((e) => ({
          eventId: e.event.id,
          source: e.event.source,
          detailType: e.event['detail-type'],
          detail: e.event.detail,
          droppedNoSuchBus: e.droppedNoSuchBus,
        })),
    refusing: async () => {
      // A real failed entry from the cloud: the detail is corrupted after validation, on the wire.
      const client = new EventBridgeClient({ ...t.cloud.clientConfig, maxAttempts: 1 });
      client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as { Entries?: { Detail?: string }[] };
          for (const entry of input.Entries ?? []) entry.Detail = '{not json';
          return next(args);
        },
        { step: 'initialize' },
      );
      return { publisher: new EventBridgePublisher(TEST_BUS, client), errorCode: 'MalformedDetail' };
    },
    close: () => t.cloud.stop(),
  };
};
