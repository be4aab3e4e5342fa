import type { BuildRequestedDetail } from '@ami-lifecycle/contracts';
import { buildIdFor, type CatalogPort, loadFamilyConfig } from '@ami-lifecycle/core';
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
 *
 * A request for a family the catalog has no config for is refused before anything starts
 * (`FamilyNotConfiguredError`, a permanent refusal the handler keeps in the dead-letter queue): started,
 * the execution would only fail at its first step, and the request would be lost among failed builds.
 */
export const requestBuild = async (
  request: BuildRequestedDetail,
  deps: { executions: BuildExecutionsPort; catalog: Pick<CatalogPort, 'getFamilyConfig'> },
): Promise<RequestBuildResult> => {
  await loadFamilyConfig(deps.catalog, request.family);
  const buildId = buildIdFor(request.family, request.idempotencyKey);
  const { executionArn, alreadyStarted } = await deps.executions.start(buildId, { request });
  return { outcome: alreadyStarted ? 'duplicate' : 'started', buildId, executionArn };
};
