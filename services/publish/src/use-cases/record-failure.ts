import type { Image } from '@ami-lifecycle/core';
import type { PublishDeps } from './deps';
import { auditOf, requireImage } from './images';
import type { PublicationPlan, PublicationRequest } from './publication';

/** What a Catch hands over: Step Functions' `Error` and `Cause` (a JSON document for Lambda errors). */
export interface PublicationFailure {
  Error?: string | undefined;
  Cause?: string | undefined;
}

/** The real reason of a caught failure: the Lambda error's message when the Cause carries one. */
export const failureReason = (failure: PublicationFailure): string => {
  const error = failure.Error ?? 'Error';
  try {
    const cause = JSON.parse(failure.Cause ?? '') as { errorMessage?: unknown };
    if (typeof cause.errorMessage === 'string') return `${error}: ${cause.errorMessage}`;
  } catch {
    // Not JSON: a States.* error's plain-text cause.
  }
  return failure.Cause ? `${error}: ${failure.Cause}` : error;
};

/**
 * A publication that could not complete leaves the image `approved`, with what was done (copies,
 * grants, parameters) recorded in its audit trail, and this record saying why it stopped. A rejected
 * image (a person said no while it was being published) has its launch permissions taken away in every
 * region, so nothing of it stays shared.
 *
 * The parameters are written before the channels move, so a publication that stops between the two
 * leaves parameters pointing at an image no channel points at. Each parameter of the plan that holds
 * this image's AMI is set back to the AMI of the image its channel points at in that region. A parameter
 * whose channel points at no image there (the family's first publication, or a region the channel's
 * image was never published to) is left as it is and named in the record: no earlier value exists to
 * go back to, and a rejected image is no longer shared with anyone.
 */
export const recordPublicationFailure = async (
  input: {
    request: PublicationRequest;
    failure: PublicationFailure;
    /** The parameters the publication may have written; none when it stopped before planning. */
    parameters?: PublicationPlan['parameters'] | undefined;
  },
  deps: Pick<PublishDeps, 'catalog' | 'regions' | 'clock' | 'actor'>,
): Promise<{ reason: string; revoked: string[]; restored: string[]; left: string[] }> => {
  const { request } = input;
  const reason = `publication ${request.publicationId} failed: ${failureReason(input.failure)}`;
  let image = await requireImage(deps.catalog, request);
  const { restored, left } = await restoreParameters(image, input.parameters ?? [], deps);
  const revoked: string[] = [];
  if (image.state === 'rejected') {
    for (const [region, amiId] of Object.entries(image.amiIds)) {
      const images = deps.regions(region).images;
      const current = await images.getLaunchPermissions(amiId);
      const grants = {
        accountIds: current.accountIds,
        organizationArns: current.organizationArns,
        organizationalUnitArns: current.organizationalUnitArns,
      };
      const any = Object.values(grants).some((g) => g.length > 0) || current.public;
      if (!any) continue;
      await images.modifyLaunchPermissions(amiId, {
        add: { accountIds: [], organizationArns: [], organizationalUnitArns: [] },
        remove: grants,
        removePublic: current.public,
      });
      revoked.push(`${amiId} in ${region}`);
    }
    image = await requireImage(deps.catalog, request);
  }
  const record = [
    reason,
    ...(revoked.length > 0
      ? [`the image was rejected, so sharing was revoked for ${revoked.join(', ')}`]
      : []),
    ...(restored.length > 0 ? [`parameters set back to their channels' images: ${restored.join(', ')}`] : []),
    ...(left.length > 0
      ? [`parameters left on this image, their channels point at none there: ${left.join(', ')}`]
      : []),
  ].join('; ');
  await deps.catalog.updateImage(image.family, image.version, image.stateVersion, undefined, {
    ...auditOf(request, record, deps),
    at: deps.clock.now().toISOString(),
    action: 'publication-failed',
  });
  return { reason, revoked, restored, left };
};

/** Every parameter of the plan that holds this image's AMI back on its channel's image, where it has one. */
const restoreParameters = async (
  image: Image,
  parameters: PublicationPlan['parameters'],
  deps: Pick<PublishDeps, 'catalog' | 'regions'>,
): Promise<{ restored: string[]; left: string[] }> => {
  const restored: string[] = [];
  const left: string[] = [];
  const channelImages = new Map<string, Promise<Image | undefined>>();
  const channelImage = (channel: string) => {
    let found = channelImages.get(channel);
    if (found === undefined) {
      found = deps.catalog
        .getChannel(image.family, channel)
        .then((c) => (c === undefined ? undefined : deps.catalog.getImage(image.family, c.version)));
      channelImages.set(channel, found);
    }
    return found;
  };
  for (const { region, channel, name } of parameters) {
    const amiId = image.amiIds[region];
    if (amiId === undefined) continue;
    const ssm = deps.regions(region).parameters;
    if ((await ssm.getParameter(name))?.value !== amiId) continue;
    const target = (await channelImage(channel))?.amiIds[region];
    if (target === amiId) continue;
    if (target === undefined) {
      left.push(`${name} in ${region}`);
      continue;
    }
    await ssm.putImageParameter(name, target);
    restored.push(`${name} in ${region} to ${target}`);
  }
  return { restored, left };
};
