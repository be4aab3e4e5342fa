import { randomUUID } from 'node:crypto';
import { ChannelConflictError } from '@ami-lifecycle/catalog';
import { type Channel, FamilyNotConfiguredError, type Image } from '@ami-lifecycle/core';
import { ParameterNotUpdatedError, PublishRefusedError } from '../errors';
import type { DecideDeps } from './decide';
import type { RegionalPorts } from './deps';
import { loadFamilyConfig } from './family-config';
import { allPages, clip } from './images';
import { publicationPlan } from './publication';
import { LOOKS_BEFORE_REWRITE, MAX_WRITES } from './write-parameters';

export interface RollbackInput {
  family: string;
  channel: string;
  /** The version to move the channel to; the channel's previous published image when absent. */
  toVersion?: string | undefined;
  by: string;
  reason: string;
}

export interface RollbackDeps extends DecideDeps {
  regions: RegionalPorts;
  /** Waits between reads of SSM's asynchronous validation (real time in amictl, the simulated clock in tests). */
  pause: (seconds: number) => Promise<void>;
}

// A channel's history is a handful of revisions per release; more pages than this is a data problem.
const MAX_HISTORY_PAGES = 20;

/**
 * Moves a channel back: to `toVersion`, or to the newest earlier revision of the channel whose image is
 * still published. The SSM parameter of the channel is rewritten in every region of the family and read
 * back before the channel moves (so a refused value leaves the catalog as it was), then the channel moves
 * (history kept, audited with who and why) and `Image Published` names the channel's new target.
 * Refused, changing nothing: an unknown family or channel, a channel the family's config no longer
 * publishes (it has no parameter to point), a version that is not published, one the channel already
 * points at, or one without a copy in a region the family publishes to.
 */
export const rollbackChannel = async (
  input: RollbackInput,
  deps: RollbackDeps,
): Promise<{ channel: Channel; fromVersion: string; image: Image }> => {
  if (input.reason.trim() === '') throw new PublishRefusedError('a reason is required');
  if (input.by.trim() === '') throw new PublishRefusedError('who rolls back must be named');
  const { config, version: policyVersion } = await loadFamilyConfig(deps.catalog, input.family).catch(
    (err: unknown) => {
      if (err instanceof FamilyNotConfiguredError)
        throw new PublishRefusedError(`family ${input.family} is not configured`);
      throw err;
    },
  );
  const current = await deps.catalog.getChannel(input.family, input.channel);
  if (current === undefined) {
    throw new PublishRefusedError(
      `${input.family} has no channel ${input.channel} (it publishes ${config.publish.channels.join(', ')})`,
    );
  }
  const plan = publicationPlan(config, deps.region);
  const parameters = plan.parameters.filter((p) => p.channel === input.channel);
  if (parameters.length === 0) {
    throw new PublishRefusedError(
      `channel ${input.channel} of ${input.family} is no longer in the family's config (it publishes ${config.publish.channels.join(', ')}), so it has no parameter to point; nothing was changed`,
    );
  }
  const target = await rollbackTarget(input, current, deps);
  const amiIds: Record<string, string> = {};
  for (const { region } of parameters) {
    const amiId = target.amiIds[region];
    if (amiId === undefined) {
      throw new PublishRefusedError(
        `${target.family}@${target.version} has no copy in ${region}, where ${input.family} publishes; roll back to a version published there`,
      );
    }
    amiIds[region] = amiId;
  }

  await pointParameters(parameters, amiIds, plan.parameterPollSeconds, deps);

  const correlationId = `rollback-${randomUUID()}`;
  let moved: Channel;
  try {
    moved = await deps.catalog.setChannel(input.family, input.channel, target.version, {
      expectedRevision: current.revision,
      at: deps.clock.now().toISOString(),
      audit: {
        actor: input.by,
        reason: clip(
          `channel ${input.channel} rolled back from ${current.version} to ${target.version} by ${input.by}: ${input.reason}`,
        ),
        correlationId,
        policyVersion,
      },
    });
  } catch (err) {
    if (err instanceof ChannelConflictError)
      throw new PublishRefusedError(
        `channel ${input.channel} of ${input.family} moved while rolling back; its parameters point at ${target.version}, look again and retry`,
      );
    throw err;
  }
  const homeAmi = amiIds[deps.region] ?? Object.values(amiIds)[0];
  if (homeAmi !== undefined) {
    await deps.events.publish('Image Published', {
      schemaVersion: 1,
      family: target.family,
      version: target.version,
      correlationId,
      idempotencyKey: `channel-moved:${input.family}/${input.channel}@${moved.revision}`,
      occurredAt: deps.clock.now().toISOString(),
      imageId: homeAmi,
      channels: [input.channel],
      regions: amiIds,
      ssmParameters: [...new Set(parameters.map((p) => p.name))],
    });
  }
  return { channel: moved, fromVersion: current.version, image: target };
};

const rollbackTarget = async (input: RollbackInput, current: Channel, deps: RollbackDeps): Promise<Image> => {
  if (input.toVersion !== undefined) {
    const image = await deps.catalog.getImage(input.family, input.toVersion);
    if (image === undefined)
      throw new PublishRefusedError(`image ${input.family}@${input.toVersion} does not exist`);
    if (image.version === current.version)
      throw new PublishRefusedError(`channel ${input.channel} already points at ${image.version}`);
    if (image.state !== 'published')
      throw new PublishRefusedError(
        `${input.family}@${input.toVersion} is ${image.state}; a channel only points at a published image`,
      );
    return image;
  }
  const history = await allPages(`history of channel ${input.channel}`, MAX_HISTORY_PAGES, (page) =>
    deps.catalog.channelHistory(input.family, input.channel, page),
  );
  const tried = new Set<string>([current.version]);
  for (const revision of [...history].sort((a, b) => b.revision - a.revision)) {
    if (tried.has(revision.version)) continue;
    tried.add(revision.version);
    const image = await deps.catalog.getImage(input.family, revision.version);
    if (image?.state === 'published') return image;
  }
  throw new PublishRefusedError(
    `channel ${input.channel} of ${input.family} has no earlier published image to roll back to (it points at ${current.version})`,
  );
};

/** Writes and confirms each parameter, with the same bounds as a publication. */
const pointParameters = async (
  parameters: { region: string; name: string }[],
  amiIds: Record<string, string>,
  pollSeconds: number,
  deps: Pick<RollbackDeps, 'regions' | 'pause'>,
): Promise<void> => {
  const want = (region: string) => amiIds[region] as string;
  const pending = async () => {
    const left: { region: string; name: string; found: string | undefined }[] = [];
    for (const p of parameters) {
      const found = (await deps.regions(p.region).parameters.getParameter(p.name))?.value;
      if (found !== want(p.region)) left.push({ ...p, found });
    }
    return left;
  };
  let left = await pending();
  for (let writes = 1; left.length > 0; writes++) {
    for (const p of left) await deps.regions(p.region).parameters.putImageParameter(p.name, want(p.region));
    for (let look = 0; look <= LOOKS_BEFORE_REWRITE && left.length > 0; look++) {
      await deps.pause(pollSeconds);
      left = await pending();
    }
    const [first] = left;
    if (first !== undefined && writes >= MAX_WRITES)
      throw new ParameterNotUpdatedError(first.region, first.name, want(first.region), first.found, writes);
  }
};
