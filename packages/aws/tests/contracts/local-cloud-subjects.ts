import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DisableImageBlockPublicAccessCommand,
  DisableImageCommand,
  EnableImageBlockPublicAccessCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  ModifyImageAttributeCommand,
  ModifyLaunchTemplateCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import {
  assumeRoleClients,
  awsErrorCode,
  Ec2Compute,
  Ec2Images,
  Ec2Inventory,
  Ec2SharedUsage,
  EventBridgePublisher,
  InspectorFindings,
  SsmCommands,
  SsmParameters,
} from '../../src';
import { fromTagList } from '../../src/tags';
import {
  AL2023_PARAMETER,
  availableImage,
  launchRunning,
  managedTags,
  OTHER_REGION,
  startTestCloud,
} from '../support/cloud';
import type { CommandsSubject } from './commands-contract';
import type { ComputeSubject } from './compute-contract';
import type { EventsSubject } from './events-contract';
import type { FindingsSubject } from './findings-contract';
import type { ImagesSubject } from './images-contract';
import type { InventorySubject } from './inventory-contract';
import type { ParametersSubject } from './parameters-contract';

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
  const other = t.inRegion(OTHER_REGION);
  const ec2InRegion = (region: string) => t.inRegion(region).ec2;
  return {
    port: new Ec2Images(t.clients.ec2, t.clients.ssm, ec2InRegion),
    region: t.cloud.region,
    otherRegion: { region: OTHER_REGION, port: new Ec2Images(other.ec2, other.ssm, ec2InRegion) },
    compute: new Ec2Compute(t.clients.ec2),
    advance: (seconds) => t.cloud.clock.advance(seconds),
    snapshotIds: async () => {
      const out = await t.clients.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
      return (out.Snapshots ?? []).flatMap((s) => (s.SnapshotId ? [s.SnapshotId] : []));
    },
    snapshotsOf: async (imageId, region) => {
      const ec2 = ec2InRegion(region);
      const { Images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      const SnapshotIds = (Images?.[0]?.BlockDeviceMappings ?? []).flatMap((m) =>
        m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [],
      );
      if (SnapshotIds.length === 0) return [];
      const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds }));
      return (Snapshots ?? []).map((snap) => ({
        encrypted: snap.Encrypted === true,
        kmsKeyId: snap.KmsKeyId,
        tags: fromTagList(snap.Tags),
      }));
    },
    untagSnapshot: async (snapshotId, key) => {
      await t.clients.ec2.send(new DeleteTagsCommand({ Resources: [snapshotId], Tags: [{ Key: key }] }));
    },
    imageOnSnapshotsOf: async (imageId, name) => {
      // The local cloud has no RegisterImage: an image is built, then pointed at the other's snapshots.
      const otherImageId = await availableImage(t, name, managedTags);
      const ec2 = t.cloud.services.ec2;
      const accountId = t.cloud.accounts.defaultAccountId;
      const source = ec2.getImage(accountId, t.cloud.region, imageId);
      const other = ec2.getImage(accountId, t.cloud.region, otherImageId);
      if (!source || !other) throw new Error(`the local cloud lost ${imageId} or ${otherImageId}`);
      (other as { blockDeviceMappings: unknown }).blockDeviceMappings = structuredClone(
        source.blockDeviceMappings,
      );
      return otherImageId;
    },
    makePublic: async (imageId) => {
      await t.clients.ec2.send(
        new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ Group: 'all' }] } }),
      );
    },
    setImageBlockPublicAccess: async (on) => {
      if (on)
        await t.clients.ec2.send(
          new EnableImageBlockPublicAccessCommand({ ImageBlockPublicAccessState: 'block-new-sharing' }),
        );
      else await t.clients.ec2.send(new DisableImageBlockPublicAccessCommand({}));
    },
    close: () => t.cloud.stop(),
  };
};

export const localParameters = async (): Promise<ParametersSubject> => {
  const t = await startTestCloud();
  const images = new Ec2Images(t.clients.ec2, t.clients.ssm);
  return {
    port: new SsmParameters(t.clients.ssm),
    advance: (seconds) => t.cloud.clock.advance(seconds),
    // Two public images every region has, both available.
    availableImageIds: async () => [
      await images.resolveSsmImageParameter(AL2023_PARAMETER),
      await images.resolveSsmImageParameter(
        '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
      ),
    ],
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
    launchRunning: (tags) => launchRunning(t, tags),
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

/** The account images are shared with, whose role the inventory assumes. */
export const WORKLOADS_ACCOUNT_ID = '222222222222';

export const localInventory = async (): Promise<InventorySubject> => {
  const t = await startTestCloud();
  const { credentials: _owner, ...config } = t.cloud.clientConfig;
  const other = assumeRoleClients(`arn:aws:iam::${WORKLOADS_ACCOUNT_ID}:role/ami-lifecycle-inventory`, {
    ...config,
    maxAttempts: 1,
    sts: t.clients.sts,
  });
  const ec2 = { owner: t.clients.ec2, other: other.ec2 };
  const compute = { owner: new Ec2Compute(ec2.owner), other: new Ec2Compute(ec2.other) };
  const images = new Ec2Images(t.clients.ec2, t.clients.ssm);
  const advance = (seconds: number) => t.cloud.clock.advance(seconds);
  // Pages of 5 (the least DescribeInstances, DescribeSnapshots and DescribeImageReferences take), so
  // that the tests' few resources span several pages.
  const paging = { pageSize: 5 };
  return {
    inventory: new Ec2Inventory(ec2.owner, paging),
    shared: new Ec2SharedUsage(ec2.other, WORKLOADS_ACCOUNT_ID, paging),
    ownerAccountId: t.cloud.accounts.defaultAccountId,
    otherAccountId: WORKLOADS_ACCOUNT_ID,
    region: t.cloud.region,
    images: async (names, tags) => {
      // One builder for all of them: the images are made at once and are available together.
      const { instanceId } = await launchRunning(t);
      const ids: string[] = [];
      for (const name of names)
        ids.push((await images.createImage({ instanceId, name, description: name, tags })).imageId);
      await advance(600);
      return ids;
    },
    deprecate: async (ImageId, DeprecateAt) => {
      await ec2.owner.send(new EnableImageDeprecationCommand({ ImageId, DeprecateAt }));
    },
    disable: async (ImageId) => {
      await ec2.owner.send(new DisableImageCommand({ ImageId }));
    },
    protect: async (ImageId) => {
      await ec2.owner.send(new EnableImageDeregistrationProtectionCommand({ ImageId }));
    },
    deregister: async (ImageId) => {
      await ec2.owner.send(new DeregisterImageCommand({ ImageId, DeleteAssociatedSnapshots: false }));
    },
    share: async (ImageId) => {
      await ec2.owner.send(
        new ModifyImageAttributeCommand({
          ImageId,
          LaunchPermission: { Add: [{ UserId: WORKLOADS_ACCOUNT_ID }] },
        }),
      );
    },
    launch: async (imageId, account) => {
      const { instanceId } = await compute[account].launchInstance({
        imageId,
        instanceType: 't3.micro',
        instanceProfile: 'ami-lifecycle-builder',
        tags: { Name: 'inventory' },
        rootVolume: { sizeGiB: 16, encrypted: false },
      });
      await advance(60);
      return instanceId;
    },
    settleInstance: async (instanceId, account, state) => {
      const InstanceIds = [instanceId];
      if (state === 'stopped') await ec2[account].send(new StopInstancesCommand({ InstanceIds }));
      else await ec2[account].send(new TerminateInstancesCommand({ InstanceIds }));
      await advance(60);
    },
    launchTemplate: async (account, name, versions, defaultVersion) => {
      const client = ec2[account];
      const [first, ...rest] = versions;
      const created = await client.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: name,
          LaunchTemplateData: { ImageId: first, InstanceType: 't3.micro' },
        }),
      );
      const LaunchTemplateId = created.LaunchTemplate?.LaunchTemplateId;
      if (!LaunchTemplateId) throw new Error(`CreateLaunchTemplate ${name} answered no id`);
      for (const ImageId of rest)
        await client.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId,
            SourceVersion: '1',
            LaunchTemplateData: { ImageId },
          }),
        );
      await client.send(
        new ModifyLaunchTemplateCommand({ LaunchTemplateId, DefaultVersion: String(defaultVersion) }),
      );
      return LaunchTemplateId;
    },
    putImageParameter: async (Name, Value) => {
      await t.clients.ssm.send(
        new PutParameterCommand({ Name, Value, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true }),
      );
      // aws:ec2:image values are validated in the background.
      await advance(10);
    },
    snapshotsOf: async (imageId) => {
      const { Images } = await ec2.owner.send(
        new DescribeImagesCommand({ ImageIds: [imageId], IncludeDisabled: true }),
      );
      return (Images?.[0]?.BlockDeviceMappings ?? []).flatMap((m) =>
        m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [],
      );
    },
    snapshotExists: async (snapshotId) => {
      try {
        const { Snapshots } = await ec2.owner.send(
          new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }),
        );
        return (Snapshots ?? []).some((x) => x.SnapshotId === snapshotId);
      } catch (err) {
        if (awsErrorCode(err) === 'InvalidSnapshot.NotFound') return false;
        throw err;
      }
    },
    advance,
    close: () => t.cloud.stop(),
  };
};
