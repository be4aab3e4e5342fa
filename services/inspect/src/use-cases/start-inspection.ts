import { TransitionConflictError } from '@ami-lifecycle/catalog';
import type { Image, LaunchInstanceRequest } from '@ami-lifecycle/core';
import { ImageNotInspectableError } from '../errors';
import { DEFAULT_ACTOR, type InspectDeps } from './deps';
import { type InspectFamilyConfig, loadFamilyConfig } from './family-config';
import { requireImage } from './images';
import {
  type InspectionRequest,
  maxCoverageChecks,
  maxTestChecks,
  TIMING,
  testInstanceTags,
} from './inspection';

/** What the state machine carries on after the start: the instance, the loop bounds and the waits. */
export interface StartedInspection {
  instanceId: string;
  firstScanWaitSeconds: number;
  scanPollSeconds: number;
  testPollSeconds: number;
  maxCoverageChecks: number;
  maxTestChecks: number;
  /** The coverage loop's counter, carried by the state machine (`$.inspection.coverage`). */
  coverage: { attempts: number; next: 'wait' };
}

export type StartInspectionDeps = Pick<InspectDeps, 'catalog' | 'compute' | 'clock' | 'region' | 'actor'>;

/**
 * Starts an inspection: a candidate moves `built -> inspecting` (a retry finds it `inspecting` already
 * and goes on), a re-inspection needs the image `published` and leaves its state alone; then a test
 * instance is launched from the image's AMI with the family's instance settings and our tags. The
 * adapter enforces IMDSv2, no key pair and no public IP; the client token makes a retried launch answer
 * the instance already launched.
 */
export const startInspection = async (
  request: InspectionRequest,
  deps: StartInspectionDeps,
): Promise<StartedInspection> => {
  const { config } = await loadFamilyConfig(deps.catalog, request.family);
  let image = await requireImage(deps.catalog, request);
  const amiId = image.amiIds[deps.region];
  if (amiId !== request.imageId) {
    throw new ImageNotInspectableError(
      request.family,
      request.version,
      `its AMI in ${deps.region} is ${amiId ?? 'not recorded'}, not ${request.imageId}`,
      image.state,
    );
  }
  if (request.purpose === 'candidate') image = await markInspecting(image, request, deps);
  else if (image.state !== 'published') {
    throw new ImageNotInspectableError(
      request.family,
      request.version,
      `a re-inspection needs a published image, this one is ${image.state}`,
      image.state,
    );
  }

  const { instanceId } = await deps.compute.launchInstance(testInstanceRequest(config, request));
  return {
    instanceId,
    ...TIMING,
    maxCoverageChecks: maxCoverageChecks(config.inspect.scanTimeoutMinutes),
    maxTestChecks: maxTestChecks(config.inspect.tests.map((t) => t.timeoutSeconds)),
    coverage: { attempts: 0, next: 'wait' },
  };
};

const markInspecting = async (
  image: Image,
  request: InspectionRequest,
  deps: StartInspectionDeps,
): Promise<Image> => {
  if (image.state === 'inspecting') return image;
  if (image.state !== 'built') {
    throw new ImageNotInspectableError(
      request.family,
      request.version,
      `a candidate must be built, this one is ${image.state}`,
      image.state,
    );
  }
  try {
    return await deps.catalog.transitionImage({
      family: image.family,
      version: image.version,
      from: 'built',
      to: 'inspecting',
      expectedStateVersion: image.stateVersion,
      at: deps.clock.now().toISOString(),
      audit: {
        actor: deps.actor ?? DEFAULT_ACTOR,
        reason: `inspection ${request.inspectionId} started`,
        correlationId: request.correlationId,
      },
    });
  } catch (err) {
    // A concurrent retry of this very step moved it first; anything else is someone else's change.
    if (!(err instanceof TransitionConflictError) || err.actual.state !== 'inspecting') throw err;
    return requireImage(deps.catalog, request);
  }
};

/** The test instance: the family's build instance settings (type, profile, network, encrypted root), our tags. */
export const testInstanceRequest = (
  config: InspectFamilyConfig,
  request: InspectionRequest,
): LaunchInstanceRequest => {
  const { build } = config;
  return {
    imageId: request.imageId,
    instanceType: build.instanceType,
    instanceProfile: build.instanceProfile,
    ...(build.subnet ? { subnetId: build.subnet } : {}),
    ...(build.securityGroup ? { securityGroupIds: [build.securityGroup] } : {}),
    tags: { ...config.tags, ...testInstanceTags(request) },
    rootVolume: { sizeGiB: build.rootVolume.sizeGiB, encrypted: true, kmsKeyId: build.rootVolume.kmsKeyId },
    clientToken: request.inspectionId,
  };
};
