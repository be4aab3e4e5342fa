import type { ImageBuiltDetail } from '@ami-lifecycle/contracts';
import type { CatalogPort } from '@ami-lifecycle/core';
import { ImageNotInspectableError } from '../errors';
import type { InspectionStarter } from './deps';
import { type InspectionRequest, inspectionIdFor } from './inspection';

export type RequestInspectionResult = {
  outcome: 'started' | 'duplicate';
  executionName: string;
  request: InspectionRequest;
};

/**
 * Starts the inspection of a newly built image. The request is a function of the event's detail only
 * and is named by the event's idempotency key, so every delivery of one `Image Built` asks for the same
 * execution: Step Functions answers the running one, or refuses a closed one (`duplicate`).
 */
export const requestInspection = async (
  detail: ImageBuiltDetail,
  deps: { inspections: InspectionStarter; catalog: Pick<CatalogPort, 'getImage'>; region: string },
): Promise<RequestInspectionResult> => {
  // Checked against the catalog before anything starts: a failed inspection writes to the image's audit
  // trail, so an event naming an image with another AMI (forged, or corrupt) must not reach the machine.
  const image = await deps.catalog.getImage(detail.family, detail.version);
  const home = image?.amiIds[deps.region];
  if (image === undefined || home !== detail.imageId) {
    throw new ImageNotInspectableError(
      detail.family,
      detail.version,
      image === undefined
        ? 'the catalog has no such image'
        : `its AMI in ${deps.region} is ${home ?? 'not recorded'}, not ${detail.imageId}`,
      image?.state,
    );
  }
  const request: InspectionRequest = {
    inspectionId: inspectionIdFor('candidate', detail.family, detail.version, detail.idempotencyKey),
    family: detail.family,
    version: detail.version,
    imageId: detail.imageId,
    purpose: 'candidate',
    correlationId: detail.correlationId,
  };
  const { outcome, executionName } = await deps.inspections.start(request);
  return { outcome, executionName, request };
};
