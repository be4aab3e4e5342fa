import { randomBytes } from 'node:crypto';
import { ResourceNotFoundError } from '@ami-lifecycle/aws';
import { listAll } from '@ami-lifecycle/catalog';
import {
  type CatalogPort,
  type Clock,
  DomainError,
  type Hold,
  type HoldTarget,
  holdInForce,
  holdTargetSchema,
  type Image,
  type ImagePort,
  imageKey,
  isoTimestampSchema,
  PermanentError,
} from '@ami-lifecycle/core';

/** EC2 images of one region: what holds mirror themselves onto (deregistration protection). */
export type HoldRegionalPorts = (region: string) => {
  images: Pick<ImagePort, 'setDeregistrationProtection'>;
};

/** What the hold use cases need; `amictl` wires AWS or the local cloud, tests the in-memory fakes. */
export interface HoldDeps {
  catalog: CatalogPort;
  clock: Clock;
  regions: HoldRegionalPorts;
  /** New hold ids; `hold-` and 16 random hex digits unless a test says otherwise. */
  newHoldId?: () => string;
}

export interface PlaceHoldInput {
  target: HoldTarget;
  /** Why, in words legal and operators understand ("litigation hold LIT-42"). */
  reason: string;
  /** Who answers for the hold: a person or a team address. */
  owner: string;
  /** The ticket that asked for it; `NO_TICKET` is stored when none is given. */
  ticket?: string;
  /** ISO-8601, in the future; without it the hold lasts until it is released. */
  expiresAt?: string;
}

export interface ReleaseHoldInput {
  /** Who releases it; kept on the hold's record. */
  by: string;
  /**
   * Why. Required, but the catalog has no field for it yet (`CatalogPort.releaseHold` takes who and
   * when only), so it is answered back to the caller rather than stored.
   */
  reason: string;
}

/** One AMI of one image in one region. */
export interface HeldAmi {
  family: string;
  version: string;
  region: string;
  amiId: string;
}

export interface PlacedHold {
  hold: Hold;
  /** The AMIs whose deregistration protection is now on. */
  protected: HeldAmi[];
}

export interface ReleasedHold {
  hold: Hold;
  reason: string;
  /** The AMIs whose deregistration protection was lifted. */
  unprotected: HeldAmi[];
  /** The AMIs left protected because another hold in force still covers their image, with its ids. */
  stillHeld: (HeldAmi & { holdIds: string[] })[];
}

export interface LiftedHolds {
  /** The expired holds whose protection was lifted, each then released by `EXPIRY_RELEASER`. */
  lifted: ReleasedHold[];
  /** Expired holds whose protection could not be lifted: left as they are, tried again next run. */
  failed: { hold: Hold; error: Error }[];
}

/** The ticket of a hold placed without one: core's hold schema requires a ticket. */
export const NO_TICKET = 'none';
/** Who releases an expired hold once its protection is lifted. */
export const EXPIRY_RELEASER = 'ami-lifecycle';
export const EXPIRY_REASON = 'expired';

/** Pages of a family's images read at most (100 a page): a family is never that large. */
const MAX_IMAGE_PAGES = 100;
/** Pages of active holds read at most (100 a page). */
const MAX_HOLD_PAGES = 100;

/**
 * A hold request understood and refused: an unknown image or family, an expiry not in the future, a
 * blank reason or owner, an unknown hold id. Nothing was stored and no AMI was touched.
 */
export class HoldRefusedError extends PermanentError {}

/**
 * The hold's record is right (in force after `placeHold`, released after `releaseHold`) but EC2 refused
 * to change the deregistration protection of some of its AMIs; every other AMI was done. Placing: the
 * hold stays in force, the safe side. Releasing: the AMIs stay protected, also the safe side; run the
 * release again to retry, it is idempotent.
 */
export class HoldProtectionError extends DomainError {
  constructor(
    readonly holdId: string,
    readonly enabled: boolean,
    readonly failures: readonly (HeldAmi & { error: unknown })[],
  ) {
    const amis = failures
      .map((f) => `${f.amiId} in ${f.region} (${imageKey(f)}): ${messageOf(f.error)}`)
      .join('; ');
    super(
      enabled
        ? `hold ${holdId} is in force, but deregistration protection could not be turned on for ${amis}`
        : `hold ${holdId} is released, but deregistration protection could not be lifted from ${amis}; release it again to retry`,
      {
        cause: failures.length === 1 ? failures[0]?.error : new AggregateError(failures.map((f) => f.error)),
      },
    );
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const newHoldId = (): string => `hold-${randomBytes(8).toString('hex')}`;

/** `family golden-al2023` or `image golden-al2023@1.0.0`. */
export const holdTargetText = (target: HoldTarget): string =>
  target.kind === 'family' ? `family ${target.family}` : `image ${imageKey(target)}`;

const checkInput = (input: PlaceHoldInput, now: Date): HoldTarget => {
  const target = holdTargetSchema.safeParse(input.target);
  if (!target.success) {
    throw new HoldRefusedError(
      `the hold's target is invalid: ${target.error.issues.map((i) => `${i.path.join('.') || '(target)'} ${i.message}`).join('; ')}`,
    );
  }
  if (input.reason.trim() === '') throw new HoldRefusedError('a hold needs a reason');
  if (input.owner.trim() === '') throw new HoldRefusedError('a hold needs an owner');
  if (input.ticket !== undefined && input.ticket.trim() === '')
    throw new HoldRefusedError('the ticket must not be blank');
  if (input.expiresAt !== undefined) {
    if (!isoTimestampSchema.safeParse(input.expiresAt).success)
      throw new HoldRefusedError(
        `expiry "${input.expiresAt}" is not an ISO-8601 time with a zone, like 2026-12-31T00:00:00Z`,
      );
    if (Date.parse(input.expiresAt) <= now.getTime())
      throw new HoldRefusedError(`expiry ${input.expiresAt} is not in the future (now ${now.toISOString()})`);
  }
  return target.data;
};

/** The images a target covers whose AMIs may still exist: the image, or every unretired image of the family. */
const coveredImages = async (catalog: CatalogPort, target: HoldTarget): Promise<Image[]> => {
  if (target.kind === 'image') {
    const image = await catalog.getImage(target.family, target.version);
    return image === undefined ? [] : [image];
  }
  const images = await listAll(
    `images of ${target.family}`,
    (page) => catalog.listImagesByFamily(target.family, { ...page, limit: 100 }),
    MAX_IMAGE_PAGES,
  );
  return images.filter((image) => image.state !== 'retired');
};

/**
 * The AMIs of `images` that a hold mirrors onto: every region's, of managed images only (the controller
 * never changes an image it does not manage, and EC2's adapter would refuse), none of a retired image.
 */
const amisOf = (images: readonly Image[]): HeldAmi[] =>
  images
    .filter((image) => image.managed && image.state !== 'retired')
    .flatMap((image) =>
      Object.entries(image.amiIds)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([region, amiId]) => ({ family: image.family, version: image.version, region, amiId })),
    );

/** Sets the protection of every AMI, each tried even when another fails; the failures are thrown together. */
const setProtection = async (
  deps: Pick<HoldDeps, 'regions'>,
  holdId: string,
  amis: readonly HeldAmi[],
  enabled: boolean,
): Promise<void> => {
  const failures: (HeldAmi & { error: unknown })[] = [];
  for (const ami of amis) {
    try {
      await deps.regions(ami.region).images.setDeregistrationProtection(ami.amiId, enabled);
    } catch (error) {
      // An AMI that no longer exists has no protection to lift (one gone by hand would otherwise keep
      // an expired hold listed forever); placing protection on it is still a failure.
      if (!enabled && error instanceof ResourceNotFoundError) continue;
      failures.push({ ...ami, error });
    }
  }
  if (failures.length > 0) throw new HoldProtectionError(holdId, enabled, failures);
};

/**
 * Places a legal hold on an image or a family: checks it (the image or family exists in the catalog, the
 * expiry is in the future, reason and owner are not blank), stores it, then turns on EC2 deregistration
 * protection for every AMI it covers in every region: the image's, or those of every image of the family
 * that still has AMIs. The hold is stored first, so a failure to protect leaves it in force (the safe
 * side) and is thrown as `HoldProtectionError` naming the AMIs. Images the family makes later are
 * protected by the hold's record (the sweep reads it), not by EC2.
 */
export const placeHold = async (input: PlaceHoldInput, deps: HoldDeps): Promise<PlacedHold> => {
  const now = deps.clock.now();
  const target = checkInput(input, now);
  const exists =
    target.kind === 'image'
      ? (await deps.catalog.getImage(target.family, target.version)) !== undefined
      : (await deps.catalog.getFamilyConfig(target.family)) !== undefined;
  if (!exists)
    throw new HoldRefusedError(`${holdTargetText(target)} is not in the catalog; nothing was held`);
  const hold: Hold = {
    id: (deps.newHoldId ?? newHoldId)(),
    target,
    reason: input.reason,
    owner: input.owner,
    ticket: input.ticket ?? NO_TICKET,
    createdAt: now.toISOString(),
    ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt }),
  };
  await deps.catalog.putHold(hold);
  const amis = amisOf(await coveredImages(deps.catalog, target));
  await setProtection(deps, hold.id, amis, true);
  return { hold, protected: amis };
};

/**
 * Lifts the protection `hold` put on, except from the images another hold in force (at `nowMs`, `hold`
 * itself excepted) still covers: a hold on the image or on its family.
 */
const liftProtection = async (
  hold: Hold,
  deps: Pick<HoldDeps, 'catalog' | 'regions'>,
  nowMs: number,
): Promise<Pick<ReleasedHold, 'unprotected' | 'stillHeld'>> => {
  const others = (holds: readonly Hold[]) =>
    holds.filter((h) => h.id !== hold.id && holdInForce(h, nowMs)).map((h) => h.id);
  const familyHolds = new Map<string, string[]>();
  const unprotected: HeldAmi[] = [];
  const stillHeld: ReleasedHold['stillHeld'] = [];
  for (const image of await coveredImages(deps.catalog, hold.target)) {
    let onFamily = familyHolds.get(image.family);
    if (onFamily === undefined) {
      onFamily = others(await deps.catalog.listHoldsForTarget({ kind: 'family', family: image.family }));
      familyHolds.set(image.family, onFamily);
    }
    const holdIds = [
      ...others(
        await deps.catalog.listHoldsForTarget({
          kind: 'image',
          family: image.family,
          version: image.version,
        }),
      ),
      ...onFamily,
    ];
    const amis = amisOf([image]);
    if (holdIds.length > 0) stillHeld.push(...amis.map((ami) => ({ ...ami, holdIds })));
    else unprotected.push(...amis);
  }
  await setProtection(deps, hold.id, unprotected, false);
  return { unprotected, stillHeld };
};

/**
 * Releases a hold (`HoldRefusedError` for an unknown id), then lifts the deregistration protection of
 * the AMIs it covered, except where another hold in force still covers the image. Releasing is
 * idempotent: a hold released before keeps its first release, and its protection is lifted again, so
 * running it twice retries a lift that failed.
 */
export const releaseHold = async (
  id: string,
  input: ReleaseHoldInput,
  deps: HoldDeps,
): Promise<ReleasedHold> => {
  if (input.by.trim() === '') throw new HoldRefusedError('who releases the hold must be named');
  if (input.reason.trim() === '') throw new HoldRefusedError('releasing a hold needs a reason');
  if ((await deps.catalog.getHold(id)) === undefined) throw new HoldRefusedError(`hold ${id} does not exist`);
  const now = deps.clock.now();
  const hold = await deps.catalog.releaseHold(id, now.toISOString(), input.by);
  return { hold, reason: input.reason, ...(await liftProtection(hold, deps, now.getTime())) };
};

/**
 * The daily sweep's step for expired holds: every hold not released whose `expiresAt` has come stops
 * protecting. Its AMIs' protection is lifted (except where another hold in force covers the image), and
 * then it is released by `EXPIRY_RELEASER`: released rather than kept, so it leaves the list of active
 * holds and is not lifted again every day, and its record (with `expiresAt` and the release) stays
 * readable by id. Lifting comes first, so a hold whose lift failed stays listed and is tried again on the
 * next run; one hold's failure does not stop the others (see `failed`).
 */
export const liftExpiredHolds = async (deps: HoldDeps): Promise<LiftedHolds> => {
  const now = deps.clock.now();
  const active = await listAll('active holds', (page) => deps.catalog.listActiveHolds(page), MAX_HOLD_PAGES);
  const expired = active.filter(
    (hold) => hold.expiresAt !== undefined && Date.parse(hold.expiresAt) <= now.getTime(),
  );
  const result: LiftedHolds = { lifted: [], failed: [] };
  for (const hold of expired) {
    try {
      const lift = await liftProtection(hold, deps, now.getTime());
      const released = await deps.catalog.releaseHold(hold.id, now.toISOString(), EXPIRY_RELEASER);
      result.lifted.push({ hold: released, reason: EXPIRY_REASON, ...lift });
    } catch (error) {
      result.failed.push({ hold, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return result;
};
