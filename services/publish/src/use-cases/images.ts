import { ImageNotFoundError, listAll } from '@ami-lifecycle/catalog';
import type { AuditContext, CatalogPort, Image, Page, PageRequest } from '@ami-lifecycle/core';
import { ImageNotPublishableError } from '../errors';
import { DEFAULT_ACTOR, type PublishDeps } from './deps';
import type { PublicationRequest } from './publication';

/** The catalog image; a missing one is `ImageNotFoundError`. */
export const requireImage = async (
  catalog: CatalogPort,
  ref: { family: string; version: string },
): Promise<Image> => {
  const image = await catalog.getImage(ref.family, ref.version);
  if (image === undefined) throw new ImageNotFoundError(ref.family, ref.version);
  return image;
};

/**
 * The image a publication step may act on: still `approved` (a person may have rejected it meanwhile,
 * and nothing of a rejected image is shared or pointed to), with the home AMI the request names.
 */
export const requireApproved = async (
  request: PublicationRequest,
  homeRegion: string,
  deps: Pick<PublishDeps, 'catalog'>,
): Promise<Image> => {
  const image = await requireImage(deps.catalog, request);
  if (image.amiIds[homeRegion] !== request.imageId) {
    throw new ImageNotPublishableError(
      request.family,
      request.version,
      `its AMI in ${homeRegion} is ${image.amiIds[homeRegion] ?? 'not recorded'}, not ${request.imageId}`,
      image.state,
    );
  }
  if (image.state !== 'approved') {
    throw new ImageNotPublishableError(
      request.family,
      request.version,
      `it is ${image.state}, and only an approved image is published`,
      image.state,
    );
  }
  return image;
};

/** The audit context of a publication step. */
export const auditOf = (
  request: PublicationRequest,
  reason: string,
  deps: Pick<PublishDeps, 'actor'>,
  policyVersion?: number,
): AuditContext => ({
  actor: deps.actor ?? DEFAULT_ACTOR,
  reason: clip(reason),
  correlationId: request.correlationId,
  ...(policyVersion === undefined ? {} : { policyVersion }),
});

/** Every page of a catalog listing, at most `maxPages` of them (the catalog's bounded pager). */
export const allPages = <T>(
  subject: string,
  maxPages: number,
  list: (page: PageRequest) => Promise<Page<T>>,
): Promise<T[]> => listAll(subject, list, maxPages);

/** Audit and event texts are capped at 2048 characters. */
export const clip = (text: string): string => (text.length <= 2048 ? text : `${text.slice(0, 2045)}...`);
