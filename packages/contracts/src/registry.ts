import * as z from 'zod';
import { type EventBridgeEnvelope, envelopeSchema } from './envelope';
import { ContractViolationError, UnknownDetailTypeError } from './errors';
import * as buildRequested from './events/build-requested';
import * as imageApproved from './events/image-approved';
import * as imageBuildFailed from './events/image-build-failed';
import * as imageBuilt from './events/image-built';
import * as imageDeprecated from './events/image-deprecated';
import * as imageDisabled from './events/image-disabled';
import * as imageInspectionCompleted from './events/image-inspection-completed';
import * as imagePublished from './events/image-published';
import * as imageRejected from './events/image-rejected';
import * as imageRetired from './events/image-retired';
import * as imageVulnerable from './events/image-vulnerable';
import * as retentionSweepCompleted from './events/retention-sweep-completed';
import { EVENT_SOURCE } from './fields';
import type { EventFixtures } from './fixtures';

/**
 * What every event module provides.
 *
 * Strictness, deliberately: v1 details are strict objects, producers validate before
 * PutEvents, and consumers parse with the very same schemas, so an unknown key is refused on
 * both sides. A misspelt or unexpected field is then a loud error at the producer rather than
 * data a consumer silently drops. The price is that adding a field is a new `schemaVersion`:
 * add the new schema to `schemas` (keeping the old ones and their fixtures), release consumers
 * first so they accept both, then switch producers to the new version.
 */
export interface EventContract {
  readonly source: typeof EVENT_SOURCE;
  readonly detailType: string;
  /** The latest schema version, the one producers emit by default. */
  readonly version: number;
  /** The latest schema. */
  readonly schema: z.ZodType;
  /** Every schema version still accepted, keyed by the detail's `schemaVersion`. */
  readonly schemas: Readonly<Record<number, z.ZodType>>;
  readonly fixtures: EventFixtures;
}

/** Every contract, in lifecycle order. */
export const contracts = [
  buildRequested,
  imageBuilt,
  imageBuildFailed,
  imageInspectionCompleted,
  imageApproved,
  imageRejected,
  imagePublished,
  imageVulnerable,
  imageDeprecated,
  imageDisabled,
  imageRetired,
  retentionSweepCompleted,
] as const satisfies readonly EventContract[];

type AnyContract = (typeof contracts)[number];
export type DetailType = AnyContract['detailType'];
type ContractOf<T extends DetailType> = Extract<AnyContract, { readonly detailType: T }>;

/** The detail of a detail-type: a union over every schema version still accepted. */
export type DetailOf<T extends DetailType> = z.output<
  ContractOf<T>['schemas'][keyof ContractOf<T>['schemas']]
>;

/** A parsed event, discriminated by `detail-type` so a switch narrows `detail`. */
export type AmiLifecycleEvent<T extends DetailType = DetailType> = {
  [K in T]: EventBridgeEnvelope & { 'detail-type': K; detail: DetailOf<K> };
}[T];

/** The PutEvents request entry; structurally a `PutEventsRequestEntry` of the AWS SDK. */
export interface PutEventsEntry<T extends DetailType = DetailType> {
  Source: typeof EVENT_SOURCE;
  DetailType: T;
  Detail: string;
  EventBusName: string;
}

export const detailTypes: readonly DetailType[] = contracts.map((contract) => contract.detailType);

export const contractsByDetailType = Object.fromEntries(
  contracts.map((contract) => [contract.detailType, contract]),
) as { readonly [T in DetailType]: ContractOf<T> };

function contractFor(detailType: string): EventContract {
  // hasOwn, not `in`: a detail-type of "constructor" must not resolve to Object.prototype.
  if (!Object.hasOwn(contractsByDetailType, detailType)) {
    throw new UnknownDetailTypeError(detailType, detailTypes);
  }
  return contractsByDetailType[detailType as DetailType];
}

/** The schema the detail claims by its `schemaVersion`; the latest when the claim is unknown, so it is reported. */
function schemaFor(contract: EventContract, detail: unknown): z.ZodType {
  const claimed =
    typeof detail === 'object' && detail !== null
      ? (detail as { schemaVersion?: unknown }).schemaVersion
      : undefined;
  const claimedSchema =
    typeof claimed === 'number' && Object.hasOwn(contract.schemas, claimed)
      ? contract.schemas[claimed]
      : undefined;
  return claimedSchema ?? contract.schema;
}

function parseKnownDetail(detailType: string, detail: unknown): unknown {
  const result = schemaFor(contractFor(detailType), detail).safeParse(detail);
  if (!result.success) throw new ContractViolationError(detailType, result.error, ['detail']);
  return result.data;
}

/**
 * Validates a detail against its contract (any schema version still accepted).
 * @throws UnknownDetailTypeError when the detail-type has no contract
 * @throws ContractViolationError naming every bad field by path
 */
export function parseDetail<T extends DetailType>(detailType: T, detail: unknown): DetailOf<T> {
  return parseKnownDetail(detailType, detail) as DetailOf<T>;
}

/**
 * Validates an EventBridge event of source `ami-lifecycle`, then its detail by detail-type.
 * @throws ContractViolationError for a bad envelope or detail
 * @throws UnknownDetailTypeError for a detail-type without a contract
 */
export function parseEventBridgeEvent(envelope: unknown): AmiLifecycleEvent {
  const result = envelopeSchema.safeParse(envelope);
  if (!result.success) throw new ContractViolationError(undefined, result.error, []);
  const detail = parseKnownDetail(result.data['detail-type'], result.data.detail);
  return { ...result.data, detail } as AmiLifecycleEvent;
}

/**
 * A PutEvents entry for a detail, validated first so an invalid event never reaches the bus.
 * `Detail` is serialised from the parsed value, i.e. exactly what consumers will parse.
 */
export function buildEntry<T extends DetailType>(
  detailType: T,
  detail: DetailOf<T>,
  busName: string,
): PutEventsEntry<T> {
  const parsed = parseDetail(detailType, detail);
  return {
    Source: EVENT_SOURCE,
    DetailType: detailType,
    Detail: JSON.stringify(parsed),
    EventBusName: busName,
  };
}

/** JSON Schema (draft 2020-12) of the latest detail schema, for docs, editors and schema registries. */
export function detailJsonSchema(detailType: DetailType): z.core.JSONSchema.JSONSchema {
  return z.toJSONSchema(contractFor(detailType).schema);
}
