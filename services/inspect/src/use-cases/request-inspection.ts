import type { ImageBuiltDetail } from '@ami-lifecycle/contracts';
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
  deps: { inspections: InspectionStarter },
): Promise<RequestInspectionResult> => {
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
