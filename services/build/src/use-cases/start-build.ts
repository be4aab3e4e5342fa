import { ImageAlreadyExistsError } from '@ami-lifecycle/catalog';
import type { BuildRequestedDetail } from '@ami-lifecycle/contracts';
import {
  type AuditContext,
  buildIdFor,
  buildKey,
  type Image,
  type LaunchInstanceRequest,
  managedTags,
  nextVersion,
  SAME_INPUTS_STATES,
} from '@ami-lifecycle/core';
import { listAll } from './catalog-pages';
import { type BuildDeps, DEFAULT_ACTOR } from './deps';
import { type BuildFamilyConfig, loadFamilyConfig, loadFamilyConfigVersion } from './family-config';
import { type ResolvedSource, resolveSource } from './resolve-source';

export type StartBuildResult =
  /** `config` is the one the image is built with (its recorded version), so no caller reads it again. */
  | { outcome: 'started'; image: Image; instanceId: string; config: BuildFamilyConfig }
  | { outcome: 'duplicate'; image: Image };

export type StartBuildDeps = Pick<BuildDeps, 'catalog' | 'compute' | 'images' | 'clock' | 'region' | 'actor'>;

// A family with more images than this is a data problem, not something to page through forever.
const MAX_IMAGE_PAGES = 100;

// Versions taken by concurrent builds of other inputs before this one gives up.
const MAX_VERSION_ATTEMPTS = 3;

/**
 * Starts a build for a `Build Requested` detail: loads the family's current config, resolves the source,
 * and unless an image with the same build key is already on its way (and the request is not `force`),
 * registers the next version in `building` and launches the builder.
 *
 * Idempotent per delivery: the build id comes from the request's idempotency key, so a redelivery finds
 * its own image and, if it is still `building`, launches again with the same EC2 client token, which
 * answers the instance already launched rather than a second one.
 */
export const startBuild = async (
  request: BuildRequestedDetail,
  deps: StartBuildDeps,
): Promise<StartBuildResult> => {
  const { config, version: configVersion } = await loadFamilyConfig(deps.catalog, request.family);
  const source = await resolveSource(config, deps, { parent: request.parent });
  const key = buildKey({
    sourceAmiId: source.sourceAmiId,
    configVersion,
    components: config.build.components,
  });
  const buildId = buildIdFor(config.name, request.idempotencyKey);
  const audit: AuditContext = {
    actor: deps.actor ?? DEFAULT_ACTOR,
    reason: `build requested (${request.reason}) by ${request.requestedBy}; source ${source.sourceAmiId} via ${source.via}`,
    correlationId: request.correlationId,
    policyVersion: configVersion,
  };

  for (let attempt = 1; ; attempt++) {
    const existing = await listAll(
      `images of family ${config.name}`,
      (page) => deps.catalog.listImagesByFamily(config.name, page),
      MAX_IMAGE_PAGES,
    );
    const ownImage = existing.find((i) => i.buildId === buildId);
    if (ownImage !== undefined) {
      if (ownImage.state !== 'building') return { outcome: 'duplicate', image: ownImage };
      // A redelivery after a config was applied relaunches with the config its image was started with.
      const own =
        ownImage.configVersion === configVersion
          ? config
          : (await loadFamilyConfigVersion(deps.catalog, config.name, ownImage.configVersion)).config;
      return launch(own, ownImage, deps);
    }
    if (!request.force) {
      const sameInputs = existing.find((i) => i.buildKey === key && SAME_INPUTS_STATES.has(i.state));
      if (sameInputs !== undefined) return { outcome: 'duplicate', image: sameInputs };
    }

    const now = deps.clock.now();
    const image = newImage(config, source, {
      version: nextVersion(
        config.versioning.scheme,
        existing.map((i) => i.version),
        now,
      ),
      buildId,
      buildKey: key,
      buildReason: request.reason,
      configVersion,
      at: now.toISOString(),
    });
    try {
      await deps.catalog.createImage(image, audit);
    } catch (err) {
      if (!(err instanceof ImageAlreadyExistsError)) throw err;
      // Another delivery took this version first. If it builds the same thing, it won and this one is a
      // duplicate; otherwise read the family again and take the next version. Done here, not left to a
      // retry: the handler kit acknowledges ImageAlreadyExistsError as a duplicate, so nothing retries it.
      const winner = await deps.catalog.getImage(image.family, image.version);
      const same =
        winner !== undefined && (winner.buildId === buildId || (!request.force && winner.buildKey === key));
      if (same) return { outcome: 'duplicate', image: winner };
      if (attempt >= MAX_VERSION_ATTEMPTS) throw err;
      continue;
    }
    return launch(config, image, deps);
  }
};

const newImage = (
  config: BuildFamilyConfig,
  source: ResolvedSource,
  fields: {
    version: string;
    buildId: string;
    buildKey: string;
    buildReason: string;
    configVersion: number;
    at: string;
  },
): Image => ({
  family: config.name,
  version: fields.version,
  state: 'building',
  stateVersion: 0,
  amiIds: {},
  snapshotIds: [],
  ...(source.parent ? { parent: source.parent } : {}),
  sourceAmiId: source.sourceAmiId,
  buildId: fields.buildId,
  buildKey: fields.buildKey,
  buildReason: fields.buildReason,
  configVersion: fields.configVersion,
  vulnerable: false,
  managed: true,
  createdAt: fields.at,
  stateChangedAt: fields.at,
});

const launch = async (
  config: BuildFamilyConfig,
  image: Image,
  deps: Pick<BuildDeps, 'compute'>,
): Promise<StartBuildResult> => {
  const { instanceId } = await deps.compute.launchInstance(builderLaunchRequest(config, image));
  return { outcome: 'started', image, instanceId, config };
};

/** The builder's launch: the family's type, profile and network, an encrypted root volume, our tags. */
export const builderLaunchRequest = (config: BuildFamilyConfig, image: Image): LaunchInstanceRequest => {
  const { build } = config;
  const buildId = image.buildId!;
  return {
    imageId: image.sourceAmiId!,
    instanceType: build.instanceType,
    instanceProfile: build.instanceProfile,
    ...(build.subnet ? { subnetId: build.subnet } : {}),
    ...(build.securityGroup ? { securityGroupIds: [build.securityGroup] } : {}),
    tags: {
      ...config.tags,
      Name: `${image.family}-${image.version}-builder`,
      ...managedTags({ family: image.family, version: image.version, buildId, parent: image.parent }),
    },
    rootVolume: { sizeGiB: build.rootVolume.sizeGiB, encrypted: true, kmsKeyId: build.rootVolume.kmsKeyId },
    clientToken: buildId,
  };
};
