import type { ImageApprovedDetail } from '@ami-lifecycle/contracts';
import type { CatalogPort } from '@ami-lifecycle/core';
import { ImageNotPublishableError } from '../errors';
import type { PublicationStarter } from './deps';
import { type PublicationRequest, publicationIdFor } from './publication';

/** States an image reaches only through its publication. */
const PAST_PUBLICATION: ReadonlySet<string> = new Set(['published', 'deprecated', 'disabled', 'retired']);

export interface RequestPublicationResult {
  outcome: 'started' | 'duplicate';
  executionName: string;
  request: PublicationRequest;
}

/**
 * Starts the publication of an approved image. The request is a function of the event's detail only
 * and is named by its idempotency key, so every delivery of one `Image Approved` asks for the same
 * execution: Step Functions answers the running one, or refuses a closed one (`duplicate`).
 *
 * Checked against the catalog before anything starts: a failed publication writes to the image's audit
 * trail and may change its launch permissions, so an event naming an image the catalog does not hold,
 * one that is no longer `approved`, or one with another home-region AMI (forged, stale or corrupt) is
 * refused with `ImageNotPublishableError`, starting nothing and writing nothing.
 */
export const requestPublication = async (
  detail: ImageApprovedDetail,
  deps: { publications: PublicationStarter; catalog: Pick<CatalogPort, 'getImage'>; region: string },
): Promise<RequestPublicationResult> => {
  const image = await deps.catalog.getImage(detail.family, detail.version);
  const home = image?.amiIds[deps.region];
  const request: PublicationRequest = {
    publicationId: publicationIdFor(detail.family, detail.version, detail.idempotencyKey),
    family: detail.family,
    version: detail.version,
    imageId: detail.imageId,
    correlationId: detail.correlationId,
  };
  // A late redelivery of the event that published it: already done, not a refusal for the dead letters.
  if (image !== undefined && home === detail.imageId && PAST_PUBLICATION.has(image.state))
    return { outcome: 'duplicate', executionName: request.publicationId, request };
  if (image === undefined || home !== detail.imageId || image.state !== 'approved') {
    throw new ImageNotPublishableError(
      detail.family,
      detail.version,
      image === undefined
        ? 'the catalog has no such image'
        : home !== detail.imageId
          ? `its AMI in ${deps.region} is ${home ?? 'not recorded'}, not ${detail.imageId}`
          : `it is ${image.state}, and only an approved image is published`,
      image?.state,
    );
  }
  const { outcome, executionName } = await deps.publications.start(request);
  return { outcome, executionName, request };
};
