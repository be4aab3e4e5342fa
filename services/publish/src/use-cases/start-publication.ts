import type { ImageApprovedDetail } from '@ami-lifecycle/contracts';
import type { PublicationStarter } from './deps';
import { type PublicationRequest, publicationIdFor } from './publication';

export interface RequestPublicationResult {
  outcome: 'started' | 'duplicate';
  executionName: string;
  request: PublicationRequest;
}

/**
 * Starts the publication of an approved image. The request is a function of the event's detail only
 * and is named by its idempotency key, so every delivery of one `Image Approved` asks for the same
 * execution: Step Functions answers the running one, or refuses a closed one (`duplicate`).
 */
export const requestPublication = async (
  detail: ImageApprovedDetail,
  deps: { publications: PublicationStarter },
): Promise<RequestPublicationResult> => {
  const request: PublicationRequest = {
    publicationId: publicationIdFor(detail.family, detail.version, detail.idempotencyKey),
    family: detail.family,
    version: detail.version,
    imageId: detail.imageId,
    correlationId: detail.correlationId,
  };
  const { outcome, executionName } = await deps.publications.start(request);
  return { outcome, executionName, request };
};
