import type { Image } from '@ami-lifecycle/core';
import {
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import { GetParametersByPathCommand, ListCommandsCommand } from '@aws-sdk/client-ssm';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type ChaosWorld, executionsOf, REGIONS, type StoryEnd } from './chaos-cloud';

/** One SSM command as the story sent it. */
export interface SentCommand {
  region: string;
  comment: string;
  instanceIds: string[];
  document: string;
  status: string;
}

/** Everything a story left in the cloud, read once it is over (ids and times as the cloud gave them). */
export interface RawFinalState {
  /** The catalog: every item of the stage's table about the family (but its config), by key. */
  catalog: Record<string, unknown>[];
  /** Per region: the AMIs, snapshots and instances created since the story began. */
  ec2: Record<string, { images: unknown[]; snapshots: unknown[]; instances: unknown[] }>;
  /** Per region: the family's SSM parameters. */
  parameters: Record<string, unknown[]>;
  /** Every SSM command sent since the story began, in either region. */
  commands: SentCommand[];
  /** The stage's executions that name the family, by machine. */
  executions: { machine: string; name: string; status: string }[];
  /** Our events about the family that reached the bus: each detail-type's distinct idempotency keys. */
  events: Record<string, string[]>;
  /** Deliveries since the story began that did not end delivered, and the dead letters among them. */
  undelivered: unknown[];
  deadLetters: unknown[];
  /** Invocations that failed once the faults had ended (`StoryEnd.lateFailures`). */
  lateFailures: string[];
}

/**
 * Items the test writes itself, not the story: the family's config and the policy's head, whose
 * revision counts every family the file stored before.
 */
const TEST_WRITES = new Set(['family-config', 'policy-head']);

const isoAtLeast = (value: string | Date | undefined, since: number): boolean =>
  value !== undefined && new Date(value).getTime() >= since;

const sortedTags = (tags: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]).sort(([a], [b]) => a!.localeCompare(b!)));

const scanAll = async (world: ChaosWorld): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await world.documents.send(new ScanCommand({ TableName: world.table, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
};

/**
 * Reads what the story of `family` left: the catalog's items, the AMIs, snapshots and instances of both
 * regions created since it began, the family's parameters, the SSM commands sent, the executions (named
 * after the family, or the build's id), the events, the deliveries that failed and what failed late.
 */
export const readFinalState = async (
  world: ChaosWorld,
  family: string,
  { buildId, since, lateFailures }: StoryEnd,
): Promise<RawFinalState> => {
  const catalog = (await scanAll(world))
    .filter((item) => item.family === family && !TEST_WRITES.has(String(item.entity)))
    .sort((a, b) => `${a.PK}|${a.SK}`.localeCompare(`${b.PK}|${b.SK}`));

  const ec2: RawFinalState['ec2'] = {};
  const parameters: RawFinalState['parameters'] = {};
  const commands: SentCommand[] = [];
  for (const region of REGIONS) {
    const client = world.ec2(region);
    const images = ((await client.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? [])
      .filter((i) => isoAtLeast(i.CreationDate, since))
      .sort((a, b) => `${a.CreationDate}${a.Name}`.localeCompare(`${b.CreationDate}${b.Name}`));
    const described = [];
    for (const i of images) {
      const permissions = await client.send(
        new DescribeImageAttributeCommand({ ImageId: i.ImageId!, Attribute: 'launchPermission' }),
      );
      described.push({
        imageId: i.ImageId,
        name: i.Name,
        state: i.State,
        description: i.Description,
        public: i.Public,
        rootDevice: i.RootDeviceName,
        blockDevices: (i.BlockDeviceMappings ?? []).map((m) => ({
          device: m.DeviceName,
          snapshotId: m.Ebs?.SnapshotId,
          encrypted: m.Ebs?.Encrypted,
          kmsKeyId: m.Ebs?.KmsKeyId,
          size: m.Ebs?.VolumeSize,
        })),
        tags: sortedTags(i.Tags),
        launchPermissions: (permissions.LaunchPermissions ?? [])
          .map((p) => p.UserId ?? p.Group ?? p.OrganizationArn ?? p.OrganizationalUnitArn)
          .sort(),
      });
    }
    const snapshots = (
      (await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []
    )
      .filter((s) => isoAtLeast(s.StartTime, since))
      .map((s) => ({
        snapshotId: s.SnapshotId,
        state: s.State,
        encrypted: s.Encrypted,
        size: s.VolumeSize,
        description: s.Description,
        tags: sortedTags(s.Tags),
      }));
    const instances = (
      (await client.send(new DescribeInstancesCommand({ MaxResults: 1000 }))).Reservations ?? []
    )
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => isoAtLeast(i.LaunchTime, since))
      .sort((a, b) => `${a.LaunchTime?.toISOString()}`.localeCompare(`${b.LaunchTime?.toISOString()}`))
      .map((i) => ({
        instanceId: i.InstanceId,
        imageId: i.ImageId,
        type: i.InstanceType,
        state: i.State?.Name,
        profile: i.IamInstanceProfile?.Arn,
        tags: sortedTags(i.Tags),
      }));
    ec2[region] = { images: described, snapshots, instances };

    const found = await world
      .ssm(region)
      .send(new GetParametersByPathCommand({ Path: `/ami-lifecycle/${family}/`, Recursive: true }));
    parameters[region] = (found.Parameters ?? [])
      .map((p) => ({ name: p.Name, type: p.Type, dataType: p.DataType, value: p.Value }))
      .sort((a, b) => `${a.name}`.localeCompare(`${b.name}`));

    let NextToken: string | undefined;
    do {
      const page = await world.ssm(region).send(new ListCommandsCommand({ MaxResults: 50, NextToken }));
      for (const c of page.Commands ?? []) {
        if (!isoAtLeast(c.RequestedDateTime, since)) continue;
        commands.push({
          region,
          comment: c.Comment ?? '',
          instanceIds: [...(c.InstanceIds ?? [])].sort(),
          document: c.DocumentName ?? '',
          status: c.Status ?? '',
        });
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  commands.sort((a, b) => `${a.region}${a.comment}`.localeCompare(`${b.region}${b.comment}`));

  const events: Record<string, string[]> = {};
  for (const e of world.cloud.services.events.ingested()) {
    const detail = e.event.detail as { family?: unknown; idempotencyKey?: unknown };
    if (e.event.source !== 'ami-lifecycle' || detail.family !== family) continue;
    const keys = events[e.event['detail-type']] ?? [];
    const key = String(detail.idempotencyKey);
    if (!keys.includes(key)) keys.push(key);
    events[e.event['detail-type']] = keys;
  }
  for (const keys of Object.values(events)) keys.sort();

  return {
    catalog,
    ec2,
    parameters,
    commands,
    executions: [...(await executionsOf(world, family)), ...(await executionsOf(world, buildId))].sort(
      (a, b) => `${a.machine}${a.name}`.localeCompare(`${b.machine}${b.name}`),
    ),
    events,
    undelivered: world.cloud.services.events
      .deliveries()
      .filter((d) => Date.parse(d.at) >= since && d.outcome !== 'delivered')
      .map((d) => ({ rule: d.rule, target: d.target, outcome: d.outcome, error: d.error })),
    deadLetters: world.cloud.services.events
      .deadLetters()
      .filter((d) => Date.parse(d.at) >= since)
      .map((d) => ({ rule: d.ruleArn, target: d.targetId, error: `${d.errorCode}: ${d.errorMessage}` })),
    lateFailures,
  };
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The final state with everything that differs between two runs of the same story replaced by what it
 * stands for: the family and version by `<family>`/`<version>`; AMI ids by the image's region (`<ami
 * eu-west-1>`), its snapshots by the image and position, instances by region and launch order; times,
 * UUIDs, hashes and the audit trail's sequence numbers by placeholders. Two runs that ended alike
 * normalise to equal values.
 */
export const normalise = (raw: RawFinalState, family: string, image: Image): RawFinalState => {
  const ids = new Map<string, string>();
  const name = (id: string | undefined, as: string) => {
    if (id !== undefined && !ids.has(id)) ids.set(id, as);
  };
  for (const [region, amiId] of Object.entries(image.amiIds).sort(([a], [b]) => a.localeCompare(b)))
    name(amiId, `<ami ${region}>`);
  for (const region of REGIONS) {
    const { images, instances } = raw.ec2[region]!;
    for (const i of images as { imageId?: string; blockDevices: { snapshotId?: string }[] }[]) {
      const label = ids.get(i.imageId ?? '') ?? `<ami ${region} #${ids.size}>`;
      name(i.imageId, label);
      for (const [n, m] of i.blockDevices.entries())
        name(m.snapshotId, `<snapshot ${label.slice(1, -1)} /${n}>`);
    }
    for (const [n, i] of (instances as { instanceId?: string }[]).entries())
      name(i.instanceId, `<instance ${region} #${n}>`);
  }
  let text = JSON.stringify(raw);
  for (const [id, label] of ids) text = text.replace(new RegExp(escapeRegExp(id), 'g'), label);
  const version = image.version;
  text = text
    .replace(new RegExp(escapeRegExp(family), 'g'), '<family>')
    .replace(new RegExp(version.split('.').map(escapeRegExp).join('[._-]'), 'g'), '<version>')
    // Ids the cloud made up that no mapping above names: a leftover would show up as one of these.
    .replace(/\b(ami|snap|i)-[0-9a-f]{8,17}\b/g, (_, kind: string) => `<other ${kind}>`)
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/[0-9a-f]{12,}/g, '<hash>')
    // The audit trail's sequence numbers, in its items and their keys.
    .replace(/"seq":\d+/g, '"seq":"<seq>"')
    .replace(/(<time>)#\d{10}/g, '$1#<seq>');
  return JSON.parse(text) as RawFinalState;
};
