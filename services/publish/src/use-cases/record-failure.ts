import type { PublishDeps } from './deps';
import { auditOf, requireImage } from './images';
import type { PublicationRequest } from './publication';

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
 */
export const recordPublicationFailure = async (
  input: { request: PublicationRequest; failure: PublicationFailure },
  deps: Pick<PublishDeps, 'catalog' | 'regions' | 'clock' | 'actor'>,
): Promise<{ reason: string; revoked: string[] }> => {
  const { request } = input;
  const reason = `publication ${request.publicationId} failed: ${failureReason(input.failure)}`;
  let image = await requireImage(deps.catalog, request);
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
  await deps.catalog.updateImage(image.family, image.version, image.stateVersion, undefined, {
    ...auditOf(
      request,
      revoked.length > 0
        ? `${reason}; the image was rejected, so sharing was revoked for ${revoked.join(', ')}`
        : reason,
      deps,
    ),
    at: deps.clock.now().toISOString(),
    action: 'publication-failed',
  });
  return { reason, revoked };
};
