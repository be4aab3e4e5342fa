import { ImageNotPublishableError, ParameterNotUpdatedError } from '../errors';
import type { PublishDeps } from './deps';
import { auditOf, requireApproved, requireImage } from './images';
import type { PublicationPlan, PublicationRequest } from './publication';

/** Per parameter (`<region>|<name>`): how often it was written and how many looks since the last write. */
export interface ParameterProgress {
  checks: number;
  entries: Record<string, { writes: number; looksSinceWrite: number }>;
}

export interface ParametersResult {
  next: 'wait' | 'done';
  progress: ParameterProgress;
}

/** Looks at a written value this many times before writing it again (validation takes seconds). */
export const LOOKS_BEFORE_REWRITE = 3;
/** Writes per parameter before the publication fails with SSM's refusal. */
export const MAX_WRITES = 3;

/**
 * Points every channel's parameter in every region at that region's AMI, and confirms it. SSM
 * validates `aws:ec2:image` values after `PutParameter` has succeeded, and a value that fails
 * validation leaves the parameter unchanged, so a write is only done when a read shows it: each call
 * writes what is missing, reads back what was written, writes again after `LOOKS_BEFORE_REWRITE` looks
 * without it, and gives up with `ParameterNotUpdatedError` after `MAX_WRITES` writes. The machine loops
 * over this step until it answers `done`, so the loop is bounded by those two numbers.
 */
export const writeParameters = async (
  input: { request: PublicationRequest; plan: PublicationPlan; progress?: ParameterProgress | undefined },
  deps: Pick<PublishDeps, 'catalog' | 'regions' | 'clock' | 'actor'>,
): Promise<ParametersResult> => {
  const { request, plan } = input;
  const image = await requireApproved(request, plan.homeRegion, deps);
  const progress: ParameterProgress = structuredClone(input.progress ?? { checks: 0, entries: {} });
  progress.checks++;
  let pending = 0;
  const written: string[] = [];
  for (const { region, name } of plan.parameters) {
    const amiId = image.amiIds[region];
    if (amiId === undefined)
      throw new ImageNotPublishableError(request.family, request.version, `no AMI recorded in ${region}`);
    const key = `${region}|${name}`;
    const entry = progress.entries[key] ?? { writes: 0, looksSinceWrite: 0 };
    progress.entries[key] = entry;
    const parameters = deps.regions(region).parameters;
    const current = await parameters.getParameter(name);
    if (current?.value === amiId) {
      // Right, though no attempt of this step says it wrote it: an attempt that failed after writing it
      // (its answer lost, or a later call failed) could not hand its progress on. The write is this
      // publication's, and goes on its audit trail like the others.
      if (entry.writes === 0) {
        entry.writes = 1;
        written.push(`${name} in ${region}`);
      }
      continue;
    }
    pending++;
    if (entry.writes > 0 && entry.looksSinceWrite < LOOKS_BEFORE_REWRITE) {
      entry.looksSinceWrite++;
      continue;
    }
    if (entry.writes >= MAX_WRITES) {
      throw new ParameterNotUpdatedError(region, name, amiId, current?.value, entry.writes);
    }
    await parameters.putImageParameter(name, amiId);
    entry.writes++;
    entry.looksSinceWrite = 0;
    written.push(`${name} in ${region}`);
  }
  if (written.length > 0) {
    const fresh = await requireImage(deps.catalog, request);
    await deps.catalog.updateImage(image.family, image.version, fresh.stateVersion, undefined, {
      ...auditOf(request, `SSM parameters written: ${written.join(', ')}`, deps),
      at: deps.clock.now().toISOString(),
      action: 'parameters-written',
    });
  }
  return { next: pending === 0 ? 'done' : 'wait', progress };
};
