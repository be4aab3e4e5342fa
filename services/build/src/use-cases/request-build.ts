import type { BuildRequestedDetail } from '@ami-lifecycle/contracts';
import { buildIdFor } from '@ami-lifecycle/core';
import type { BuildExecutionsPort } from './deps';

export interface RequestBuildResult {
  outcome: 'started' | 'duplicate';
  buildId: string;
  executionArn: string;
}

/**
 * Turns a `Build Requested` into one execution of the build state machine. The execution is named by the
 * build id, which derives from the request's idempotency key, so every redelivery of the same event asks
 * for the same execution and Step Functions runs it once; the input is the detail, byte for byte the
 * same on each delivery.
 */
export const requestBuild = async (
  request: BuildRequestedDetail,
  deps: { executions: BuildExecutionsPort },
): Promise<RequestBuildResult> => {
  const buildId = buildIdFor(request.family, request.idempotencyKey);
  const { executionArn, alreadyStarted } = await deps.executions.start(buildId, { request });
  return { outcome: alreadyStarted ? 'duplicate' : 'started', buildId, executionArn };
};
