import { TransitionConflictError } from '@ami-lifecycle/catalog';
import {
  assertTransition,
  type CatalogPort,
  type Clock,
  type EventPublisher,
  familyNameSchema,
  IllegalTransitionError,
  type Image,
} from '@ami-lifecycle/core';
import { PublishRefusedError } from '../errors';
import type { PublishEvents } from './deps';
import { clip } from './images';

/** A person's decision on a candidate. */
export interface DecisionInput {
  family: string;
  version: string;
  /** Who decided: recorded as the approver and the actor of the audit record. */
  by: string;
  reason: string;
}

export interface DecideDeps {
  catalog: CatalogPort;
  events: EventPublisher<PublishEvents>;
  clock: Clock;
  /** The home region, whose AMI id the events name. */
  region: string;
}

const checkInput = (input: DecisionInput): void => {
  if (!familyNameSchema.safeParse(input.family).success)
    throw new PublishRefusedError(`"${input.family}" is not a family name`);
  if (input.version.trim() === '') throw new PublishRefusedError('a version is required');
  if (input.by.trim() === '') throw new PublishRefusedError('who decides must be named');
  if (input.reason.trim() === '') throw new PublishRefusedError('a reason is required');
  if (input.reason.length > 2048) throw new PublishRefusedError('the reason is longer than 2048 characters');
};

const findImage = async (catalog: CatalogPort, input: DecisionInput): Promise<Image> => {
  const image = await catalog.getImage(input.family, input.version);
  if (image !== undefined) return image;
  if ((await catalog.getFamilyConfig(input.family)) === undefined)
    throw new PublishRefusedError(`family ${input.family} is not configured`);
  throw new PublishRefusedError(`image ${input.family}@${input.version} does not exist`);
};

const refuseTransition = (image: Image, to: 'approved' | 'rejected'): never => {
  try {
    assertTransition(image.state, to);
  } catch (err) {
    if (err instanceof IllegalTransitionError)
      throw new PublishRefusedError(`${image.family}@${image.version} cannot be ${to}: ${err.why}`);
    throw err;
  }
  throw new PublishRefusedError(`${image.family}@${image.version} cannot be ${to} from ${image.state}`);
};

const identity = (image: Image, deps: Pick<DecideDeps, 'clock' | 'region'>, correlationId: string) => {
  const imageId = image.amiIds[deps.region];
  if (imageId === undefined)
    throw new PublishRefusedError(`${image.family}@${image.version} has no AMI in ${deps.region}`);
  return {
    schemaVersion: 1 as const,
    family: image.family,
    version: image.version,
    correlationId,
    occurredAt: deps.clock.now().toISOString(),
    imageId,
  };
};

/** The correlation id the image's story runs under: its first audit record carries it. */
const correlationOf = async (catalog: CatalogPort, image: Image): Promise<string> =>
  (await catalog.listAudit(image.family, image.version, { limit: 1 })).items[0]?.correlationId ??
  `${image.family}@${image.version}`;

const decide = async (
  to: 'approved' | 'rejected',
  image: Image,
  input: DecisionInput,
  deps: DecideDeps,
): Promise<Image> => {
  try {
    return await deps.catalog.transitionImage({
      family: image.family,
      version: image.version,
      from: image.state,
      to,
      expectedStateVersion: image.stateVersion,
      at: deps.clock.now().toISOString(),
      audit: {
        actor: input.by,
        reason: clip(`${to === 'approved' ? 'approved' : 'rejected'} by ${input.by}: ${input.reason}`),
        correlationId: await correlationOf(deps.catalog, image),
      },
      patch: { approver: input.by },
    });
  } catch (err) {
    if (err instanceof TransitionConflictError)
      throw new PublishRefusedError(
        `${image.family}@${image.version} changed while you decided (now ${err.actual.state}); look again and retry`,
      );
    throw err;
  }
};

/**
 * A person approves a candidate whose inspection passed: `inspecting -> approved`, audited with who and
 * why, then `Image Approved` (which starts its publication). Refused, changing nothing: an unknown image,
 * an inspection without a verdict yet, a failing verdict, any other state. An image already approved
 * gets its `Image Approved` again under the same key, so an event lost after the catalog write is
 * delivered (a publication already started ignores the copy).
 */
export const approveImage = async (input: DecisionInput, deps: DecideDeps): Promise<Image> => {
  checkInput(input);
  let image = await findImage(deps.catalog, input);
  if (image.state === 'inspecting') {
    if (image.verdict === undefined)
      throw new PublishRefusedError(
        `${image.family}@${image.version} has no verdict yet: its inspection is still running`,
      );
    if (image.verdict === 'fail')
      throw new PublishRefusedError(
        `${image.family}@${image.version} failed its inspection (${image.reason ?? 'no reason recorded'}); a failing image cannot be approved, reject it or rebuild`,
      );
    image = await decide('approved', image, input, deps);
  } else if (image.state !== 'approved') {
    refuseTransition(image, 'approved');
  }
  const correlationId = await correlationOf(deps.catalog, image);
  await deps.events.publish('Image Approved', {
    ...identity(image, deps, correlationId),
    idempotencyKey: `image-approved:${image.family}@${image.version}`,
    approver:
      image.approver === undefined || image.approver === 'auto'
        ? { kind: 'auto' }
        : { kind: 'person', principal: image.approver },
    reason: clip(input.reason),
  });
  return image;
};

/**
 * A person rejects a candidate: from `inspecting` (with or without a verdict) or `approved`, at any time
 * before it is published. Audited with who and why; `Image Rejected` follows. A publication already
 * under way stops at its next step, and its failure path takes the image's launch permissions away.
 */
export const rejectImage = async (input: DecisionInput, deps: DecideDeps): Promise<Image> => {
  checkInput(input);
  let image = await findImage(deps.catalog, input);
  if (image.state === 'inspecting' || image.state === 'approved') {
    image = await decide('rejected', image, input, deps);
  } else {
    refuseTransition(image, 'rejected');
  }
  await deps.events.publish('Image Rejected', {
    ...identity(image, deps, await correlationOf(deps.catalog, image)),
    idempotencyKey: `image-rejected:${image.family}@${image.version}`,
    approver: { kind: 'person', principal: input.by },
    reason: clip(input.reason),
  });
  return image;
};
